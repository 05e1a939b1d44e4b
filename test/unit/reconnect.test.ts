// After an up that replaced gateways, which unchanged ends let go of which
// tunnels, and which dial again (automation/reconnect.ts); and where a
// restarted node's readiness is read from (verify/ready.ts).
import { expect } from "chai";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { remadeNodes, tunnelResets } from "../../automation/reconnect";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { dockerTimestamp, previousRunEnd } from "../../verify/ready";
import { stackLab } from "../support/recording-mocks";

const planOf = (stack: string) => planLab(parseLab(stackLab(stack), stack), stack);
const step = (op: OpType, type: string, name: string): EngineEvent => ({
    sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { op, type, urn: `urn:pulumi:s::vnetlab::x$${type}::${name}`, provider: "" } },
});

describe("tunnels to replaced gateways", () => {
    it("takes the remade nodes from the engine's container steps, not from networks or unchanged ones", () => {
        const events = [
            step("create-replacement", "docker:index/container:Container", "moon"),
            step("delete-replaced", "docker:index/container:Container", "moon"),
            step("create", "docker:index/container:Container", "bob"),
            step("same", "docker:index/container:Container", "carol"),
            step("replace", "docker:index/network:Network", "lan-moon"),
        ];
        expect([...remadeNodes(events)].sort()).to.deep.equal(["bob", "moon"]);
    });

    it("resets every road warrior's tunnel when their gateway was replaced, and they dial again", () => {
        expect(tunnelResets(planOf("roadwarriors"), new Set(["moon"]))).to.deep.equal([
            { node: "carol", tunnel: "carol", peer: "moon", dial: true },
            { node: "dave", tunnel: "dave", peer: "moon", dial: true },
        ]);
    });

    it("resets only the other ends of the replaced gateway's tunnels; a trapped tunnel is not dialled", () => {
        expect(tunnelResets(planOf("site-to-site"), new Set(["gateway-s"]))).to.deep.equal([
            { node: "gateway-a", tunnel: "a-s", peer: "gateway-s", dial: false },
            { node: "gateway-b", tunnel: "b-s", peer: "gateway-s", dial: false },
        ]);
        expect(tunnelResets(planOf("site-to-site"), new Set(["gateway-a", "gateway-s"]))).to.deep.equal([
            { node: "gateway-b", tunnel: "b-s", peer: "gateway-s", dial: false },
        ]);
    });

    it("resets nothing when no gateway was remade", () => {
        expect(tunnelResets(planOf("site-to-site"), new Set(["client-a1"]))).to.deep.equal([]);
    });
});

describe("readiness of a restarted node", () => {
    it("reads the log from the end of the container's previous run, or from its first line", () => {
        expect(previousRunEnd({ FinishedAt: "0001-01-01T00:00:00Z" })).to.equal("0");
        expect(previousRunEnd({ FinishedAt: "2026-12-05T12:53:00.25Z" })).to.equal(dockerTimestamp("2026-12-05T12:53:00.25Z"));
    });

    it("gives Docker seconds and nanoseconds, as it reads them", () => {
        expect(dockerTimestamp("2026-12-05T12:53:01.123456789Z")).to.equal("1796475181.123456789");
        expect(dockerTimestamp("2026-12-05T12:53:01Z")).to.equal("1796475181.000000000");
        expect(dockerTimestamp("2026-12-05T13:53:01.5+01:00")).to.equal("1796475181.500000000");
    });
});
