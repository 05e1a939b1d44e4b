import { expect } from "chai";
import Docker from "dockerode";
import { STACKS, stackLab } from "../support/recording-mocks";
import { deriveChecks, CheckResult } from "../../verify";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { DataplaneUnavailableError, kernelIpsecNeeds } from "../../plan/dataplane";
import { deploy, verify, DeployedLab } from "./lab";
import { runVerifyCli } from "./cli";
import { labLeftovers } from "./leftovers";

const failures = (results: readonly CheckResult[], kind?: CheckResult["kind"]) =>
    results.filter((r) => (!kind || r.kind === kind) && !r.pass).map((r) => `${r.id}: expected ${r.expected}, observed ${r.observed}`);

for (const stack of STACKS) {
    const needs = kernelIpsecNeeds(planLab(parseLab(stackLab(stack), stack), stack));
    if (needs) {
        // Which branch runs is the Docker host's answer, the preflight's own: on
        // this project's machines (no ESP) it is the refusal that is asserted.
        describe(`${stack}: needs IPsec ESP in the Docker host's kernel`, function () {
            this.timeout(10 * 60 * 1000);

            it("is refused before anything is created where the kernel has no ESP (else deployed and every check passes)", async () => {
                const plan = planLab(parseLab(stackLab(stack), stack), stack);
                let lab: DeployedLab;
                try {
                    lab = await deploy(stack, { lab: stackLab(stack) });
                } catch (e) {
                    if (!(e instanceof DataplaneUnavailableError)) throw e;
                    expect(e.host.esp).to.equal(false);
                    expect(e.needs).to.deep.equal(needs);
                    expect(e.message).to.match(/^lab \S+ cannot run on this Docker host; nothing was created:\n/);
                    expect(e.message).to.include("this Docker host's kernel has no IPsec ESP (a test ESP SA in a throwaway container was refused: ");
                    expect(await labLeftovers(new Docker(), plan)).to.deep.equal([]);
                    return;
                }
                try {
                    const results = await verify(lab);
                    expect(failures(results)).to.deep.equal([]);
                } finally {
                    await lab.engine.destroyAll();
                }
                expect(await lab.engine.leftovers()).to.deep.equal([]);
            });
        });
        continue;
    }
    describe(`${stack}: deployed on a real Docker engine and verified`, function () {
        this.timeout(10 * 60 * 1000);
        let lab: DeployedLab;
        let results: CheckResult[];

        before(async () => {
            lab = await deploy(stack, { lab: stackLab(stack) });
            results = await verify(lab);
        });

        after(async () => {
            if (lab) await lab.engine.destroyAll();
        });

        it("runs every derived check", () => {
            expect(results.map((r) => r.id)).to.deep.equal(deriveChecks(lab.plan).map((c) => c.id));
            // Two lone hosts have nothing but each other, and all they exchange is tunnelled: no probe.
            const kinds = stack === "host2host" ? ["service", "sa", "wire"] as const : ["service", "sa", "wire", "probe"] as const;
            for (const kind of kinds) {
                expect(results.filter((r) => r.kind === kind), `${kind} checks`).to.not.be.empty;
            }
        });

        it("establishes every tunnel's IKE and CHILD SA with the configured proposals and selectors", () => {
            expect(failures(results, "sa")).to.deep.equal([]);
        });

        it("answers every client through its service address, from the right server instance", () => {
            expect(failures(results, "service")).to.deep.equal([]);
        });

        it("shows only ESP between the gateways on the wire (the router's, or the responder's outside)", () => {
            expect(failures(results, "wire")).to.deep.equal([]);
        });

        it("blocks what must not work: router and other sites from clients, the gateways' ISP side", () => {
            expect(failures(results, "probe")).to.deep.equal([]);
        });

        if (stack === "nat") {
            it("proves each path crossed the NAT router: the responder meets the initiator at moon's address and another port", () => {
                expect(results.filter((r) => r.kind === "nat").map((r) => r.id)).to.deep.equal([
                    "tunnel venus-sun: crosses NAT router moon", "tunnel alice: crosses NAT router moon",
                ]);
                expect(failures(results, "nat")).to.deep.equal([]);
            });
        }

        if (stack === "roadwarriors") {
            it("hands carol and dave virtual IPs out of moon's pools, and alice sees their requests come from them", () => {
                const vip = results.filter((r) => r.kind === "service");
                expect(vip).to.have.length(3);
                for (const r of vip) expect(r.observed).to.match(/peer=(10\.3\.0\.\d+|fd00:0*3:.*); virtual IP /);
            });
        }

        it("passes every check, whatever its kind", () => {
            expect(failures(results)).to.deep.equal([]);
        });

        if (stack === "dev") {
            it("passes `npm run verify -- --json` too: exit 0, every result passed, progress on stderr", async () => {
                const run = await runVerifyCli(lab.plan, ["--json"]);
                expect(run.exitCode, run.stderr).to.equal(0);
                const report = JSON.parse(run.stdout) as { stack: string; results: CheckResult[] };
                expect(report.stack).to.equal("dev");
                expect(report.results.map((r) => r.id)).to.deep.equal(deriveChecks(lab.plan).map((c) => c.id));
                expect(report.results.every((r) => r.pass)).to.equal(true);
                expect(run.stderr).to.match(/\[1\/\d+\] service web: client-a1 -> 10\.10\.0\.2:8080 \.\.\. ok/);
            });
        }

        it("leaves no container, network or veth behind after destroy", async () => {
            await lab.engine.destroyAll();
            expect(await lab.engine.leftovers()).to.deep.equal([]);
        });
    });
}
