// Draws a stack's lab without Pulumi or Docker:
//   npm run diagram -- <stack> [--out dir]     → <dir>/<stack>.svg and <dir>/<stack>.png
import * as fs from "fs";
import * as path from "path";
import { parseCommandLine, runCommand, UsageError } from "../cli/args";
import { labOrigin, resolveLab } from "../cli/lab-name";
import { labDiagram } from "../diagram";
import { LabConfigError } from "../model/errors";
import { PROJECT_DIR } from "../model/stack-file";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";

const USAGE = "npm run diagram -- <stack> [--out DIR]   (default DIR: docs/diagrams; <stack>: a Pulumi.<stack>.yaml of this project, or hub-and-spoke-<N>)";

async function main(): Promise<number> {
    const { values, positionals } = parseCommandLine({
        args: process.argv.slice(2),
        options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
    });
    if (values.help) {
        console.log(`usage: ${USAGE}`);
        return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`<stack>: expected one stack name, got ${positionals.length}`);
    const source = resolveLab(positionals[0]!, "<stack>");
    const { stack } = source;
    if (values.out === "") throw new UsageError("--out: empty directory name");
    const out = path.resolve(values.out ?? path.join(PROJECT_DIR, "docs", "diagrams"));

    let plan;
    try {
        plan = planLab(parseLab(source.lab, stack), stack);
    } catch (e) {
        if (!(e instanceof LabConfigError)) throw e;
        console.error(`${labOrigin(source)}: ${e.message}`);
        return 1;
    }
    const { svg, png } = await labDiagram(plan);
    fs.mkdirSync(out, { recursive: true });
    for (const [ext, data] of [["svg", svg], ["png", png]] as const) {
        const file = path.join(out, `${stack}.${ext}`);
        fs.writeFileSync(file, data);
        console.log(path.relative(process.cwd(), file) || file);
    }
    return 0;
}

runCommand("vnetlab diagram", main);
