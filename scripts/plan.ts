// Prints the plan of a stack without Pulumi, or why its config is invalid:
//   npm run plan -- [stack]      (default: dev)
import { existingStack, parseCommandLine, runCommand, UsageError } from "../cli/args";
import { loadStackLab } from "../model/stack-file";
import { LabConfigError } from "../model/errors";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";

const USAGE = "npm run plan -- [<stack>]   (default: dev)";

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
    const stack = existingStack(positionals[0] ?? "dev", "<stack>");
    try {
        console.log(JSON.stringify(planLab(parseLab(loadStackLab(stack), stack), stack), null, 2));
    } catch (e) {
        if (!(e instanceof LabConfigError)) throw e;
        console.error(`Pulumi.${stack}.yaml: ${e.message}`);
        return 1;
    }
    return 0;
}

runCommand("vnetlab plan", main);
