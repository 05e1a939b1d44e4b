// How each end of a tunnel brings it back when its peer goes away: the
// settings that make a lab heal by itself, per role, and the strict ones a
// user may choose instead.
import { expect } from "chai";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { renderStrongswanConf, renderSwanctlConf } from "../../configs";
import { RECOVERY_BOUND_SECONDS } from "../../verify/until";
import { faultTargets } from "../../host/faults";

const planOf = (stack: string, lab: unknown = loadStackLab(stack)) => planLab(parseLab(lab, stack), stack);

/** The settings of one connection (and its child) in a node's swanctl.conf, as key -> value. */
function connection(stack: string, node: string, tunnel: string, lab?: unknown): Record<string, string> {
    const plan = planOf(stack, lab);
    const text = renderSwanctlConf(plan.nodes.find((n) => n.name === node)!, plan);
    const start = text.indexOf(`    ${tunnel} {`);
    expect(start, `${node} has ${tunnel}`).to.be.greaterThan(-1);
    const block = text.slice(start, text.indexOf("\n    }", start));
    return Object.fromEntries([...block.matchAll(/^\s+(\w+) = (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe("recovery settings", () => {
    it("a road warrior dials again, for as long as it takes, when its gateway is gone; the gateway lets go", () => {
        expect(connection("roadwarriors", "carol", "carol")).to.include({ dpd_action: "restart", close_action: "start", keyingtries: "0", start_action: "none" });
        expect(connection("roadwarriors", "moon", "carol")).to.include({ dpd_action: "clear", close_action: "none", start_action: "none" });
        expect(connection("roadwarriors", "moon", "carol")).to.not.have.property("keyingtries");
    });

    it("a trap tunnel's ends wait for the next packet; a tunnel started at boot is dialled again by its initiator", () => {
        expect(connection("site-to-site", "gateway-a", "a-s")).to.include({ start_action: "trap", dpd_action: "trap", close_action: "trap" });
        expect(connection("site-to-site", "gateway-s", "a-s")).to.include({ start_action: "trap", dpd_action: "trap", close_action: "trap" });
        expect(connection("dev", "gateway-a", "a-s")).to.include({ dpd_action: "restart", close_action: "start", keyingtries: "0" });
        expect(connection("dev", "gateway-s", "a-s")).to.include({ start_action: "none", dpd_action: "clear", close_action: "none" });
    });

    it("a responder never calls an initiator behind a NAT router: nobody can call in through it", () => {
        expect(connection("nat", "sun", "venus-sun")).to.include({ start_action: "none", dpd_action: "clear", close_action: "none" });
        expect(connection("nat", "venus", "venus-sun")).to.include({ start_action: "trap", dpd_action: "trap", close_action: "trap" });
    });

    it("follows a NAT router's new mapping: no MOBIKE on any connection", () => {
        for (const [stack, node, tunnel] of [["nat", "sun", "venus-sun"], ["nat", "alice", "alice"], ["site-to-site", "gateway-a", "a-s"]] as const) {
            expect(connection(stack, node, tunnel)).to.include({ mobike: "no" });
        }
    });

    it("keeps the strict behaviour where a tunnel asks for it: dpdAction clear", () => {
        const rw = loadStackLab("roadwarriors") as { roadWarriors: Record<string, Record<string, unknown>> };
        rw.roadWarriors.carol!.dpdAction = "clear";
        const carol = connection("roadwarriors", "carol", "carol", rw);
        expect(carol).to.include({ dpd_action: "clear", close_action: "none" });
        expect(carol).to.not.have.property("keyingtries");
        const dev = loadStackLab("dev") as { tunnels: Record<string, Record<string, unknown>> };
        dev.tunnels["a-s"]!.dpdAction = "clear";
        expect(connection("dev", "gateway-a", "a-s", dev)).to.include({ dpd_action: "clear", close_action: "none" });
    });

    it("gives up on a silent peer in about 11 s, not charon's 165 s, and bounds a lab's recovery under a minute", () => {
        const conf = renderStrongswanConf("libipsec");
        expect(conf).to.match(/retransmit_timeout = 1\n\s+retransmit_base = 1\.4\n\s+retransmit_tries = 4\n/);
        expect(RECOVERY_BOUND_SECONDS).to.equal(47);
    });

    it("names one node of each role for a heal test to pull the plug on", () => {
        // nat's gateways meet on a shared segment: no router.
        expect(faultTargets(planOf("nat"))).to.deep.equal([
            { role: "gateway (initiator)", node: "venus" },
            { role: "gateway (responder)", node: "sun" },
            { role: "NAT router", node: "moon" },
            { role: "road warrior", node: "alice" },
            { role: "server", node: "bob" },
            { role: "client", node: "venus-pc" },
        ]);
        expect(faultTargets(planOf("site-to-site")).map((t) => t.role)).to.deep.equal(["router", "gateway (initiator)", "gateway (responder)", "server", "client"]);
    });
});
