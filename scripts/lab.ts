// Runs a stack's lab on the local Docker engine (engine/lab.ts):
//   npm run lab -- up <stack>     deploy, wait until every node is ready, write .vnetlab/<stack>.json
//   npm run lab -- down <stack>   remove the lab's containers, networks and veth parents
// <stack> is a shipped stack (Pulumi.<stack>.yaml) or a generated hub-and-spoke-<N>.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { deploy } from "../engine/lab";
import { labProgress } from "../engine/progress";
import { purgeByName } from "../engine/docker-engine";
import { PROJECT_DIR, loadStackLab } from "../model/stack-file";
import { UsageError, existingStack, parseCommandLine, runCommand } from "../cli/args";
import { generatedLab } from "../model/hub-and-spoke";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import { manifestOf, nodeRows } from "../plan/summary";

const USAGE = "usage: npm run lab -- up|down <stack>   (a Pulumi.<stack>.yaml of this project, or hub-and-spoke-<N>)";

export const manifestPath = (stack: string) => path.join(PROJECT_DIR, ".vnetlab", `${stack}.json`);

function labConfig(stack: string): unknown {
    return generatedLab(stack) ?? loadStackLab(existingStack(stack));
}

const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

async function up(stack: string): Promise<void> {
    const started = Date.now();
    const lab = await deploy(stack, { lab: labConfig(stack) }, {
        progress: (plan) => labProgress(plan, process.stderr),
        // Every resource and build line, with VNETLAB_DEBUG=1.
        ...(process.env.VNETLAB_DEBUG ? { log: (line: string) => process.stderr.write(`[${elapsed(started)}] ${line}\n`) } : {}),
    });
    fs.mkdirSync(path.dirname(manifestPath(stack)), { recursive: true });
    fs.writeFileSync(manifestPath(stack), `${JSON.stringify(manifestOf(lab.plan), null, 2)}\n`);
    console.log(`lab ${lab.plan.name} ready in ${elapsed(started)}`);
    for (const row of nodeRows(lab.plan)) console.log(`  ${row.node.padEnd(12)} ${row.role.padEnd(8)} ${row.addresses.join(", ")}\n  ${"".padEnd(12)} ${row.exec}`);
    console.log(`\nverify:   npm run verify -- --manifest ${path.relative(process.cwd(), manifestPath(stack))}\nteardown: npm run lab -- down ${stack}`);
}

async function down(stack: string): Promise<void> {
    const started = Date.now();
    const plan = planLab(parseLab(labConfig(stack), stack), stack);
    const removed = await purgeByName(new Docker(), {
        containers: plan.nodes.map((n) => n.containerName),
        networks: plan.segments.map((s) => s.networkName),
    });
    fs.rmSync(manifestPath(stack), { force: true });
    console.log(removed.length > 0 ? `${removed.join("\n")}\nremoved in ${elapsed(started)}` : `nothing of ${plan.name} was running`);
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

async function main(): Promise<number> {
    const { positionals, values } = parseCommandLine({ options: { help: { type: "boolean", short: "h" } }, allowPositionals: true });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const [command, stack, ...extra] = positionals;
    if ((command !== "up" && command !== "down") || !stack || extra.length > 0) throw new UsageError(USAGE);
    await (command === "up" ? up(stack) : down(stack));
    forgetPendingOutputs();
    return 0;
}

runCommand("vnetlab lab", main);
