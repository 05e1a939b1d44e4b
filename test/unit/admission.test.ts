// The engine's admission of container creations (engine/admission.ts): how
// many at once, and which next.
import { expect } from "chai";
import { PriorityGate } from "../../engine/admission";

/** Work that finishes when the test says so, recording when it started. */
function controlled(started: string[], name: string) {
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
    return { work: () => { started.push(name); return done; }, finish: () => finish(), fail: (e: Error) => fail(e) };
}
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("container admission (PriorityGate)", () => {
    it("runs at most its limit at once, and the waiting one with the highest priority next, the earliest among equals", async () => {
        const started: string[] = [];
        const gate = new PriorityGate(2);
        const jobs = Object.fromEntries(["a", "b", "c", "router", "d"].map((n) => [n, controlled(started, n)]));
        const priority: Record<string, number> = { a: 1, b: 2, c: 2, router: 101, d: 2 };
        const results = Object.keys(jobs).map((n) => gate.run(priority[n], jobs[n].work));
        await turn();
        // One burst: queued together, so priority decides even the first slots.
        expect(started).to.deep.equal(["router", "b"]);
        jobs.router.finish();
        await turn(); await turn();
        expect(started).to.deep.equal(["router", "b", "c"]);
        jobs.b.finish(); jobs.c.finish();
        await turn(); await turn();
        expect(started).to.deep.equal(["router", "b", "c", "d", "a"]);
        jobs.d.finish(); jobs.a.finish();
        await Promise.all(results);
    });

    it("hands a failure to its caller and frees the slot", async () => {
        const started: string[] = [];
        const gate = new PriorityGate(1);
        const failing = controlled(started, "failing");
        const next = controlled(started, "next");
        const first = gate.run(5, failing.work);
        const second = gate.run(1, next.work);
        await turn();
        failing.fail(new Error("create container x: conflict"));
        let error: Error | undefined;
        await first.catch((e: Error) => { error = e; });
        expect(error?.message).to.equal("create container x: conflict");
        await turn(); await turn();
        expect(started).to.deep.equal(["failing", "next"]);
        next.finish();
        await second;
    });

    it("refuses a limit below one", () => {
        expect(() => new PriorityGate(0)).to.throw("limit must be a positive integer, not 0");
    });
});
