// On each end of a tunnel the IKE SA is ESTABLISHED and the CHILD SA
// INSTALLED, with the configured algorithms and exactly the planned selectors.
import type { CheckSpec } from "../derive";
import { expectedAlgorithms, parseRawSas } from "../ipsec";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited } from "./context";

export type SaSpec = Extract<CheckSpec, { kind: "sa" }>;

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export const runSaChecks: RunKind<SaSpec> = async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const tunnel = ctx.plan.tunnels.find((t) => t.name === s.tunnel)!;
        const near = tunnel.ends.find((e) => e.gateway === s.gateway)!;
        const far = tunnel.ends.find((e) => e.gateway !== s.gateway)!;
        const ike = expectedAlgorithms(tunnel.ike, "ike");
        const esp = expectedAlgorithms(tunnel.esp, "esp");
        // Named only for transport: charon falls back to tunnel mode when the peer does not agree, which would otherwise pass unseen.
        const transport = tunnel.mode === "transport";
        const expected = `IKE ESTABLISHED ${ike.join("/")}; CHILD INSTALLED${transport ? " TRANSPORT" : ""} ${esp.join("/")} ` +
            `${near.trafficSelectors.join(",")} === ${far.trafficSelectors.join(",")}`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const r = await ctx.exec(s.gateway, ["swanctl", "--list-sas", "--ike", s.tunnel, "--raw"]);
            const sa = parseRawSas(r.stdout);
            if (!sa) return { expected, observed: r.exitCode === 0 ? "no IKE SA" : `swanctl exit ${r.exitCode}: ${r.stderr.trim()}`, pass: false };
            const child = sa.children.find((c) => c.state === "INSTALLED") ?? sa.children[0];
            const observed = `IKE ${sa.ike.state} ${sa.ike.algorithms.join("/")}; ` +
                (child ? `CHILD ${child.state}${child.mode === "TRANSPORT" || transport ? ` ${child.mode ?? "(no mode)"}` : ""} ${child.algorithms.join("/")} ` +
                    `${child.localTs.join(",")} === ${child.remoteTs.join(",")}` : "no CHILD SA");
            const pass = sa.ike.state === "ESTABLISHED" && ike.every((a) => sa.ike.algorithms.includes(a)) &&
                child !== undefined && child.state === "INSTALLED" && esp.every((a) => child.algorithms.includes(a)) &&
                (transport ? child.mode === "TRANSPORT" : child.mode !== "TRANSPORT") &&
                sameSet(child.localTs, near.trafficSelectors) && sameSet(child.remoteTs, far.trafficSelectors);
            return { expected, observed, pass };
        }));
    });
};
