// A lab of Docker bridge segments on an engine that isolates its internal
// bridges with iptables would come up and drop every packet it routes: it is
// refused before anything is made, naming the config path and what to do.
import { expect } from "chai";
import { checkBridgeSegments } from "../../host/preflight";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { stackLab } from "../support/recording-mocks";
import type { Raw } from "../support/broken-labs";

const planOf = (change: (raw: Raw) => void, stack = "site-to-site") => {
    const raw = stackLab(stack) as Raw;
    change(raw);
    return planLab(parseLab(raw, stack), stack);
};
const refusal = (fn: () => void) => {
    try {
        fn();
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
};

describe("bridge segments on an engine that isolates internal bridges", () => {
    const bridges = planOf((raw) => { raw.network = { driver: "bridge" }; });

    it("are refused with the config path, the segments that would drop packets and what to do instead", () => {
        const message = refusal(() => checkBridgeSegments(bridges, () => true));
        expect(message).to.match(/^vnetlab:lab\.network\.driver: is bridge, but this machine's Docker engine isolates its internal bridges with iptables/);
        for (const segment of bridges.segments) expect(message).to.include(segment.key);
        expect(message).to.include("Use driver: macvlan (the default), or run dockerd with --iptables=false.");
    });

    it("pass where the engine does not isolate them, and macvlan labs never ask", () => {
        expect(refusal(() => checkBridgeSegments(bridges, () => false))).to.equal(undefined);
        let asked = false;
        expect(refusal(() => checkBridgeSegments(planOf(() => undefined), () => { asked = true; return true; }))).to.equal(undefined);
        expect(asked, "a macvlan lab asks nothing of iptables").to.equal(false);
    });

    it("leave alone bridges on hosts of their own, whose iptables this machine cannot see", () => {
        expect(refusal(() => checkBridgeSegments(planLab(parseLab(stackLab("multi-host"), "multi-host"), "multi-host"), () => true))).to.equal(undefined);
    });
});
