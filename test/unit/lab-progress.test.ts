import { expect } from "chai";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { labProgress } from "../../automation/progress";
import { hubAndSpokeLab } from "../../model/hub-and-spoke";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";

const plan = planLab(parseLab(hubAndSpokeLab(1), "hub-and-spoke-1"), "hub-and-spoke-1");

/** The event the engine sends when it has finished a resource's step. */
const finished = (op: OpType, type: string, name: string): EngineEvent => ({
    sequence: 0, timestamp: 0,
    resOutputsEvent: { metadata: { op, type, urn: `urn:pulumi:s::vnetlab::${type}::${name}`, provider: "" } },
});

function run(isTTY: boolean, op: OpType = "create"): string {
    let out = "";
    let now = 0;
    const p = labProgress(plan, { isTTY, columns: 200, write: (t: string) => { out += t; } }, "up", () => now);
    now = 700;
    p.onEvent(finished(op, "docker:index/remoteImage:RemoteImage", "node-image"));
    for (const s of plan.segments) p.onEvent(finished(op, "docker:index/network:Network", s.key));
    for (const n of plan.nodes) { now += 100; p.onEvent(finished(op, "docker:index/container:Container", n.name)); }
    // Not one of the lab's kinds: not counted.
    p.onEvent(finished(op, "vnetlab:index:Site", "site-hub"));
    for (const n of plan.nodes) p.ready(n.name);
    p.done();
    return out;
}

describe("lab up progress, from the engine's events", () => {
    it("prints a line per resource that changed and one per finished kind, with done/total and the time, off a terminal", () => {
        const lines = run(false).split("\n").filter(Boolean);
        expect(lines).to.include("[0.7s] image node-image created");
        expect(lines).to.include("[0.7s] image: 1/1");
        expect(lines).to.include("[0.7s] network lan-hub created");
        expect(lines).to.include("[0.7s] networks: 4/4");
        expect(lines.filter((l) => /^\[[01]\.\ds\] container router created$/.test(l))).to.have.length(1);
        expect(lines).to.include("[1.2s] containers: 5/5");
        expect(lines.at(-1)).to.equal("[1.2s] nodes ready: 5/5");
        expect(lines.join("\n")).to.not.include("site-hub");
    });

    it("prints nothing per resource when nothing changed, only the finished kinds", () => {
        expect(run(false, "same").split("\n").filter(Boolean)).to.deep.equal([
            "[0.7s] image: 1/1",
            "[0.7s] networks: 4/4",
            "[1.2s] containers: 5/5",
            "[1.2s] nodes ready: 5/5",
        ]);
    });

    it("keeps one line on a terminal and clears it at the end", () => {
        const out = run(true);
        expect(out).to.not.include("\n");
        expect(out.endsWith("\r\x1b[K")).to.equal(true);
    });

    it("shows an error the engine reports for a resource as it happens", () => {
        let out = "";
        const p = labProgress(plan, { isTTY: false, write: (t: string) => { out += t; } }, "up", () => 0);
        p.onEvent({ sequence: 0, timestamp: 0, diagnosticEvent: { urn: "urn:pulumi:s::vnetlab::docker:index/container:Container::router", message: "Unable to create container: boom\n", color: "never", severity: "error" } });
        p.done();
        expect(out).to.equal("[0.0s] error in router: Unable to create container: boom\n");
    });
});
