// One way to name a lab: every command takes the same names (a shipped stack,
// any Pulumi.<name>.yaml, a generated hub-and-spoke-<N>) and says the same of
// an unknown one. The commands run as `npm run` runs them; the ones that would
// ask Pulumi do so in a state backend of this test's own, where nothing is
// deployed, and none of them touches Docker.
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../cli/args";
import { knownStacks, labOrigin, resolveLab } from "../../cli/lab-name";
import { writeStackLab } from "../../automation/lab";
import { hubAndSpokeLab, MAX_BRANCHES } from "../../model/hub-and-spoke";
import { loadStackLab, PROJECT_DIR, stackFile } from "../../model/stack-file";

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

/** A stack file vnetlab writes (as `npm run lab` does for a generated lab); gitignored, removed after the test. */
const WRITTEN = "e2e-pipes-names";
const GENERATED = "hub-and-spoke-2";
const GOOD = ["dev", WRITTEN, GENERATED] as const;
const UNKNOWN = ["nope", "hub-and-spoke-0", `hub-and-spoke-${MAX_BRANCHES + 1}`, "hub-and-spoke-02", "../dev"] as const;
/** One of each kind of unknown name for the commands (resolveLab's own test takes them all). */
const UNKNOWN_RUN = ["nope", "hub-and-spoke-0"] as const;

/** Each command with a lab name in the place it takes one, doing as little as it can with it. */
const COMMANDS: readonly { readonly name: string; readonly args: (lab: string, out: string) => string[] }[] = [
    { name: "plan", args: (lab) => ["scripts/plan.ts", lab] },
    { name: "diagram", args: (lab, out) => ["scripts/diagram.ts", lab, "--out", out] },
    { name: "verify", args: (lab) => ["verify/cli.ts", "--stack", lab, "--json"] },
    { name: "lab", args: (lab) => ["scripts/lab.ts", "down", lab] },
    { name: "bench", args: (lab) => ["scripts/bench.ts", "--dry-run", "--stacks", lab] },
];

function run(args: readonly string[], backend: string): Promise<Run> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register", ...args], {
            cwd: PROJECT_DIR,
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", PULUMI_BACKEND_URL: `file://${backend}` },
            timeout: 60000,
        }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }));
    });
}

/** Runs every job, `limit` at a time (two cores: more only queue). */
async function limited<T>(jobs: readonly (() => Promise<T>)[], limit = 3): Promise<T[]> {
    const results: T[] = new Array<T>(jobs.length);
    let next = 0;
    await Promise.all(Array.from({ length: limit }, async () => {
        while (next < jobs.length) {
            const i = next++;
            results[i] = await jobs[i]!();
        }
    }));
    return results;
}

describe("lab names: one resolution for every command", function () {
    this.timeout(300000);
    let tmp: string;

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-names-"));
        fs.mkdirSync(path.join(tmp, "state"));
        writeStackLab(WRITTEN, { ...hubAndSpokeLab(1), name: "vnetlab-e2e-pipes-names" });
    });
    after(() => {
        fs.rmSync(stackFile(WRITTEN), { force: true });
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("resolves every shipped stack to its file, a written stack file to itself, and hub-and-spoke-<N> to the generated lab", () => {
        expect(knownStacks()).to.include.members(["dev", "site-to-site", "host-to-host-transport"]);
        expect(knownStacks(), "stack files vnetlab writes are not shipped").to.not.include(WRITTEN);
        for (const stack of knownStacks()) {
            const source = resolveLab(stack);
            expect(source.file).to.equal(stackFile(stack));
            expect(source.lab).to.deep.equal(loadStackLab(stack));
            expect(labOrigin(source)).to.equal(`Pulumi.${stack}.yaml`);
        }
        expect(resolveLab(WRITTEN).file).to.equal(stackFile(WRITTEN));
        const generated = resolveLab(GENERATED);
        expect(generated).to.deep.equal({ stack: GENERATED, lab: hubAndSpokeLab(2), branches: 2 });
        expect(labOrigin(generated)).to.equal("the generated hub-and-spoke-2");
        for (const name of UNKNOWN) expect(() => resolveLab(name, "--x"), name).to.throw(UsageError, `--x: unknown lab "${name}"`);
        expect(() => resolveLab("nope")).to.throw(UsageError, /\(no Pulumi\.nope\.yaml; known: dev, .*site-to-site-ipv6, or hub-and-spoke-<N> for N of 1 to 250\)$/);
        expect(() => resolveLab("hub-and-spoke-0")).to.throw(UsageError, /has N of 1 to 250 branches, without leading zeros\)$/);
    });

    it("every command takes every kind of name, and says the same of an unknown one", async () => {
        const names = [...GOOD, ...UNKNOWN_RUN];
        const cases = COMMANDS.flatMap((command) => names.map((lab) => ({ command: command.name, lab, args: command.args(lab, path.join(tmp, command.name)) })));
        const runs = await limited(cases.map((c) => () => run(c.args, path.join(tmp, "state"))));
        const unknownMessages = new Map<string, Set<string>>();
        cases.forEach(({ command, lab }, i) => {
            const r = runs[i]!;
            const what = `${command} ${lab}: exit ${r.code}\n${r.stdout.slice(0, 500)}\n${r.stderr}`;
            if ((UNKNOWN_RUN as readonly string[]).includes(lab)) {
                expect(r.code, what).to.equal(2);
                expect(r.stdout, what).to.equal("");
                const lines = r.stderr.trimEnd().split("\n");
                expect(lines, what).to.have.length(1);
                const message = /: (unknown lab .*) \(see --help\)$/.exec(lines[0]!)?.[1];
                expect(message, what).to.be.a("string");
                unknownMessages.set(lab, new Set([...unknownMessages.get(lab) ?? [], message!]));
                return;
            }
            expect(r.stderr, what).to.not.match(/unknown lab/);
            if (command === "plan") {
                expect(r.code, what).to.equal(0);
                expect((JSON.parse(r.stdout) as { stack: string }).stack, what).to.equal(lab);
            } else if (command === "diagram") {
                expect(r.code, what).to.equal(0);
                expect(fs.readFileSync(path.join(tmp, "diagram", `${lab}.svg`), "utf8"), what).to.include("<svg");
            } else if (command === "verify") {
                // Named right, but not deployed in this backend: no verdict, exit 2.
                expect(r.code, what).to.equal(2);
                expect(r.stderr, what).to.match(lab === GENERATED ? /lab hub-and-spoke-2 is not deployed/ : new RegExp(`no stack named '${lab}'`));
            } else if (command === "lab") {
                expect(r.code, what).to.equal(0);
                expect(r.stdout, what).to.equal(`nothing of stack ${lab} was deployed\n`);
            } else {
                expect(r.code, what).to.equal(0);
                expect(r.stdout, what).to.match(new RegExp(`^${lab}: \\d+ nodes, \\d+ segments, from `));
            }
        });
        // The same words from every command for each unknown name, and those of resolveLab itself.
        for (const name of UNKNOWN_RUN) {
            const expected = (() => { try { resolveLab(name, ""); return ""; } catch (e) { return (e as Error).message.replace(/^: /, ""); } })();
            expect([...unknownMessages.get(name)!], name).to.deep.equal([expected]);
        }
    });
});
