// A client reaches a service through its own site's service address (DNAT,
// tunnel, return path), and the answer names the instance that must serve it.
// Requests run side by side: with trap tunnels they are what brings SAs up.
import type { CheckSpec } from "../derive";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, httpUrl } from "./context";

export type ServiceSpec = Extract<CheckSpec, { kind: "service" }>;

/** curl's -w line: TCP connect time, so the report can say what a round trip costs in this lab. */
const TIMING = "\\nvnetlab-connect-seconds=%{time_connect}\\n";

export interface ServiceTimings {
    /** Seconds to connect, per request that connected. */
    readonly connectSeconds: number[];
}

export const runServiceChecks = (timings: ServiceTimings): RunKind<ServiceSpec> => async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const expected = `HTTP answer from instance ${s.instance}`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const r = await ctx.exec(s.from, ["curl", "-sS", "-g", "-m", String(Math.max(5, ctx.timeoutSeconds - 5)), "-w", TIMING, httpUrl(s.address, s.port, "vnetlab-verify")]);
            const lines = r.stdout.split("\n");
            const body = lines[0]?.trim() ?? "";
            const connect = Number(/^vnetlab-connect-seconds=([\d.]+)$/m.exec(r.stdout)?.[1]);
            if (r.exitCode === 0 && connect > 0) timings.connectSeconds.push(connect);
            return {
                expected,
                observed: r.exitCode === 0 ? body : `curl exit ${r.exitCode}: ${r.stderr.trim()}`,
                pass: r.exitCode === 0 && body.split(/\s+/).includes(`instance=${s.instance}`),
            };
        }));
    });
};
