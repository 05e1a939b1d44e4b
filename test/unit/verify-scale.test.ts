// What keeps verify linear: the must-not-reach deadline comes from a measured
// round trip, and a generated lab's checks grow as they should.
import { expect } from "chai";
import { probeDeadline, REACH_SECONDS } from "../../verify/checks/probe";
import { deriveChecks } from "../../verify/derive";
import { hubAndSpokeLab, MAX_BRANCHES } from "../../model/hub-and-spoke";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";

const planOf = (branches: number) => planLab(parseLab(hubAndSpokeLab(branches), `hub-and-spoke-${branches}`), `hub-and-spoke-${branches}`);

describe("verify at scale", () => {
    it("waits 100 round trips for what must not answer, within 0.5-3 s, and says so", () => {
        expect(probeDeadline([0.0008, 0.0011, 0.0009]).seconds).to.equal(0.5);
        expect(probeDeadline([0.012, 0.010, 0.011]).seconds).to.equal(1.1);
        expect(probeDeadline([1.2]).seconds).to.equal(REACH_SECONDS);
        expect(probeDeadline([0.012, 0.010, 0.011]).why).to.equal("100 x median round trip 11.0 ms, within 0.5-3 s");
        // Nothing measured: the old bound, not a guess.
        expect(probeDeadline([])).to.deep.equal({ seconds: REACH_SECONDS, why: "no round trip measured" });
    });

    it("generates valid hub-and-spoke labs of 1 to MAX_BRANCHES branches, and refuses others", () => {
        for (const n of [1, 10, MAX_BRANCHES]) {
            const plan = planOf(n);
            expect(plan.nodes).to.have.length(2 * n + 3); // a client and a gateway per branch; hub gateway, server, router
            expect(plan.segments).to.have.length(2 * (n + 1));
            expect(plan.tunnels).to.have.length(n);
        }
        expect(() => hubAndSpokeLab(0)).to.throw(RangeError, /1 to 250 branches, not 0/);
        expect(() => hubAndSpokeLab(MAX_BRANCHES + 1)).to.throw(RangeError);
    });

    it("keeps every isolation probe: each client against the router and every other site's gateway", () => {
        const n = 10;
        const checks = deriveChecks(planOf(n));
        const count = (re: RegExp) => checks.filter((c) => re.test(c.id)).length;
        expect(count(/^service /)).to.equal(n);
        expect(count(/^tunnel .*: SAs on /)).to.equal(2 * n);
        expect(count(/only ESP on the wire$/)).to.equal(n);
        expect(count(/^isolation: client-\S+ -> router /)).to.equal(2 * n);
        // n clients, each against the n other gateways (n - 1 branches and the hub).
        expect(count(/^isolation: client-\S+ -> gateway-/)).to.equal(n * n);
        expect(count(/^firewall: router -> /)).to.equal(2 * (n + 1));
    });
});
