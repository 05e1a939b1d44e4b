// Carries out derived checks against a deployed lab, one kind after another
// (./checks: one module per kind), each kind in batches side by side:
// services first, then SAs (each brings its own trap tunnel up), the
// wire (whose requests measure the lab's round trip), and the probes whose
// must-not-reach deadline that round trip justifies.
import Docker from "dockerode";
import type { LabPlan } from "../plan/types";
import type { CheckSpec } from "./derive";
import { execIn } from "./exec";
import { CHARON_LOG, START_LOG } from "../configs/paths";
import type { CheckContext, Outcome, RunKind } from "./checks/context";
import { runServiceChecks } from "./checks/service";
import { runSaChecks } from "./checks/sa";
import { runNatChecks } from "./checks/nat";
import { runWireChecks } from "./checks/wire";
import { ProbeDeadline, probeDeadline, runProbeChecks } from "./checks/probe";

export interface CheckResult {
    readonly id: string;
    readonly kind: CheckSpec["kind"];
    readonly expected: string;
    readonly observed: string;
    readonly pass: boolean;
    readonly seconds: number;
    /** Nodes whose logs explain a failure. */
    readonly nodes: readonly string[];
    /** The tunnel the check proves (SAs, wire) or travels through (service). */
    readonly tunnel?: string;
    /** The node the check aims at: a service's server, a probe's destination. */
    readonly target?: string;
}

export interface RunOptions {
    readonly docker: Docker;
    /** Upper bound for one check. */
    readonly timeoutSeconds?: number;
    /** Called as each check completes, just before onResult; index is the check's place in the list. */
    readonly onProgress?: (index: number, total: number, spec: CheckSpec) => void;
    readonly onResult?: (result: CheckResult) => void;
    /** Called once the must-not-reach deadline is known. */
    readonly onDeadline?: (deadline: ProbeDeadline) => void;
}

type Of<K extends CheckSpec["kind"]> = Extract<CheckSpec, { kind: K }>;

export async function runChecks(plan: LabPlan, specs: readonly CheckSpec[], options: RunOptions): Promise<CheckResult[]> {
    const containers = new Map(plan.nodes.map((n) => [n.name, n.containerName]));
    const containerOf = (node: string) => containers.get(node)!;
    const timeoutSeconds = options.timeoutSeconds ?? 20;
    const ctx: CheckContext = {
        plan, docker: options.docker, timeoutSeconds, containerOf,
        exec: (node, cmd, seconds = timeoutSeconds) => execIn(options.docker, containerOf(node), cmd, seconds),
    };
    const gatewayOf = (node: string) => {
        const site = plan.nodes.find((n) => n.name === node)?.site;
        return plan.nodes.find((n) => n.role === "gateway" && n.site === site)?.name;
    };
    const results = new Map<CheckSpec, CheckResult>();
    const indexOf = new Map(specs.map((s, i) => [s, i]));
    const done = (spec: CheckSpec, outcome: Outcome) => {
        const nodes = spec.kind === "sa" ? [spec.gateway]
            : spec.kind === "nat" ? [spec.from, spec.router, spec.responder]
                : [spec.from, gatewayOf(spec.from)].filter((n): n is string => n !== undefined);
        const result: CheckResult = {
            id: spec.id, kind: spec.kind, ...outcome, nodes,
            ...("tunnel" in spec ? { tunnel: spec.tunnel } : {}),
            ...("target" in spec && spec.target !== undefined ? { target: spec.target } : {}),
        };
        results.set(spec, result);
        options.onProgress?.(indexOf.get(spec)!, specs.length, spec);
        options.onResult?.(result);
    };
    const ofKind = <K extends CheckSpec["kind"]>(kind: K) => specs.filter((s): s is Of<K> => s.kind === kind);
    const run = <K extends CheckSpec["kind"]>(kind: K, runKind: RunKind<Of<K>>) => runKind(ofKind(kind), ctx, done);

    const connectSeconds: number[] = [];
    await run("service", runServiceChecks);
    await run("sa", runSaChecks);
    await run("nat", runNatChecks);
    await run("wire", runWireChecks(connectSeconds));
    const deadline = probeDeadline(connectSeconds);
    options.onDeadline?.(deadline);
    await run("probe", runProbeChecks(deadline));
    return specs.map((s) => results.get(s)!);
}

/** The tail of the logs that explain a failed check on a node. */
export async function nodeLogs(docker: Docker, plan: LabPlan, node: string, lines = 25): Promise<string> {
    const n = plan.nodes.find((x) => x.name === node);
    if (!n) return "";
    const r = await execIn(docker, n.containerName, ["sh", "-c",
        `for f in ${START_LOG} ${CHARON_LOG}; do [ -f $f ] && { echo "--- $f"; tail -n ${lines} $f; }; done; true`], 10)
        .catch((e: Error) => ({ stdout: `(no logs: ${e.message})` }));
    return r.stdout;
}
