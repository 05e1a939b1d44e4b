// Boot, verify, teardown and memory of labs on the local Docker engine with
// the real Pulumi engine (automation/lab.ts), each against the floor of bare
// Docker for the same nodes and segments, measured in the same run, and what
// Pulumi costs on its own: a preview and an `up` of the deployed, unchanged lab.
//   npm run bench [-- --stacks dev,site-to-site] [--hub 1,10,25,50,100] [--recovery] [--out docs/bench] [--dry-run]
// --stacks takes any lab name (cli/lab-name.ts); --hub N is hub-and-spoke-<N>;
// --dry-run plans each lab and prints its size, and runs nothing.
// --multi-host N: hub-and-spoke-N on one host of the simulated swarm
// (scripts/sim-swarm.sh, started and dissolved by the bench) and spread over
// its three, side by side.
// --recovery also times how the lab heals after each fault on its responder
// gateway: a restart, a stop longer than DPD takes to give up, then a start,
// and its outside link cut for a few seconds (docker network disconnect, then
// connect).
// Prints a table, writes <out>/bench.json and <out>/bench.svg (time against
// branches for the hub-and-spoke labs). Figures are wall-clock on a shared
// machine: compare the rows of one run.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import { PROJECT_DIR, stackFile } from "../model/stack-file";
import { LabStack, changed } from "../automation/lab";
import { hubAndSpokeLab, hubAndSpokeStack } from "../model/hub-and-spoke";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { DataplaneUnavailableError } from "../plan/dataplane";
import { buildNodeImage, checkDataplane } from "../host/preflight";
import { labLeftovers } from "../host/leftovers";
import { verifyLab, ProbeDeadline } from "../verify";
import { UsageError, parseCommandLine, runCommand } from "../cli/args";
import { LabSource, knownStacks, labOrigin, resolveLab } from "../cli/lab-name";
import { LabConfigError } from "../model/errors";
import { measureFloor } from "./bench/floor";
import { plotSvg, PlotPoint } from "./bench/plot";
import { applyFault, faultTargets, nodeOf } from "../host/faults";
import { labDocker } from "../host/engines";
import { SIM_SWARM_HOSTS, simSwarm } from "../host/sim-swarm";
import { OUTLAST_DPD_SECONDS as STOPPED_SECONDS, RECOVERY_BOUND_SECONDS, verifyUntilHealed } from "../verify/until";

interface Recovery {
    readonly node: string;
    /** Fault kind -> seconds from the fault (for a stop: from the start; for a cut: from the connect) to the first verify run that passed; null: not healed. */
    readonly seconds: Readonly<Record<string, number | null>>;
}

interface Row {
    readonly lab: string;
    /** Branch sites, for generated hub-and-spoke labs. */
    readonly branches?: number;
    readonly sites: number;
    readonly nodes: number;
    readonly segments: number;
    /** The faster of the two floor runs, and both. */
    readonly floorSeconds: number;
    readonly floorRunsSeconds: readonly number[];
    readonly bootSeconds: number;
    readonly verifySeconds: number;
    readonly checks: { readonly passed: number; readonly total: number };
    /** Each failed check with what it observed: a bench that fails a check has not measured a working lab. */
    readonly failed: readonly string[];
    readonly deadline: ProbeDeadline | undefined;
    /** `pulumi preview` and `pulumi up` of the deployed lab, unchanged: the engine's own cost. */
    readonly previewSeconds: number;
    readonly noopUpSeconds: number;
    readonly teardownSeconds: number;
    readonly floorTeardownSeconds: number;
    readonly memoryMiB: number;
    readonly leftovers: readonly string[];
    readonly recovery?: Recovery;
}

/**
 * Proportional set size of every process of the lab's containers, read from
 * the host's /proc: shared pages (the same binaries in every node) count once
 * in total, and it works where Docker's cgroup memory stats read 0.
 */
async function memoryMiB(docker: Docker, containers: readonly string[]): Promise<number> {
    let kib = 0;
    for (const name of containers) {
        const top = await docker.getContainer(name).top({ ps_args: "-o pid" });
        for (const [pid] of top.Processes ?? []) {
            const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
            kib += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
        }
    }
    return kib / 1024;
}

const since = (t0: number) => (Date.now() - t0) / 1000;

/** Whatever of a bench lab is left after a run, failed or not: its containers and networks, its stack, its stack file. */
async function removeBenchStack(stack: LabStack): Promise<void> {
    await stack.destroy().catch(() => undefined);
    await stack.stack.workspace.removeStack(stack.name).catch(() => undefined);
    fs.rmSync(stackFile(stack.name), { force: true });
}

/** How long the bench keeps a gateway's outside link cut: less than a DPD delay, as a pulled and replugged cable. */
const LINK_CUT_SECONDS = 5;

/** How long the lab takes to pass verify again after each fault on its responder gateway (else its first gateway). */
async function recovery(docker: Docker, plan: LabPlan): Promise<Recovery> {
    const targets = faultTargets(plan);
    const node = (targets.find((t) => t.role === "gateway (responder)") ?? targets.find((t) => t.role.startsWith("gateway")))!.node;
    const heal = async () => {
        const run = await verifyUntilHealed(plan, docker, { seconds: 2 * RECOVERY_BOUND_SECONDS });
        return run.healed ? run.seconds : null;
    };
    const seconds: Record<string, number | null> = {};
    process.stderr.write(` recovery of ${node}: restart ...`);
    await applyFault(docker, plan, node, "restart");
    seconds.restart = await heal();
    process.stderr.write(` ${seconds.restart?.toFixed(1) ?? "not healed"}; stop ${STOPPED_SECONDS} s ...`);
    await applyFault(docker, plan, node, "stop");
    await new Promise((resolve) => setTimeout(resolve, STOPPED_SECONDS * 1000));
    await applyFault(docker, plan, node, "start");
    seconds[`stop ${STOPPED_SECONDS} s, start`] = await heal();
    process.stderr.write(` ${seconds[`stop ${STOPPED_SECONDS} s, start`]?.toFixed(1) ?? "not healed"};`);
    const gateway = nodeOf(plan, node);
    const outside = gateway.interfaces.find((i) => i.name === gateway.gateway?.wan)?.segment;
    if (outside !== undefined) {
        const cut = `disconnect ${outside} ${LINK_CUT_SECONDS} s, connect`;
        process.stderr.write(` ${cut} ...`);
        await applyFault(docker, plan, node, { kind: "disconnect", segment: outside });
        await new Promise((resolve) => setTimeout(resolve, LINK_CUT_SECONDS * 1000));
        await applyFault(docker, plan, node, { kind: "connect", segment: outside });
        seconds[cut] = await heal();
        process.stderr.write(` ${seconds[cut]?.toFixed(1) ?? "not healed"};`);
    }
    return { node, seconds };
}

async function bench(docker: Docker, source: LabSource, withRecovery = false): Promise<Row> {
    const { stack: lab, lab: config, branches } = source;
    const plan = planLab(parseLab(config, lab), lab);
    // Before the floor, which would otherwise run for a lab the host then refuses.
    await checkDataplane(plan, { docker });
    process.stderr.write(`bench ${lab}: ${plan.nodes.length} nodes, ${plan.segments.length} segments: floor ...`);
    // Twice, and the faster counts: a burst of bare Docker calls now and then
    // stalls for seconds (once 39 s for 53 nodes that took 12 s otherwise),
    // and a floor that high would flatter the ratio.
    const floors = [await measureFloor(docker, plan, plan.image.name), await measureFloor(docker, plan, plan.image.name)];
    const floor = floors.reduce((a, b) => (b.bootSeconds < a.bootSeconds ? b : a));
    process.stderr.write(` ${floors.map((f) => f.bootSeconds.toFixed(1)).join(" and ")} s; boot ...`);
    // A stack of the bench's own, in the bench's own backend; the lab keeps its name.
    const stack = await LabStack.open(`bench-${lab}`, { lab: { name: plan.name, ...(config as Record<string, unknown>) } });
    try {
        const t0 = Date.now();
        const deployed = await stack.up();
        const bootSeconds = since(t0);
        process.stderr.write(` ${bootSeconds.toFixed(1)} s; verify ...`);
        let deadline: ProbeDeadline | undefined;
        const t1 = Date.now();
        const results = await verifyLab(deployed.plan, { docker, onDeadline: (d) => { deadline = d; } });
        const verifySeconds = since(t1);
        const memory = await memoryMiB(docker, deployed.plan.nodes.map((n) => n.containerName));
        process.stderr.write(` ${verifySeconds.toFixed(1)} s;`);
        const healed = withRecovery ? await recovery(docker, deployed.plan) : undefined;
        process.stderr.write(" preview ...");
        const t2 = Date.now();
        await stack.preview({ expectNoChanges: true });
        const previewSeconds = since(t2);
        process.stderr.write(` ${previewSeconds.toFixed(1)} s; no-op up ...`);
        const t3 = Date.now();
        const noop = await stack.up();
        const noopUpSeconds = since(t3);
        const noopChanges = changed(noop.changes);
        if (Object.keys(noopChanges).length > 0) throw new Error(`bench ${lab}: an up of the unchanged lab changed ${JSON.stringify(noopChanges)}`);
        process.stderr.write(` ${noopUpSeconds.toFixed(1)} s; teardown ...`);
        const t4 = Date.now();
        await stack.destroy();
        const teardownSeconds = since(t4);
        process.stderr.write(` ${teardownSeconds.toFixed(1)} s\n`);
        return {
            lab, ...(branches !== undefined ? { branches } : {}),
            sites: new Set(plan.nodes.flatMap((n) => (n.site ? [n.site] : []))).size,
            nodes: plan.nodes.length, segments: plan.segments.length,
            floorSeconds: floor.bootSeconds, floorRunsSeconds: floors.map((f) => f.bootSeconds), bootSeconds, verifySeconds,
            checks: { passed: results.filter((r) => r.pass).length, total: results.length },
            failed: results.filter((r) => !r.pass).map((r) => `${r.id}: expected ${r.expected}; observed ${r.observed} (${r.seconds.toFixed(1)}s)`),
            deadline, previewSeconds, noopUpSeconds, teardownSeconds, floorTeardownSeconds: floor.teardownSeconds, memoryMiB: memory,
            leftovers: await labLeftovers(docker, plan),
            ...(healed ? { recovery: healed } : {}),
        };
    } finally {
        await removeBenchStack(stack);
    }
}

/** One hub-and-spoke lab on the simulated swarm's engines: all on one host, or spread over three. */
interface SpreadRow {
    readonly lab: string;
    readonly branches: number;
    readonly hosts: number;
    readonly nodes: number;
    /** Segments that cross hosts: overlay networks of the swarm. */
    readonly overlays: number;
    readonly bootSeconds: number;
    readonly verifySeconds: number;
    readonly checks: { readonly passed: number; readonly total: number };
    readonly failed: readonly string[];
    readonly teardownSeconds: number;
    readonly memoryMiB: number;
    readonly leftovers: readonly string[];
}

/**
 * The same lab on one of the simulated swarm's hosts and spread over all
 * three: what crossing hosts costs (overlay networks, image copies, one
 * provider per engine), with the engines, driver and machine the same.
 */
function spreadSource(branches: number, hostCount: 1 | 3): LabSource & { readonly branches: number; readonly hostCount: 1 | 3 } {
    const names = Object.keys(SIM_SWARM_HOSTS).slice(0, hostCount) as (keyof typeof SIM_SWARM_HOSTS)[];
    const name = `vnetlab-hub-${branches}-${hostCount}h`;
    const lab = hubAndSpokeLab(branches, { hosts: Object.fromEntries(names.map((h) => [h, SIM_SWARM_HOSTS[h]])), driver: "bridge", name });
    return { stack: name, lab, branches, hostCount };
}

async function benchSpread(source: ReturnType<typeof spreadSource>): Promise<SpreadRow> {
    const { stack: name, lab: config, branches, hostCount } = source;
    const plan = planLab(parseLab(config, name), name);
    process.stderr.write(`bench ${name}: ${plan.nodes.length} nodes on ${hostCount} host(s): boot ...`);
    const stack = await LabStack.open(`bench-${name}`, { lab: config });
    try {
        const t0 = Date.now();
        const deployed = await stack.up();
        const bootSeconds = since(t0);
        process.stderr.write(` ${bootSeconds.toFixed(1)} s; verify ...`);
        const docker = labDocker(deployed.plan);
        const t1 = Date.now();
        const results = await verifyLab(deployed.plan, { docker });
        const verifySeconds = since(t1);
        const memory = await memoryMiB(docker, deployed.plan.nodes.map((n) => n.containerName));
        process.stderr.write(` ${verifySeconds.toFixed(1)} s; teardown ...`);
        const t2 = Date.now();
        await stack.destroy();
        const teardownSeconds = since(t2);
        process.stderr.write(` ${teardownSeconds.toFixed(1)} s\n`);
        return {
            lab: name, branches, hosts: hostCount, nodes: plan.nodes.length, overlays: plan.segments.filter((seg) => seg.driver === "overlay").length,
            bootSeconds, verifySeconds, teardownSeconds, memoryMiB: memory,
            checks: { passed: results.filter((r) => r.pass).length, total: results.length },
            failed: results.filter((r) => !r.pass).map((r) => `${r.id}: expected ${r.expected}; observed ${r.observed}`),
            leftovers: await labLeftovers(docker, plan),
        };
    } finally {
        await removeBenchStack(stack);
    }
}

function spreadTable(rows: readonly SpreadRow[]): string {
    const header = ["lab", "hosts", "nodes", "overlays", "boot s", "verify s", "checks", "teardown s", "memory MiB"];
    const lines = rows.map((r) => [r.lab, String(r.hosts), String(r.nodes), String(r.overlays), r.bootSeconds.toFixed(1), r.verifySeconds.toFixed(1),
        `${r.checks.passed}/${r.checks.total}`, r.teardownSeconds.toFixed(1), r.memoryMiB.toFixed(1)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    return [header, ...lines].map((line) => line.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

const USAGE = "usage: npm run bench -- [--stacks a,b] [--hub 1,10,25] [--recovery] [--multi-host 10,30] [--out DIR] [--dry-run]   (--stacks: Pulumi.<stack>.yaml of this project, or hub-and-spoke-<N>)";

/** --hub 1,10: the generated labs hub-and-spoke-1 and hub-and-spoke-10. */
function hubs(text: string): LabSource[] {
    return text.split(",").filter(Boolean).map((s) => {
        if (!/^\d+$/.test(s)) throw new UsageError(`--hub: "${s}" is not a number of branches`);
        return resolveLab(hubAndSpokeStack(Number(s)), "--hub");
    });
}

function table(rows: readonly Row[]): string {
    const header = ["lab", "nodes", "segments", "floor s", "boot s", "boot/floor", "verify s", "verify s/site", "checks", "deadline s",
        "preview s", "no-op up s", "teardown s", "floor teardown s", "teardown/floor", "memory MiB", "MiB/node"];
    const lines = rows.map((r) => [r.lab, String(r.nodes), String(r.segments), r.floorSeconds.toFixed(1), r.bootSeconds.toFixed(1), (r.bootSeconds / r.floorSeconds).toFixed(2),
        r.verifySeconds.toFixed(1), (r.verifySeconds / r.sites).toFixed(2), `${r.checks.passed}/${r.checks.total}`, r.deadline ? r.deadline.seconds.toFixed(2) : "-",
        r.previewSeconds.toFixed(1), r.noopUpSeconds.toFixed(1),
        r.teardownSeconds.toFixed(1), r.floorTeardownSeconds.toFixed(1), (r.teardownSeconds / r.floorTeardownSeconds).toFixed(2),
        r.memoryMiB.toFixed(1), (r.memoryMiB / r.nodes).toFixed(2)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    return [header, ...lines].map((line) => line.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<number> {
    const { values } = parseCommandLine({
        options: {
            stacks: { type: "string" },
            hub: { type: "string" },
            recovery: { type: "boolean" },
            "multi-host": { type: "string" },
            out: { type: "string", default: path.join(PROJECT_DIR, "docs", "bench") },
            "dry-run": { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    // By default every shipped stack that runs on the local engine: one that names hosts needs them up (--multi-host brings the simulated ones).
    const stacks = values.stacks !== undefined
        ? values.stacks.split(",").filter(Boolean).map((s) => resolveLab(s, "--stacks"))
        : knownStacks().map((s) => resolveLab(s, "--stacks")).filter((source) => Object.keys(parseLab(source.lab, source.stack).hosts).length === 0);
    const generated = values.hub !== undefined ? hubs(values.hub) : [];
    const spread = (values["multi-host"] ?? "").split(",").filter(Boolean).flatMap((n) => {
        if (!/^\d+$/.test(n) || Number(n) < 1) throw new UsageError(`--multi-host: "${n}" is not a number of branches`);
        return ([1, 3] as const).map((hosts) => spreadSource(Number(n), hosts));
    });
    // Every lab planned before the first is measured: a broken config stops the bench now, not an hour in.
    for (const source of [...stacks, ...generated, ...spread]) {
        try {
            const plan = planLab(parseLab(source.lab, source.stack), source.stack);
            if (values["dry-run"]) console.log(`${source.stack}: ${plan.nodes.length} nodes, ${plan.segments.length} segments, from ${labOrigin(source)}`);
        } catch (e) {
            if (!(e instanceof LabConfigError)) throw e;
            console.error(`${labOrigin(source)}: ${e.message}`);
            return 1;
        }
    }
    if (values["dry-run"]) return 0;

    const docker = new Docker();
    // The bench's stacks live in a backend of its own, removed at the end: a user's stacks stay untouched.
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-bench-state-"));
    process.env.PULUMI_BACKEND_URL = `file://${backend}`;
    // The node image, built (or found in the build cache) before the first boot, as a user's second lab finds it.
    await buildNodeImage(planLab(parseLab(hubAndSpokeLab(1), "empty"), "empty").image);
    const rows: Row[] = [];
    const refused: string[] = [];
    for (const source of stacks) {
        try {
            rows.push(await bench(docker, source, values.recovery ?? false));
        } catch (e) {
            // A lab this host cannot carry (transport mode without kernel ESP) is no measurement, and no failure.
            if (!(e instanceof DataplaneUnavailableError)) throw e;
            refused.push(`${source.stack}: not run on this host: ${e.message.split("\n").slice(1).map((l) => l.trim()).join(" ")}`);
            process.stderr.write(`bench ${source.stack}: refused (the host's kernel has no IPsec ESP)\n`);
        }
    }
    for (const source of generated) rows.push(await bench(docker, source, values.recovery ?? false));
    const spreadRows: SpreadRow[] = [];
    if (spread.length > 0) {
        simSwarm("up");
        try {
            for (const source of spread) spreadRows.push(await benchSpread(source));
        } finally {
            simSwarm("down");
        }
    }

    fs.rmSync(backend, { recursive: true, force: true });
    console.log(table(rows));
    if (spreadRows.length > 0) console.log(`\nthe same hub-and-spoke on one host and over three (the simulated swarm, bridge segments):\n${spreadTable(spreadRows)}`);
    for (const r of spreadRows) for (const f of r.failed) console.log(`${r.lab} FAILED ${f}`);
    for (const r of rows.filter((x) => x.recovery)) {
        const times = Object.entries(r.recovery!.seconds).map(([fault, s]) => `${fault}: ${s === null ? "not healed" : `${s.toFixed(1)} s`}`);
        console.log(`${r.lab}: healed after a fault on ${r.recovery!.node}: ${times.join("; ")} (bound ${RECOVERY_BOUND_SECONDS} s)`);
    }
    for (const r of rows.filter((x) => x.deadline)) console.log(`${r.lab}: must-not-reach deadline ${r.deadline!.seconds} s (${r.deadline!.why})`);
    for (const r of rows) for (const f of r.failed) console.log(`${r.lab} FAILED ${f}`);
    for (const line of refused) console.log(line);
    const left = [...rows, ...spreadRows].filter((r) => r.leftovers.length > 0);
    for (const r of left) console.log(`${r.lab} LEFT BEHIND: ${r.leftovers.join(", ")}`);
    console.log("\nseed paper (Docker Compose, fresh boot incl. building the environment): 75 s, 278 MB peak");

    fs.mkdirSync(values.out, { recursive: true });
    const stamp = { date: new Date().toISOString(), cpus: os.cpus().length, engine: "pulumi" };
    fs.writeFileSync(path.join(values.out, "bench.json"), `${JSON.stringify({ ...stamp, rows, ...(spreadRows.length > 0 ? { multiHost: spreadRows } : {}) }, null, 2)}\n`);
    const points: PlotPoint[] = rows.filter((r) => r.branches !== undefined).flatMap((r) => [
        { branches: r.branches!, measure: "floor (bare docker run)", seconds: r.floorSeconds },
        { branches: r.branches!, measure: "boot", seconds: r.bootSeconds },
        { branches: r.branches!, measure: "verify", seconds: r.verifySeconds },
        { branches: r.branches!, measure: "teardown", seconds: r.teardownSeconds },
    ]);
    if (points.length > 0) fs.writeFileSync(path.join(values.out, "bench.svg"), await plotSvg(points, `vnetlab on ${stamp.cpus} cores: hub-and-spoke labs`));
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(values.out, "bench.json"))}${points.length > 0 ? " and bench.svg" : ""}`);
    const unhealed = rows.some((r) => r.recovery && Object.values(r.recovery.seconds).some((s) => s === null));
    return left.length > 0 || unhealed || [...rows, ...spreadRows].some((r) => r.checks.passed !== r.checks.total) ? 1 : 0;
}

runCommand("vnetlab bench", main);
