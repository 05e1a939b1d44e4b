// A client reaches a service through its own site's service address (DNAT,
// tunnel, return path), and the answer names the instance that must serve it.
// Requests run side by side: with trap tunnels they are what brings SAs up
// (their first SYN waits for the tunnel, so they say nothing of the lab's round trip).
import type { CheckSpec } from "../derive";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, httpUrl } from "./context";

export type ServiceSpec = Extract<CheckSpec, { kind: "service" }>;

export const runServiceChecks: RunKind<ServiceSpec> = async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const expected = `HTTP answer from instance ${s.instance}`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const r = await ctx.exec(s.from, ["curl", "-sS", "-g", "-m", String(Math.max(5, ctx.timeoutSeconds - 5)), httpUrl(s.address, s.port, "vnetlab-verify")]);
            const body = r.stdout.trim().split("\n")[0] ?? "";
            return {
                expected,
                observed: r.exitCode === 0 ? body : `curl exit ${r.exitCode}: ${r.stderr.trim()}`,
                pass: r.exitCode === 0 && body.split(/\s+/).includes(`instance=${s.instance}`),
            };
        }));
    });
};
