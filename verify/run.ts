import * as crypto from "crypto";
import Docker from "dockerode";
import type { LabPlan } from "../plan/types";
import { CheckSpec } from "./derive";
import { execDetached, execIn } from "./exec";
import { expectedAlgorithms, parseRawSas } from "./ipsec";
import { CHARON_LOG, START_LOG } from "../configs/paths";

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
    readonly onProgress?: (index: number, total: number, spec: CheckSpec) => void;
    readonly onResult?: (result: CheckResult) => void;
}

/** How many probes run at once. */
const PROBE_CONCURRENCY = 8;

type Outcome = Pick<CheckResult, "expected" | "observed" | "pass">;

const url = (address: string, port: number, path: string) => `http://${address.includes(":") ? `[${address}]` : address}:${port}/${path}`;

export async function runChecks(plan: LabPlan, specs: readonly CheckSpec[], options: RunOptions): Promise<CheckResult[]> {
    const container = (node: string) => plan.nodes.find((n) => n.name === node)!.containerName;
    const timeout = options.timeoutSeconds ?? 20;
    const exec = (node: string, cmd: readonly string[], seconds = timeout) => execIn(options.docker, container(node), cmd, seconds);
    const gatewayOf = (node: string) => {
        const site = plan.nodes.find((n) => n.name === node)?.site;
        return plan.nodes.find((n) => n.role === "gateway" && n.site === site)?.name;
    };

    const checkService = async (s: Extract<CheckSpec, { kind: "service" }>): Promise<Outcome> => {
        const r = await exec(s.from, ["curl", "-sS", "-g", "-m", String(Math.max(5, timeout - 5)), url(s.address, s.port, "vnetlab-verify")]);
        const body = r.stdout.trim().split("\n")[0] ?? "";
        return {
            expected: `HTTP answer from instance ${s.instance}`,
            observed: r.exitCode === 0 ? body : `curl exit ${r.exitCode}: ${r.stderr.trim()}`,
            pass: r.exitCode === 0 && body.split(/\s+/).includes(`instance=${s.instance}`),
        };
    };

    const checkSa = async (s: Extract<CheckSpec, { kind: "sa" }>): Promise<Outcome> => {
        const tunnel = plan.tunnels.find((t) => t.name === s.tunnel)!;
        const near = tunnel.ends.find((e) => e.gateway === s.gateway)!;
        const far = tunnel.ends.find((e) => e.gateway !== s.gateway)!;
        const ike = expectedAlgorithms(tunnel.ike, "ike");
        const esp = expectedAlgorithms(tunnel.esp, "esp");
        const expected = `IKE ESTABLISHED ${ike.join("/")}; CHILD INSTALLED ${esp.join("/")} ${near.trafficSelectors.join(",")} === ${far.trafficSelectors.join(",")}`;
        const r = await exec(s.gateway, ["swanctl", "--list-sas", "--ike", s.tunnel, "--raw"]);
        const sa = parseRawSas(r.stdout);
        if (!sa) return { expected, observed: r.exitCode === 0 ? "no IKE SA" : `swanctl exit ${r.exitCode}: ${r.stderr.trim()}`, pass: false };
        const child = sa.children.find((c) => c.state === "INSTALLED") ?? sa.children[0];
        const observed = `IKE ${sa.ike.state} ${sa.ike.algorithms.join("/")}; ` +
            (child ? `CHILD ${child.state} ${child.algorithms.join("/")} ${child.localTs.join(",")} === ${child.remoteTs.join(",")}` : "no CHILD SA");
        const pass = sa.ike.state === "ESTABLISHED" && ike.every((a) => sa.ike.algorithms.includes(a)) &&
            child !== undefined && child.state === "INSTALLED" && esp.every((a) => child.algorithms.includes(a)) &&
            sameSet(child.localTs, near.trafficSelectors) && sameSet(child.remoteTs, far.trafficSelectors);
        return { expected, observed, pass };
    };

    const checkWire = async (s: Extract<CheckSpec, { kind: "wire" }>): Promise<Outcome> => {
        const router = plan.nodes.find((n) => n.role === "router")!.name;
        const marker = `vnetlab-wire-${crypto.randomBytes(6).toString("hex")}`;
        const pcap = "/tmp/vnetlab-verify.pcap";
        const [a, b] = s.between;
        await exec(router, ["sh", "-c", `pkill -x tcpdump; rm -f ${pcap}`]);
        await execDetached(options.docker, container(router), [
            "timeout", String(timeout), "tcpdump", "-i", "any", "-nn", "-U", "-Z", "root", "-w", pcap,
            `(host ${a} and host ${b}) or tcp port ${s.port}`,
        ]);
        await exec(router, ["sh", "-c", `for i in $(seq 50); do [ -s ${pcap} ] && exit 0; sleep 0.1; done; exit 1`]);
        const request = await exec(s.from, ["curl", "-sS", "-g", "-m", "10", url(s.address, s.port, marker)]);
        await exec(router, ["sh", "-c", "sleep 0.5; pkill -INT -x tcpdump; sleep 0.5"]);
        const read = await exec(router, ["sh", "-c", `tcpdump -nn -r ${pcap} 2>/dev/null; echo "marker=$(grep -a -c ${marker} ${pcap})"`]);
        const lines = read.stdout.split("\n").filter((l) => l.trim() && !l.startsWith("marker="));
        const esp = lines.filter((l) => /ESP\(spi=/.test(l)).length;
        const plaintext = lines.filter((l) => new RegExp(`\\.${s.port}[ :]`).test(l) && !/ESP\(spi=/.test(l)).length;
        const markerSeen = !/marker=0\b/.test(read.stdout);
        return {
            expected: `ESP between ${a} and ${b}, no plaintext of port ${s.port}`,
            observed: `${esp} ESP packet(s), ${plaintext} plaintext packet(s), marker ${markerSeen ? "SEEN" : "absent"}; request ${request.exitCode === 0 ? "answered" : "failed"}`,
            pass: request.exitCode === 0 && esp >= 2 && plaintext === 0 && !markerSeen,
        };
    };

    const checkProbe = async (s: Extract<CheckSpec, { kind: "probe" }>): Promise<Outcome> => {
        const target = `${s.protocol} ${s.address}${s.port !== undefined ? ` port ${s.port}` : ""}`;
        let reached: boolean;
        let detail: string;
        if (s.protocol === "icmp") {
            const r = await exec(s.from, ["ping", s.family === "ipv6" ? "-6" : "-4", "-c", "2", "-W", "2", s.address]);
            reached = r.exitCode === 0;
            detail = reached ? "echo reply" : "no reply";
        } else {
            const r = await exec(s.from, ["vnetlab-probe", s.protocol, s.address, String(s.port), "--timeout", "3"]);
            detail = r.stdout.trim() || `probe exit ${r.exitCode}: ${r.stderr.trim()}`;
            reached = ["open", "refused", "answered"].includes(detail);
        }
        return {
            expected: `${s.expect === "reach" ? "reaches" : "cannot reach"} ${target} (${s.why})`,
            observed: detail,
            pass: (s.expect === "reach") === reached,
        };
    };

    const runOne = async (spec: CheckSpec, index: number): Promise<CheckResult> => {
        options.onProgress?.(index, specs.length, spec);
        const started = Date.now();
        let outcome: Outcome;
        try {
            outcome = await withTimeout(
                spec.kind === "service" ? checkService(spec)
                    : spec.kind === "sa" ? checkSa(spec)
                        : spec.kind === "wire" ? checkWire(spec)
                            : checkProbe(spec),
                (timeout + 15) * 1000,
            );
        } catch (e) {
            outcome = { expected: "-", observed: `error: ${(e as Error).message}`, pass: false };
        }
        const nodes = spec.kind === "sa" ? [spec.gateway]
            : [spec.from, gatewayOf(spec.from)].filter((n): n is string => n !== undefined);
        const result: CheckResult = {
            id: spec.id, kind: spec.kind, ...outcome, seconds: (Date.now() - started) / 1000, nodes,
            ...("tunnel" in spec ? { tunnel: spec.tunnel } : {}),
            ...("target" in spec && spec.target !== undefined ? { target: spec.target } : {}),
        };
        options.onResult?.(result);
        return result;
    };

    const results: CheckResult[] = [];
    for (let i = 0; i < specs.length;) {
        if (specs[i].kind !== "probe") {
            results.push(await runOne(specs[i], i));
            i++;
            continue;
        }
        // A blocked probe waits out its timeout; probes touch no shared state, so they wait side by side.
        let end = i;
        while (end < specs.length && specs[end].kind === "probe") end++;
        for (let batch = i; batch < end; batch += PROBE_CONCURRENCY) {
            const indexes = Array.from({ length: Math.min(PROBE_CONCURRENCY, end - batch) }, (_, k) => batch + k);
            results.push(...await Promise.all(indexes.map((k) => runOne(specs[k], k))));
        }
        i = end;
    }
    return results;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && a.every((x) => b.includes(x));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`check timed out after ${ms / 1000}s`)), ms);
        promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
    });
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
