// leanRuntime (components/lean-runtime.ts) drops the SDK's debug messages and
// stack traces for the rest of the process: proven in a process of its own,
// through the SDK's own registration of a resource.
import { expect } from "chai";
import { execFile } from "child_process";
import { PROGRAM_DEBUG_ENV } from "../../components/lean-runtime";

interface ChildReport {
    readonly lean: boolean;
    readonly urn: string;
    readonly frames: number;
    readonly debug: readonly string[];
}

function child(mode: "lean" | "plain", env: NodeJS.ProcessEnv = {}): Promise<ChildReport> {
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ["-r", "ts-node/register", "test/support/lean-runtime-child.ts", mode], {
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", [PROGRAM_DEBUG_ENV]: "", ...env },
        }, (error, stdout, stderr) => {
            if (error) reject(new Error(`${error.message}\n${stderr}`));
            else resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as ChildReport);
        });
    });
}

describe("leanRuntime: the program without the SDK's per-resource debug messages and stack traces", function () {
    this.timeout(60000);

    it("without it, the SDK logs each registration at debug level and errors carry frames", async () => {
        const plain = await child("plain");
        expect(plain.urn).to.equal("urn:pulumi:lean::vnetlab::test:index:Thing::one");
        expect(plain.debug.some((l) => l.includes("Registering resource: t=test:index:Thing, name=one"))).to.equal(true);
        expect(plain.frames).to.be.greaterThan(0);
    });

    it("with it, the same registration sends no debug message and errors carry no frames", async () => {
        const lean = await child("lean");
        expect(lean.lean).to.equal(true);
        expect(lean.urn).to.equal("urn:pulumi:lean::vnetlab::test:index:Thing::one");
        expect(lean.debug).to.deep.equal([]);
        expect(lean.frames).to.equal(0);
    });

    it(`${PROGRAM_DEBUG_ENV}=1 keeps both, for a program being debugged`, async () => {
        const kept = await child("lean", { [PROGRAM_DEBUG_ENV]: "1" });
        expect(kept.lean).to.equal(false);
        expect(kept.debug.some((l) => l.includes("Registering resource: t=test:index:Thing"))).to.equal(true);
        expect(kept.frames).to.be.greaterThan(0);
    });
});
