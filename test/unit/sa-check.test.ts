// The SA check on its own: it brings a trap tunnel up itself, leaves a tunnel
// that starts at boot alone, and says why a tunnel is not up in charon's words.
import { expect } from "chai";
import type Docker from "dockerode";
import { knownStacks } from "../../cli/lab-name";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { Subnet } from "../../plan/ip";
import type { LabPlan } from "../../plan/types";
import { deriveChecks } from "../../verify/derive";
import type { ExecResult } from "../../verify/exec";
import type { Outcome } from "../../verify/checks/context";
import { runSaChecks, SaSpec } from "../../verify/checks/sa";
import { explainTunnel, parseCharonLog, tunnelLines } from "../../verify/charon-log";
import { TWO_TRAPS } from "../support/two-traps";

const planOf = (stack: string, lab: unknown = loadStackLab(stack)) => planLab(parseLab(lab, stack), stack);

// swanctl --list-sas --raw of an established v4 on gateway-a (strongSwan 6.0.1), and of an IKE_SA without its CHILD_SA.
const ESTABLISHED = "list-sa event {v4 {uniqueid=5 version=2 state=ESTABLISHED local-host=172.31.61.2 local-port=4500 remote-host=172.31.62.2 remote-port=4500 " +
    "encr-alg=AES_GCM_16 encr-keysize=256 prf-alg=PRF_HMAC_SHA2_384 dh-group=ECP_384 child-sas {v4-5 {name=v4 state=INSTALLED mode=TUNNEL " +
    "encr-alg=AES_GCM_16 encr-keysize=256 local-ts=[10.61.1.0/24] remote-ts=[10.61.2.0/24]}}}}\nlist-sas reply {}\n";
const NO_CHILD = ESTABLISHED.replace(/child-sas \{.*\}\}\}\}/, "child-sas {}}}");

// Lines of gateway-a's (initiator) and gateway-b's (responder) charon.log, as they were when each thing broke.
const LOG_A = `2026-12-05T16:43:55 16[IKE] <v4|3> initiating IKE_SA v4[3] to 172.31.62.2
2026-12-05T16:43:55 09[NET] <v4|3> received packet: from 172.31.62.2[500] to 172.31.61.2[500] (36 bytes)
2026-12-05T16:43:55 09[ENC] <v4|3> parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]
2026-12-05T16:43:55 09[IKE] <v4|3> received NO_PROPOSAL_CHOSEN notify error
2026-12-05T16:43:59 15[NET] <v6|1> received packet: from fd00:31:62::2[4500] to fd00:31:61::2[4500] (57 bytes)`;
const LOG_B = `2026-12-05T16:43:55 13[IKE] <v4|2> IKE_SA deleted
2026-12-05T16:43:55 12[NET] <3> received packet: from 172.31.61.2[500] to 172.31.62.2[500] (296 bytes)
2026-12-05T16:43:55 12[IKE] <3> 172.31.61.2 is initiating an IKE_SA
2026-12-05T16:43:55 12[CFG] <3> received proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384
2026-12-05T16:43:55 12[CFG] <3> configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
2026-12-05T16:43:55 12[IKE] <3> received proposals unacceptable
2026-12-05T16:43:55 12[ENC] <3> generating IKE_SA_INIT response 0 [ N(NO_PROP) ]
2026-12-05T16:43:56 14[NET] <4> received packet: from 172.31.99.9[500] to 172.31.62.2[500] (296 bytes)
2026-12-05T16:43:56 14[IKE] <4> received proposals unacceptable`;
const LOG_TS = `2026-12-05T16:44:23 13[IKE] <v4|5> IKE_SA v4[5] established between 172.31.61.2[172.31.61.2]...172.31.62.2[172.31.62.2]
2026-12-05T16:44:23 13[IKE] <v4|5> received TS_UNACCEPTABLE notify, no CHILD_SA built
2026-12-05T16:44:23 13[IKE] <v4|5> failed to establish CHILD_SA, keeping IKE_SA`;

interface Fake {
    readonly commands: string[][];
    readonly outcomes: Map<string, Outcome>;
}

/** Runs the SA checks against canned command output: `sas(n)` is the n-th listing of a gateway, `log` its charon.log. */
async function runSa(plan: LabPlan, specs: readonly SaSpec[], sas: (gateway: string, n: number) => string, log: (gateway: string) => string = () => ""): Promise<Fake> {
    const commands: string[][] = [];
    const listed = new Map<string, number>();
    const outcomes = new Map<string, Outcome>();
    const ctx = {
        plan, docker: undefined as unknown as Docker, timeoutSeconds: 1, containerOf: (n: string) => n,
        exec: async (node: string, cmd: readonly string[]): Promise<ExecResult> => {
            commands.push([node, ...cmd]);
            if (cmd[0] === "swanctl") {
                const n = listed.get(node) ?? 0;
                listed.set(node, n + 1);
                return { exitCode: 0, stdout: sas(node, n), stderr: "" };
            }
            if (cmd[0] === "tail") return { exitCode: 0, stdout: log(node), stderr: "" };
            return { exitCode: 0, stdout: "", stderr: "" };
        },
    };
    await runSaChecks(specs, ctx, (s, o) => outcomes.set(s.id, o));
    return { commands, outcomes };
}

const saSpecs = (plan: LabPlan) => deriveChecks(plan).filter((c): c is SaSpec => c.kind === "sa");

describe("SA check", () => {
    it("gives every trap tunnel of every shipped stack a packet from the initiator that both ends' selectors cover", () => {
        for (const stack of knownStacks()) {
            const plan = planOf(stack);
            for (const spec of saSpecs(plan)) {
                const tunnel = plan.tunnels.find((t) => t.name === spec.tunnel)!;
                const trap = tunnel.startAction === "trap" && tunnel.type !== "road-warrior";
                expect(spec.bringUp !== undefined, `${stack} ${spec.id}`).to.equal(trap);
                if (!spec.bringUp) continue;
                const [near, far] = tunnel.ends;
                const covers = (selectors: readonly string[], address: string) =>
                    selectors.some((ts) => ts.includes(":") === address.includes(":") && Subnet.parse(spec.bringUp!.family, ts).contains(address));
                expect(spec.bringUp.from, `${stack} ${spec.id}`).to.equal(near.gateway);
                expect(covers(near.trafficSelectors, spec.bringUp.source), `${stack} ${spec.id} source`).to.equal(true);
                expect(covers(far.trafficSelectors, spec.bringUp.address), `${stack} ${spec.id} address`).to.equal(true);
                // Aimed at the lab itself: an address of the far gateway.
                const farGateway = plan.nodes.find((n) => n.name === far.gateway)!;
                expect(farGateway.interfaces.some((i) => i.addresses[spec.bringUp!.family]?.address === spec.bringUp!.address)).to.equal(true);
            }
        }
    });

    it("brings each of two trap tunnels between the same gateways up itself, before it reads their SAs", async () => {
        const plan = planOf("two-traps", TWO_TRAPS);
        const specs = saSpecs(plan);
        expect(specs.map((s) => s.bringUp)).to.deep.equal([
            { from: "gateway-a", source: "10.61.1.1", address: "10.61.2.1", family: "ipv4" },
            { from: "gateway-a", source: "10.61.1.1", address: "10.61.2.1", family: "ipv4" },
            { from: "gateway-a", source: "fd00:61:1::1", address: "fd00:61:2::1", family: "ipv6" },
            { from: "gateway-a", source: "fd00:61:1::1", address: "fd00:61:2::1", family: "ipv6" },
        ]);
        // The v4 SA shows up on the second look, once the packet went out.
        const v4 = specs.filter((s) => s.tunnel === "v4");
        const { commands, outcomes } = await runSa(plan, v4, (gateway, n) => (n === 0 ? "" : gateway === "gateway-a" ? ESTABLISHED : ESTABLISHED
            .replace("local-ts=[10.61.1.0/24] remote-ts=[10.61.2.0/24]", "local-ts=[10.61.2.0/24] remote-ts=[10.61.1.0/24]")));
        const pings = commands.filter((c) => c[1] === "ping");
        expect(pings).to.deep.equal([["gateway-a", "ping", "-c", "1", "-W", "0.3", "-I", "10.61.1.1", "10.61.2.1"]]);
        expect(commands.findIndex((c) => c[1] === "ping")).to.equal(0);
        expect([...outcomes.values()].map((o) => o.pass)).to.deep.equal([true, true]);
    });

    it("sends nothing for a tunnel that starts at boot: it must be up without help", async () => {
        const lab = structuredClone(TWO_TRAPS) as typeof TWO_TRAPS & { tunnels: { v4: { startAction?: string } } };
        lab.tunnels.v4.startAction = "start";
        const plan = planOf("start", lab);
        const v4 = saSpecs(plan).filter((s) => s.tunnel === "v4");
        expect(v4.map((s) => s.bringUp)).to.deep.equal([undefined, undefined]);
        const { commands, outcomes } = await runSa(plan, v4.slice(0, 1), () => "", () => LOG_A);
        expect(commands.filter((c) => c[1] === "ping")).to.deep.equal([]);
        expect(outcomes.get(v4[0]!.id)!.pass).to.equal(false);
    });

    it("says why a tunnel is not up, from its own lines in charon's log, on each end", async () => {
        const plan = planOf("two-traps", TWO_TRAPS);
        const v4 = saSpecs(plan).filter((s) => s.tunnel === "v4");
        const { outcomes } = await runSa(plan, v4, () => "", (gateway) => (gateway === "gateway-a" ? LOG_A : LOG_B));
        expect(outcomes.get("tunnel v4: SAs on gateway-a")!.observed).to.equal(
            "no IKE SA — the peer accepted none of the IKE proposals (NO_PROPOSAL_CHOSEN); charon: \"received NO_PROPOSAL_CHOSEN notify error\"");
        // The responder's attempt is unnamed until a connection matched: found by the peer it came from, not the stranger's after it.
        expect(outcomes.get("tunnel v4: SAs on gateway-b")!.observed).to.equal(
            "no IKE SA — none of the peer's IKE proposals is acceptable here (NO_PROPOSAL_CHOSEN) " +
            "(received IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384, configured IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048); " +
            "charon: \"received proposals unacceptable\"");
    });

    it("says why an IKE_SA has no CHILD_SA, and which selectors differ from the plan", async () => {
        const plan = planOf("two-traps", TWO_TRAPS);
        const [a] = saSpecs(plan).filter((s) => s.tunnel === "v4");
        const noChild = await runSa(plan, [a!], () => NO_CHILD, () => LOG_TS);
        expect(noChild.outcomes.get(a!.id)!.observed).to.match(/; no CHILD SA — the peer refused the traffic selectors \(TS_UNACCEPTABLE\); charon: "received TS_UNACCEPTABLE notify, no CHILD_SA built"$/);
        const narrowed = await runSa(plan, [a!], () => ESTABLISHED.replace("remote-ts=[10.61.2.0/24]", "remote-ts=[10.61.2.0/25]"));
        expect(narrowed.outcomes.get(a!.id)!.observed).to.match(/ — differs from the plan: remote selectors 10\.61\.2\.0\/25, planned 10\.61\.2\.0\/24$/);
    });

    it("reads the causes a network engineer looks for out of charon's lines", () => {
        const say = (line: string) => explainTunnel(parseCharonLog(`2026-12-05T16:00:00 09[IKE] <t|7> ${line}`), "t", "192.0.2.1");
        expect(say("tried 1 shared key for '172.31.61.2' - '172.31.62.2', but MAC mismatched"))
            .to.match(/^the pre-shared keys of the two ends differ, tried for '172\.31\.61\.2' - '172\.31\.62\.2' \(AUTHENTICATION_FAILED\)/);
        expect(say("certificate was revoked on Dec 05 16:00:00 UTC 2026, reason: key compromise"))
            .to.match(/^the peer's certificate is revoked, since Dec 05 16:00:00 UTC 2026, reason: key compromise \(AUTHENTICATION_FAILED\)/);
        expect(say("received AUTHENTICATION_FAILED notify error")).to.match(/^the peer refused this end's authentication \(AUTHENTICATION_FAILED\)/);
        expect(say("giving up after 5 retransmits")).to.match(/^no answer from the peer: gave up after 5 retransmits/);
        expect(say("retransmit 2 of request with message ID 0")).to.match(/^no answer from the peer yet \(retransmit 2 of request 0\)/);
        expect(say("received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built")).to.match(/^the peer accepted none of the ESP proposals/);
        expect(say("scheduling rekeying in 13131s")).to.equal(undefined);
        expect(explainTunnel([], "t", "192.0.2.1")).to.equal("charon logged no IKE exchange of t with 192.0.2.1");
        // Another tunnel's lines, named or from another peer, are not this one's.
        expect(tunnelLines(parseCharonLog(LOG_A), "v6", "fd00:31:62::2").map((l) => l.id)).to.deep.equal([1]);
    });
});
