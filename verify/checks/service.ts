// A client reaches a service through its own site's service address (DNAT,
// tunnel, return path), and the answer names the instance that must serve it.
// A road warrior's answer also names the peer the server saw: the virtual IP
// the road warrior's own SA says it was given.
// Requests run side by side: with trap tunnels they are what brings SAs up
// (their first SYN waits for the tunnel, so they say nothing of the lab's round trip).
import type { CheckSpec } from "../derive";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, httpUrl, listSa } from "./context";
import { Subnet, canonical, isAddress } from "../../plan/ip";

export type ServiceSpec = Extract<CheckSpec, { kind: "service" }>;

export const runServiceChecks: RunKind<ServiceSpec> = async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const expected = `HTTP answer from instance ${s.instance}` +
            (s.virtualIpPool ? `, to ${s.from}'s virtual IP, out of ${s.virtualIpPool}` : "");
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const r = await ctx.exec(s.from, ["curl", "-sS", "-g", "-m", String(Math.max(5, ctx.timeoutSeconds - 5)), httpUrl(s.address, s.port, "vnetlab-verify")]);
            const body = r.stdout.trim().split("\n")[0] ?? "";
            const answered = r.exitCode === 0 && body.split(/\s+/).includes(`instance=${s.instance}`);
            if (!s.virtualIpPool || !answered) {
                return { expected, observed: r.exitCode === 0 ? body : `curl exit ${r.exitCode}: ${r.stderr.trim()}`, pass: answered };
            }
            // The road warrior's own SA says which address it was given; the server says whom it saw.
            const { sa } = await listSa(ctx, s.from, s.tunnel);
            const pool = Subnet.parse(s.family, s.virtualIpPool);
            const vip = sa?.ike.localVips.find((a) => isAddress(s.family, a) && pool.contains(a));
            const peer = /(?:^|\s)peer=(\S+)/.exec(body)?.[1];
            return {
                expected,
                observed: `${body}; virtual IP ${vip ?? `none in ${s.virtualIpPool} (got ${sa?.ike.localVips.join(",") || "none"})`}`,
                pass: vip !== undefined && peer !== undefined && canonical(s.family, peer) === canonical(s.family, vip),
            };
        }));
    });
};
