// The faults `npm run lab -- fault` applies: which words name which fault, and
// which link of a node a segment names, with errors that list the choices.
import { expect } from "chai";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { linkOf, nodeOf, parseFault } from "../../host/faults";

describe("lab faults", () => {
    const plan = planLab(parseLab(loadStackLab("site-to-site"), "site-to-site"), "site-to-site");
    const gatewayA = nodeOf(plan, "gateway-a");

    it("reads a node fault alone and a link fault with its segment", () => {
        expect(parseFault(["restart"])).to.equal("restart");
        expect(parseFault(["stop"])).to.equal("stop");
        expect(parseFault(["start"])).to.equal("start");
        expect(parseFault(["disconnect", "isp-a"])).to.deep.equal({ kind: "disconnect", segment: "isp-a" });
        expect(parseFault(["connect", "isp-a"])).to.deep.equal({ kind: "connect", segment: "isp-a" });
    });

    it("refuses a missing or extra segment and an unknown fault, naming the faults there are", () => {
        expect(() => parseFault(["disconnect"])).to.throw("fault: disconnect takes one segment, the network to disconnect (e.g. disconnect isp-a)");
        expect(() => parseFault(["connect", "isp-a", "lan-a"])).to.throw("fault: connect takes one segment");
        expect(() => parseFault(["restart", "isp-a"])).to.throw("fault: restart takes no segment (restart isp-a)");
        expect(() => parseFault(["cut", "isp-a"])).to.throw('fault: "cut isp-a" is not one of restart, stop, start, disconnect <segment>, connect <segment>');
    });

    it("finds a node's link by the segment's key, its Docker network's name, or the node's name for the link", () => {
        for (const name of ["isp-a", "vnetlab-site-to-site-isp-a", "isp"]) {
            const { segment, link } = linkOf(plan, gatewayA, name);
            expect(segment.key, name).to.equal("isp-a");
            expect(link.name).to.equal("isp");
            expect(link.docker.ipv4).to.equal("172.26.26.26");
        }
        expect(linkOf(plan, nodeOf(plan, "router"), "isp-b").link.name).to.equal("isp-b");
    });

    it("says which segments the node is on when it is not on the one named, and which the lab has when none is", () => {
        expect(() => linkOf(plan, gatewayA, "isp-b")).to.throw("gateway gateway-a (site a) is not on segment isp-b: it is on lan-a (its lan link), isp-a (its isp link)");
        expect(() => linkOf(plan, gatewayA, "wan")).to.throw('lab vnetlab-site-to-site has no segment "wan" (segments: lan-a, isp-a, lan-b, isp-b, lan-s, isp-s); gateway-a is on lan-a (its lan link), isp-a (its isp link)');
        expect(() => nodeOf(plan, "gateway-x")).to.throw('lab vnetlab-site-to-site has no node "gateway-x" (nodes: router, gateway-a, ');
    });
});
