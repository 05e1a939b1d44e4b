// Runs a stack's lab on the local Docker engine without the Pulumi CLI, through
// the engine the e2e tests use (it realizes exactly what the program registers):
//   npm run lab -- up <stack>     deploy, wait until every node is ready, write .vnetlab/<stack>.json
//   npm run lab -- down <stack>   remove the lab's containers, networks and veth parents
// With the Pulumi CLI, `pulumi up --stack <stack>` does the same with real state.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { deploy } from "../test/e2e/lab";
import { purgeByName } from "../test/support/docker-engine";
import { stackLab } from "../test/support/recording-mocks";
import { PROJECT_DIR } from "../model/stack-file";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import { manifestOf, nodeRows } from "../plan/summary";

export const manifestPath = (stack: string) => path.join(PROJECT_DIR, ".vnetlab", `${stack}.json`);

async function up(stack: string): Promise<void> {
    const started = Date.now();
    const lab = await deploy(stack, { lab: stackLab(stack) });
    fs.mkdirSync(path.dirname(manifestPath(stack)), { recursive: true });
    fs.writeFileSync(manifestPath(stack), `${JSON.stringify(manifestOf(lab.plan), null, 2)}\n`);
    console.log(`lab ${lab.plan.name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const row of nodeRows(lab.plan)) console.log(`  ${row.node.padEnd(12)} ${row.role.padEnd(8)} ${row.addresses.join(", ")}\n  ${"".padEnd(12)} ${row.exec}`);
    console.log(`\nverify:   npm run verify -- --manifest ${path.relative(process.cwd(), manifestPath(stack))}\nteardown: npm run lab -- down ${stack}`);
}

async function down(stack: string): Promise<void> {
    const plan = planLab(parseLab(stackLab(stack), stack), stack);
    const removed = await purgeByName(new Docker(), {
        containers: plan.nodes.map((n) => n.containerName),
        networks: plan.segments.map((s) => s.networkName),
    });
    fs.rmSync(manifestPath(stack), { force: true });
    console.log(removed.length > 0 ? removed.join("\n") : `nothing of ${plan.name} was running`);
}

const [command, stack] = process.argv.slice(2);
const run = command === "up" ? up : command === "down" ? down : undefined;
if (!run || !stack) {
    console.error("usage: npm run lab -- up|down <stack>");
    process.exit(2);
}
/**
 * The lab stays up on purpose, so the Pulumi runtime's pending outputs are not
 * leaks; clear its record so it does not warn about them at exit.
 */
function forgetPendingOutputs(): void {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module, no public export
        (require("@pulumi/pulumi/runtime/debuggable") as { leakedPromises?: () => unknown }).leakedPromises?.();
    } catch {
        // Another SDK version: the warning is harmless.
    }
}

run(stack).then(() => { forgetPendingOutputs(); process.exit(0); }, (e: Error) => {
    console.error(`lab ${command} ${stack}: ${e.message}`);
    process.exit(1);
});
