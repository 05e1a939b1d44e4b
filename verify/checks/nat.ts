// A tunnel whose initiator sits behind a NAT router really crossed it: the
// responder meets the initiator at the router's outside address, and at a
// port other than the one the initiator sends from (the router picks its own).
// strongSwan's userspace dataplane fakes a NAT to force UDP encapsulation, so
// "NAT-T in use" alone would prove nothing here.
import type { CheckSpec } from "../derive";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, listSa } from "./context";

export type NatSpec = Extract<CheckSpec, { kind: "nat" }>;

export const runNatChecks: RunKind<NatSpec> = async (specs, ctx, done) => {
    await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
        const expected = `${s.responder} meets ${s.from} at ${s.natAddress} (NAT router ${s.router}), from a port other than ${s.from}'s own`;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            const [near, far] = (await Promise.all([s.from, s.responder].map((node) => listSa(ctx, node, s.tunnel)))).map((r) => r.sa);
            if (!near || !far) return { expected, observed: `no IKE SA on ${!near ? s.from : s.responder}`, pass: false };
            const { localHost, localPort } = near.ike;
            const { remoteHost, remotePort } = far.ike;
            return {
                expected,
                observed: `${s.from} sends from ${localHost}:${localPort}; ${s.responder} sees ${remoteHost}:${remotePort}`,
                pass: remoteHost === s.natAddress && localHost !== undefined && localHost !== remoteHost &&
                    localPort !== undefined && remotePort !== undefined && localPort !== remotePort,
            };
        }));
    });
};
