// On each end of a tunnel the IKE SA is ESTABLISHED and the CHILD SA
// INSTALLED, with the configured algorithms and exactly the planned selectors.
import type { CheckSpec } from "../derive";
import { expectedAlgorithms } from "../ipsec";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, listSa } from "./context";
import type { TunnelEnd } from "../../plan/types";
import { Subnet, hostPrefix } from "../../plan/ip";
import { familyOfPrefix } from "../../plan/tunnel";

export type SaSpec = Extract<CheckSpec, { kind: "sa" }>;

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

export const runSaChecks: RunKind<SaSpec> = async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const tunnel = ctx.plan.tunnels.find((t) => t.name === s.tunnel)!;
        const near = tunnel.ends.find((e) => e.gateway === s.gateway)!;
        const far = tunnel.ends.find((e) => e.gateway !== s.gateway)!;
        const ike = expectedAlgorithms(tunnel.ike, "ike");
        const esp = expectedAlgorithms(tunnel.esp, "esp");
        // Named only for transport: charon falls back to tunnel mode when the peer does not agree, which would otherwise pass unseen.
        const transport = tunnel.mode === "transport";
        const expected = `IKE ESTABLISHED ${ike.join("/")}; CHILD INSTALLED${transport ? " TRANSPORT" : ""} ${esp.join("/")} ${describe(near)} === ${describe(far)}`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const { exec: r, sa } = await listSa(ctx, s.gateway, s.tunnel);
            if (!sa) return { expected, observed: r.exitCode === 0 ? "no IKE SA" : `swanctl exit ${r.exitCode}: ${r.stderr.trim()}`, pass: false };
            const child = sa.children.find((c) => c.state === "INSTALLED") ?? sa.children[0];
            const observed = `IKE ${sa.ike.state} ${sa.ike.algorithms.join("/")}; ` +
                (child ? `CHILD ${child.state}${child.mode === "TRANSPORT" || transport ? ` ${child.mode ?? "(no mode)"}` : ""} ${child.algorithms.join("/")} ` +
                    `${child.localTs.join(",")} === ${child.remoteTs.join(",")}` : "no CHILD SA");
            const pass = sa.ike.state === "ESTABLISHED" && ike.every((a) => sa.ike.algorithms.includes(a)) &&
                child !== undefined && child.state === "INSTALLED" && esp.every((a) => child.algorithms.includes(a)) &&
                (transport ? child.mode === "TRANSPORT" : child.mode !== "TRANSPORT") &&
                selectorsMatch(child.localTs, near) && selectorsMatch(child.remoteTs, far);
            return { expected, observed, pass };
        }));
    });
};
