// On each end of a tunnel the IKE SA is ESTABLISHED and the CHILD SA
// INSTALLED, with the configured algorithms and exactly the planned selectors.
// A trap tunnel is first sent a packet its selectors match (derive.ts), so the
// verdict does not depend on which other checks ran before; a failure says
// why, from the tunnel's lines in charon's log.
import type { BringUp, CheckSpec } from "../derive";
import { NegotiatedSa, expectedAlgorithms } from "../ipsec";
import { CheckContext, EXEC_CONCURRENCY, RunKind, bounded, eachLimited, listSa } from "./context";
import type { TunnelEnd, TunnelPlan } from "../../plan/types";
import { Subnet, hostPrefix } from "../../plan/ip";
import { familyOfPrefix, reachableAt } from "../../plan/tunnel";
import { CHARON_LOG } from "../../configs/paths";
import { explainTunnel, parseCharonLog } from "../charon-log";

export type SaSpec = Extract<CheckSpec, { kind: "sa" }>;

/**
 * How long an SA may take to show up: one IKE exchange and, if its first
 * packet met a peer not listening yet, charon's first retransmit (4 s later).
 */
export const SA_SETTLE_SECONDS = 8;
const POLL_MS = 250;
/** Enough of charon's log for a tunnel's latest attempts, however many tunnels share the gateway. */
const LOG_LINES = 3000;

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * A road warrior's selectors are the one address it got from each pool
 * (a host prefix inside the pool), the others exactly the planned ones.
 */
function selectorsMatch(seen: readonly string[], end: TunnelEnd): boolean {
    if (!end.virtualIp) return sameSet(seen, end.trafficSelectors);
    return seen.length === end.trafficSelectors.length && end.trafficSelectors.every((pool) => {
        const family = familyOfPrefix(pool);
        const subnet = Subnet.parse(family, pool);
        return seen.some((ts) => {
            const address = ts.split("/")[0];
            return familyOfPrefix(ts) === family && ts === hostPrefix(family, address) && subnet.contains(address);
        });
    });
}

const describe = (end: TunnelEnd) => (end.virtualIp ? end.trafficSelectors.map((p) => `one address of ${p}`) : end.trafficSelectors).join(",");

/** One packet that the initiator's trap policy catches; its answer does not matter, only that it leaves. */
async function bringUp(ctx: CheckContext, b: BringUp): Promise<void> {
    await ctx.exec(b.from, ["ping", "-c", "1", "-W", "0.3", "-I", b.source, b.address], 5).catch(() => undefined);
}

interface Observation {
    readonly observed: string;
    readonly pass: boolean;
    /** What differs from the plan, when an SA is there to compare. */
    readonly mismatch?: string;
    readonly sa?: NegotiatedSa;
}

function observe(sa: NegotiatedSa | undefined, tunnel: TunnelPlan, near: TunnelEnd, far: TunnelEnd): Observation {
    if (!sa) return { observed: "no IKE SA", pass: false };
    const ike = expectedAlgorithms(tunnel.ike, "ike");
    const esp = expectedAlgorithms(tunnel.esp, "esp");
    const transport = tunnel.mode === "transport";
    const child = sa.children.find((c) => c.state === "INSTALLED") ?? sa.children[0];
    const observed = `IKE ${sa.ike.state} ${sa.ike.algorithms.join("/")}; ` +
        (child ? `CHILD ${child.state}${child.mode === "TRANSPORT" || transport ? ` ${child.mode ?? "(no mode)"}` : ""} ${child.algorithms.join("/")} ` +
            `${child.localTs.join(",")} === ${child.remoteTs.join(",")}` : "no CHILD SA");
    const mismatches = [
        sa.ike.state !== "ESTABLISHED" ? `IKE_SA ${sa.ike.state}, not ESTABLISHED` : "",
        ike.some((a) => !sa.ike.algorithms.includes(a)) ? `IKE algorithms ${sa.ike.algorithms.join("/")}, planned ${ike.join("/")}` : "",
        child && child.state !== "INSTALLED" ? `CHILD_SA ${child.state}, not INSTALLED` : "",
        child && esp.some((a) => !child.algorithms.includes(a)) ? `ESP algorithms ${child.algorithms.join("/")}, planned ${esp.join("/")}` : "",
        child && transport !== (child.mode === "TRANSPORT") ? `mode ${child.mode ?? "unknown"}, planned ${tunnel.mode.toUpperCase()}` : "",
        child && !selectorsMatch(child.localTs, near) ? `local selectors ${child.localTs.join(",") || "none"}, planned ${describe(near)}` : "",
        child && !selectorsMatch(child.remoteTs, far) ? `remote selectors ${child.remoteTs.join(",") || "none"}, planned ${describe(far)}` : "",
    ].filter(Boolean);
    const pass = child !== undefined && mismatches.length === 0;
    return { observed, pass, sa, ...(mismatches.length > 0 ? { mismatch: `differs from the plan: ${mismatches.join("; ")}` } : {}) };
}

/** Why the SA is not what the plan says: what differs, or else what charon logged of the tunnel's last attempt. */
async function explain(ctx: CheckContext, gateway: string, tunnel: string, far: TunnelEnd, seen: Observation): Promise<string> {
    if (seen.mismatch && seen.sa?.children.length) return seen.mismatch;
    const log = await ctx.exec(gateway, ["tail", "-n", String(LOG_LINES), CHARON_LOG], 10).catch(() => undefined);
    const why = log && log.exitCode === 0 ? explainTunnel(parseCharonLog(log.stdout), tunnel, reachableAt(far)) : undefined;
    return why ?? seen.mismatch ?? "charon's log does not say why";
}

export const runSaChecks: RunKind<SaSpec> = async (specs, ctx, done) => {
    // One packet per tunnel, shared by the checks of both its ends.
    const sent = new Map<string, Promise<void>>();
    const bringUpOnce = (s: SaSpec) => {
        if (!s.bringUp) return Promise.resolve();
        if (!sent.has(s.tunnel)) sent.set(s.tunnel, bringUp(ctx, s.bringUp));
        return sent.get(s.tunnel)!;
    };
    const settleSeconds = Math.min(SA_SETTLE_SECONDS, ctx.timeoutSeconds / 2);
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const tunnel = ctx.plan.tunnels.find((t) => t.name === s.tunnel)!;
        const near = tunnel.ends.find((e) => e.gateway === s.gateway)!;
        const far = tunnel.ends.find((e) => e.gateway !== s.gateway)!;
        // Named only for transport: charon falls back to tunnel mode when the peer does not agree, which would otherwise pass unseen.
        const transport = tunnel.mode === "transport";
        const expected = `IKE ESTABLISHED ${expectedAlgorithms(tunnel.ike, "ike").join("/")}; CHILD INSTALLED${transport ? " TRANSPORT" : ""} ` +
            `${expectedAlgorithms(tunnel.esp, "esp").join("/")} ${describe(near)} === ${describe(far)}`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            await bringUpOnce(s);
            const until = Date.now() + settleSeconds * 1000;
            for (;;) {
                const { exec: r, sa } = await listSa(ctx, s.gateway, s.tunnel);
                if (r.exitCode !== 0) return { expected, observed: `swanctl exit ${r.exitCode}: ${r.stderr.trim()}`, pass: false };
                const seen = observe(sa, tunnel, near, far);
                if (seen.pass) return { expected, observed: seen.observed, pass: true };
                if (Date.now() >= until) {
                    return { expected, observed: `${seen.observed} — ${await explain(ctx, s.gateway, s.tunnel, far, seen)}`, pass: false };
                }
                await new Promise((resolve) => setTimeout(resolve, POLL_MS));
            }
        }));
    });
};
