// Runs a stack's lab with the real Pulumi engine (automation/lab.ts):
//   npm run lab -- preview <stack> [--diff]   what `up` would do
//   npm run lab -- up <stack>                 deploy or update, wait until every node is ready
//   npm run lab -- down <stack>               destroy: containers, networks, veth parents
//   npm run lab -- fault <stack> <node> restart|stop|start|disconnect <segment>|connect <segment>
//                                             pull a plug, to watch the lab heal
// <stack> is any lab name the commands take (cli/lab-name.ts): a stack of the
// project (Pulumi.<stack>.yaml) or a generated hub-and-spoke-<N>.
import * as fs from "fs";
import * as path from "path";
import { UsageError, parseCommandLine, runCommand } from "../cli/args";
import { LabSource, deployedStack, resolveLab } from "../cli/lab-name";
import { nodeRows } from "../plan/summary";
import { LabStack, changed, deployedLab, manifestPath } from "../automation/lab";
import { labProgress } from "../automation/progress";
import type { OpMap } from "@pulumi/pulumi/automation";
import { FAULTS, applyFault, parseFault } from "../host/faults";

const USAGE = "usage: npm run lab -- preview|up|down <stack> [--diff]   (a Pulumi.<stack>.yaml of this project, or hub-and-spoke-<N>)\n" +
    `       npm run lab -- fault <stack> <node> ${FAULTS.join("|")}`;

const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const note = (line: string) => process.stderr.write(`vnetlab lab: ${line}\n`);
const describe = (changes: OpMap) => Object.entries(changes).map(([op, n]) => `${n} ${op}`).join(", ");

/** A generated lab gets its stack file on first use (Pulumi reads the stack from there); from then on the file is the stack. */
function open(source: LabSource): Promise<LabStack> {
    return LabStack.open(source.stack, source.file === undefined ? { lab: source.lab } : {});
}

async function preview(source: LabSource, diff: boolean): Promise<void> {
    const lab = await open(source);
    const result = await lab.preview({ diff });
    // The engine's output ends without a newline: the summary gets a line of its own.
    process.stdout.write(result.stdout.endsWith("\n") || result.stdout === "" ? result.stdout : `${result.stdout}\n`);
    const changes = changed(result.changeSummary);
    console.log(Object.keys(changes).length === 0 ? `no changes to lab ${lab.plan.name}` : `lab ${lab.plan.name}: ${describe(changes)}`);
}

async function up(source: LabSource): Promise<void> {
    const { stack } = source;
    const started = Date.now();
    const lab = await open(source);
    const progress = labProgress(lab.plan, process.stderr, "up");
    const result = await lab.up({ onEvent: progress.onEvent, onReady: progress.ready, log: note }).finally(progress.done);
    fs.mkdirSync(path.dirname(manifestPath(stack)), { recursive: true });
    fs.writeFileSync(manifestPath(stack), `${JSON.stringify(await lab.manifest(), null, 2)}\n`);
    const changes = changed(result.changes);
    if (Object.keys(changes).length === 0) {
        console.log(`no changes: lab ${result.plan.name} is up to date and ready (${elapsed(started)})`);
        return;
    }
    console.log(`lab ${result.plan.name} ready in ${elapsed(started)} (${describe(changes)})`);
    for (const row of nodeRows(result.plan)) console.log(`  ${row.node.padEnd(12)} ${row.role.padEnd(8)} ${row.addresses.join(", ")}\n  ${"".padEnd(12)} ${row.exec}`);
    console.log(`\nverify:   npm run verify -- --stack ${stack}\nteardown: npm run lab -- down ${stack}`);
}

async function down(source: LabSource): Promise<void> {
    const { stack } = source;
    const started = Date.now();
    // A generated lab never brought up has no stack file, and nothing to remove.
    const lab = source.file !== undefined ? await LabStack.existing(stack) : undefined;
    if (!lab) {
        console.log(`nothing of stack ${stack} was deployed`);
        return;
    }
    const progress = labProgress(lab.plan, process.stderr, "destroy");
    const result = await lab.destroy({ onEvent: progress.onEvent, log: note }).finally(progress.done);
    fs.rmSync(manifestPath(stack), { force: true });
    const deleted = result.summary.resourceChanges?.delete ?? 0;
    console.log(deleted > 0 ? `lab ${lab.plan.name}: ${deleted} resources deleted in ${elapsed(started)}` : `nothing of ${lab.plan.name} was deployed`);
}

/** One fault on one node of a deployed lab, through the Docker API; `npm run verify -- --until-pass` then times the healing. */
async function fault(source: LabSource, node: string, words: readonly string[]): Promise<void> {
    let kind;
    try {
        kind = parseFault(words);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const { plan, docker } = await deployedLab(deployedStack(source));
    console.log(await applyFault(docker, plan, node, kind));
}

async function main(): Promise<number> {
    const { positionals, values } = parseCommandLine({
        options: { help: { type: "boolean", short: "h" }, diff: { type: "boolean" } },
        allowPositionals: true,
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const [command, stack, ...extra] = positionals;
    if (command === "fault") {
        if (!stack || extra.length < 2 || extra.length > 3) throw new UsageError(USAGE);
        await fault(resolveLab(stack, "<stack>"), extra[0]!, extra.slice(1));
        return 0;
    }
    if (!stack || extra.length > 0) throw new UsageError(USAGE);
    if (values.diff && command !== "preview") throw new UsageError("--diff goes with preview");
    if (command !== "preview" && command !== "up" && command !== "down") throw new UsageError(USAGE);
    const source = resolveLab(stack, "<stack>");
    if (command === "preview") await preview(source, values.diff ?? false);
    else if (command === "up") await up(source);
    else await down(source);
    return 0;
}

runCommand("vnetlab lab", main);
