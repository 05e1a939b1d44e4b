// Output that survives pipes: `npm run -s plan -- hub-and-spoke-250 | reader`
// must deliver every byte, and the exit code, whatever the reader's pace.
// Both outputs go through real pipes into slow readers (test/support/pipes.ts);
// a command that exits while its writes are queued loses them there.
// (`verify --json` is tested the same way on a deployed lab: test/e2e/pipes.e2e.ts.)
import { expect } from "chai";
import * as fs from "fs";
import { writeStackLab } from "../../automation/lab";
import { hubAndSpokeLab, hubAndSpokeStack, MAX_BRANCHES } from "../../model/hub-and-spoke";
import { stackFile } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { runPiped } from "../support/pipes";

const MiB = 1024 * 1024;
/** Larger than any pipe's buffer (64 KiB on Linux) many times over. */
const LARGE = hubAndSpokeStack(MAX_BRANCHES);
/** A stack file with hundreds of problems: a long error on stderr, exit 1. Gitignored, removed after the test. */
const BROKEN = "e2e-pipes-broken";

interface RawSite {
    lan: { ipv4: string };
    gateway: { isp: { subnet: { ipv4: string } } };
    hosts: Record<string, { role: string }>;
}

describe("command output through a pipe into a slow reader", function () {
    this.timeout(10 * 60 * 1000);

    before(() => {
        const lab = hubAndSpokeLab(MAX_BRANCHES) as { sites: Record<string, RawSite> };
        for (const site of Object.values(lab.sites)) {
            site.lan.ipv4 = site.lan.ipv4.replace(/\/\d+$/, "/33");
            site.gateway.isp.subnet.ipv4 = site.gateway.isp.subnet.ipv4.replace(/\/\d+$/, "/40");
            for (const host of Object.values(site.hosts)) host.role = "printer";
        }
        writeStackLab(BROKEN, lab);
    });
    after(() => fs.rmSync(stackFile(BROKEN), { force: true }));

    it(`plan ${LARGE}: more than 1 MiB of JSON arrives whole, exit code 0`, async () => {
        const run = await runPiped("scripts/plan.ts", [LARGE]);
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stderr).to.equal("");
        expect(Buffer.byteLength(run.stdout)).to.be.greaterThan(MiB);
        const expected = `${JSON.stringify(planLab(parseLab(hubAndSpokeLab(MAX_BRANCHES), LARGE), LARGE), null, 2)}\n`;
        // Compared as text, not parsed first: a cut-off document must fail with its length, not only with a parse error.
        expect(run.stdout.length, "bytes that arrived").to.equal(expected.length);
        expect(JSON.parse(run.stdout)).to.deep.equal(JSON.parse(expected));
    });

    it("plan of a broken stack: every problem arrives on stderr (more than a pipe holds), exit code 1", async () => {
        const run = await runPiped("scripts/plan.ts", [BROKEN]);
        expect(run.code, run.stderr.slice(0, 500)).to.equal(1);
        expect(run.stdout).to.equal("");
        expect(Buffer.byteLength(run.stderr)).to.be.greaterThan(64 * 1024);
        const lines = run.stderr.trimEnd().split("\n");
        const count = Number(/^Pulumi\.e2e-pipes-broken\.yaml: invalid lab config \((\d+) problems\):$/.exec(lines[0]!)?.[1]);
        // Three per site: its LAN, its ISP link and its host.
        expect(count).to.equal(3 * (MAX_BRANCHES + 1));
        expect(lines.slice(1)).to.have.length(count);
        expect(lines.at(-1)).to.match(/^ {2}vnetlab:lab\.sites\.b250\.hosts\.client-b250\.role: Invalid option/);
    });

    it("plan of an unknown lab: its one line, exit code 2", async () => {
        const run = await runPiped("scripts/plan.ts", ["hub-and-spoke-0"]);
        expect(run.code).to.equal(2);
        expect(run.stdout).to.equal("");
        expect(run.stderr).to.match(/^vnetlab plan: <stack>: unknown lab "hub-and-spoke-0" .*\(see --help\)\n$/);
    });
});
