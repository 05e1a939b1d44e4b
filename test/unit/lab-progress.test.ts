import { expect } from "chai";
import { labProgress } from "../../engine/progress";
import { hubAndSpokeLab } from "../../model/hub-and-spoke";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";

const plan = planLab(parseLab(hubAndSpokeLab(1), "hub-and-spoke-1"), "hub-and-spoke-1");

function run(isTTY: boolean): string {
    let out = "";
    let now = 0;
    const p = labProgress(plan, { isTTY, columns: 200, write: (t: string) => { out += t; } }, () => now);
    now = 700;
    p.buildLine("#6 [3/5] RUN apt-get install");
    p.created("docker:index/image:Image", "node-image");
    for (const s of plan.segments) p.created("docker:index/network:Network", s.key);
    for (const n of plan.nodes) { now += 100; p.created("docker:index/container:Container", n.name); }
    for (const n of plan.nodes) p.ready(n.name);
    p.created("tls:index/privateKey:PrivateKey", "root");
    p.done();
    return out;
}

describe("lab up progress", () => {
    it("prints one plain line per completed step off a terminal, with done/total and the time", () => {
        expect(run(false).split("\n").filter(Boolean)).to.deep.equal([
            "[0.7s] image: 1/1",
            "[0.7s] networks: 4/4",
            "[1.2s] containers: 5/5",
            "[1.2s] ready: 5/5",
        ]);
    });

    it("keeps one line on a terminal and clears it at the end", () => {
        const out = run(true);
        expect(out).to.not.include("\n");
        expect(out.endsWith("\r\x1b[K")).to.equal(true);
    });
});
