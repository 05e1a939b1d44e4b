// Output that survives pipes, on a deployed lab: `npm run lab -- preview|up`
// and `npm run verify -- --json` print a lot (verify more than 1 MiB here),
// all of it through real pipes into slow readers (test/support/pipes.ts),
// with their exit codes 0, 1 and 2. (`plan` is tested so in test/unit/pipes.test.ts.)
// On the way, the lab's stack file as Pulumi leaves it is checked against the
// stack file's JSON Schema.
import { expect } from "chai";
import Docker from "dockerode";
import * as fs from "fs";
import { LabStack, manifestPath } from "../../automation/lab";
import { hubAndSpokeLab } from "../../model/hub-and-spoke";
import { stackFile } from "../../model/stack-file";
import { schemaModeline } from "../../model/stack-schema";
import { parse } from "yaml";
import { deriveChecks } from "../../verify";
import { execIn } from "../../verify/exec";
import type { CheckResult } from "../../verify";
import { runPiped } from "../support/pipes";
import { schemaErrors } from "../support/json-schema";
import { destroy, openLab } from "./lab";

const MiB = 1024 * 1024;

/**
 * The fewest branches whose `verify --json` passes 1 MiB. A lab of N branches
 * has N² + 8N + 2 checks (each client probes every other site's gateway), of
 * about 387 bytes each: measured, 50 branches printed 1,124,489 bytes and 49
 * printed 1,080,752 (2795 checks); 48 would print about 1,040,000, short of
 * 1,048,576.
 */
const BRANCHES = 49;
const NAME = "pipes-hub";
const STACK = `e2e-${NAME}`;
const LAB_NAME = `vnetlab-${STACK}`;

/**
 * The generated lab, moved from 10.200/16, 10.201/16 and 172.20/16 to
 * 10.210, 10.211 and 172.21: the generator's subnets are those of every other
 * hub-and-spoke lab on this Docker engine (other tests', a user's), and
 * Docker refuses a subnet that overlaps one of another network.
 */
function pipesLab(branches: number): unknown {
    const { name: _generated, ...lab } = hubAndSpokeLab(branches);
    return JSON.parse(JSON.stringify(lab).replace(/"10\.200\./g, '"10.210.').replace(/"10\.201\./g, '"10.211.').replace(/"172\.20\./g, '"172.21.'));
}

interface VerifyJson {
    readonly lab: string;
    readonly stack: string;
    readonly results: readonly CheckResult[];
}

describe(`${STACK}: a lab of ${BRANCHES} branches, its commands' output through pipes into slow readers`, function () {
    this.timeout(30 * 60 * 1000);
    let stack: LabStack | undefined;

    before(async () => {
        // The stack file, and the stack in the test run's backend, that the commands then name.
        stack = await openLab(NAME, pipesLab(BRANCHES), LAB_NAME);
    });

    after(async () => {
        if (stack) await destroy(stack).catch((e: unknown) => console.error(`${STACK}: ${(e as Error).message}`));
        fs.rmSync(manifestPath(STACK), { force: true });
    });

    it("lab preview --diff: all of the engine's output arrives, exit code 0", async () => {
        const run = await runPiped("scripts/lab.ts", ["preview", STACK, "--diff"]);
        expect(run.code, run.stderr).to.equal(0);
        expect(Buffer.byteLength(run.stdout)).to.be.greaterThan(64 * 1024);
        expect(run.stdout).to.match(new RegExp(`\\nlab ${LAB_NAME}: \\d+ create\\n$`));
    });

    it("lab up: every line of its progress and of its nodes arrives, exit code 0", async () => {
        const run = await runPiped("scripts/lab.ts", ["up", STACK]);
        expect(run.code, run.stderr.slice(-2000)).to.equal(0);
        const nodes = stack!.plan.nodes.length;
        expect(run.stderr).to.include(`nodes ready: ${nodes}/${nodes}`);
        expect(run.stdout).to.match(new RegExp(`^lab ${LAB_NAME} ready in `));
        // Two lines a node, then how to verify and tear down.
        expect(run.stdout.split("\n").filter((l) => l.startsWith("  "))).to.have.length(2 * nodes);
        expect(run.stdout).to.match(new RegExp(`\\nteardown: npm run lab -- down ${STACK}\\n$`));
    });

    it("verify --json: more than 1 MiB arrives whole and parses, and every check's progress line, exit code 0", async () => {
        const run = await runPiped("verify/cli.ts", ["--stack", STACK, "--json"]);
        expect(run.code, run.stderr.slice(-2000)).to.equal(0);
        expect(Buffer.byteLength(run.stdout), "bytes of JSON").to.be.at.least(MiB);
        const report = JSON.parse(run.stdout) as VerifyJson;
        const checks = deriveChecks(stack!.plan).map((c) => c.id);
        expect(report.results.map((r) => r.id)).to.deep.equal(checks);
        expect(report.results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.observed}`)).to.deep.equal([]);
        // Not a TTY: one progress line per finished check, in the order they finish.
        const progress = run.stderr.trimEnd().split("\n").filter((l) => / \.\.\. (ok|FAIL) \(/.test(l));
        expect(progress).to.have.length(checks.length);
        expect(progress.map((l) => / (.+) \.\.\. /.exec(l.replace(/^\[\d+\/\d+\]/, ""))?.[1]).sort()).to.deep.equal([...checks].sort());
    });

    it("verify --json with a failed check: the whole report still arrives, exit code 1", async () => {
        // gateway-b1 answers pings on its ISP side, which its firewall forbids.
        const gateway = stack!.plan.nodes.find((n) => n.name === "gateway-b1")!.containerName;
        const open = await execIn(new Docker(), gateway, ["sh", "-c", "iptables -I INPUT -i isp -p icmp -j ACCEPT && iptables -I OUTPUT -o isp -p icmp -j ACCEPT"], 10);
        expect(open.exitCode, open.stderr).to.equal(0);
        const run = await runPiped("verify/cli.ts", ["--stack", STACK, "--json"]);
        expect(run.code, run.stderr.slice(-2000)).to.equal(1);
        expect(Buffer.byteLength(run.stdout)).to.be.at.least(MiB);
        const report = JSON.parse(run.stdout) as VerifyJson;
        expect(report.results).to.have.length(deriveChecks(stack!.plan).length);
        expect(report.results.filter((r) => !r.pass).map((r) => r.id)).to.deep.equal(["firewall: router -> gateway-b1 172.21.1.2 icmp"]);
    });

    it("verify of an unknown lab, and of a generated lab never deployed: one line, exit code 2", async () => {
        const unknown = await runPiped("verify/cli.ts", ["--stack", "e2e-pipes-nope", "--json"]);
        expect(unknown.code).to.equal(2);
        expect(unknown.stdout).to.equal("");
        expect(unknown.stderr).to.match(/^vnetlab verify: --stack: unknown lab "e2e-pipes-nope" \(no Pulumi\.e2e-pipes-nope\.yaml; .*\(see --help\)\n$/);
        const undeployed = await runPiped("verify/cli.ts", ["--stack", "hub-and-spoke-250", "--json"]);
        expect(undeployed.code).to.equal(2);
        expect(undeployed.stderr).to.equal("vnetlab verify: lab hub-and-spoke-250 is not deployed: it has no stack file yet (npm run lab -- up hub-and-spoke-250)\n");
    });

    it("keeps its stack file one the JSON Schema accepts, once Pulumi has added the salt and the seed", () => {
        // Pulumi rewrites the file when it sets the seed: the schema line stays, and so does the file's validity.
        const text = fs.readFileSync(stackFile(STACK), "utf8");
        expect(text.split("\n")[0]).to.equal(schemaModeline());
        const doc = parse(text) as { encryptionsalt?: string; config: Record<string, unknown> };
        expect(doc.encryptionsalt).to.be.a("string");
        expect(doc.config["vnetlab:seed"]).to.have.property("secure");
        expect(schemaErrors(doc)).to.deep.equal([]);
    });

    it("leaves no container, network or veth behind", async () => {
        const left = await destroy(stack!);
        stack = undefined;
        expect(left).to.deep.equal([]);
    });
});
