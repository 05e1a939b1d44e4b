// Prints the plan of a stack without Pulumi, or why its config is invalid:
//   npm run plan -- [stack]      (default: dev; any lab name, cli/lab-name.ts)
import { parseCommandLine, runCommand, UsageError } from "../cli/args";
import { labOrigin, resolveLab } from "../cli/lab-name";
import { LabConfigError } from "../model/errors";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";

const USAGE = "npm run plan -- [<stack>]   (default: dev; a Pulumi.<stack>.yaml of this project, or hub-and-spoke-<N>)";

async function main(): Promise<number> {
    const { values, positionals } = parseCommandLine({
        args: process.argv.slice(2),
        options: { help: { type: "boolean", short: "h" } },
        allowPositionals: true,
    });
    if (values.help) {
        console.log(`usage: ${USAGE}`);
        return 0;
    }
    if (positionals.length > 1) throw new UsageError(`<stack>: expected one stack name, got ${positionals.length}: ${positionals.join(" ")}`);
    const source = resolveLab(positionals[0] ?? "dev", "<stack>");
    const { stack } = source;
    try {
        console.log(JSON.stringify(planLab(parseLab(source.lab, stack), stack), null, 2));
    } catch (e) {
        if (!(e instanceof LabConfigError)) throw e;
        console.error(`${labOrigin(source)}: ${e.message}`);
        return 1;
    }
    return 0;
}

runCommand("vnetlab plan", main);
