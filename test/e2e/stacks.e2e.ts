// Every shipped stack through the real Pulumi lifecycle on a real Docker
// engine: preview lists the creates, up, verify passes every check, preview
// shows no changes after up and after refresh, the exported state holds no
// key or PSK in plain text, and destroy leaves nothing.
import { expect } from "chai";
import Docker from "dockerode";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { STACKS, stackLab } from "../support/recording-mocks";
import { deriveChecks, CheckResult } from "../../verify";
import { execIn } from "../../verify/exec";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { DataplaneUnavailableError, kernelIpsecNeeds } from "../../plan/dataplane";
import { CREDENTIAL_PATHS, SECRETS_CONF } from "../../configs";
import type { LabStack } from "../../automation/lab";
import { deploy, destroy, openLab, verify, DeployedLab } from "./lab";
import { runVerifyCli } from "./cli";
import { labLeftovers } from "../../host/leftovers";
import { applyFault, faultTargets, nodeOf } from "../../host/faults";
import { verifyLab } from "../../verify";
import { OUTLAST_DPD_SECONDS, RECOVERY_BOUND_SECONDS, verifyUntilHealed } from "../../verify/until";

/** Stacks whose responder (and NAT router) is also stopped for longer than DPD takes to give up on it. */
const STOPPED_LONGER = new Set(["roadwarriors", "nat", "site-to-site"]);
/** Stacks whose initiator gateway has its outside link cut (docker network disconnect, then connect): two, to keep CI short. */
const LINK_CUT = new Set(["site-to-site", "nat"]);

const failures = (results: readonly CheckResult[], kind?: CheckResult["kind"]) =>
    results.filter((r) => (!kind || r.kind === kind) && !r.pass).map((r) => `${r.id}: expected ${r.expected}, observed ${r.observed}`);

/** Each resource the engine would touch, as "op type name". */
const steps = (events: readonly EngineEvent[]) => events.flatMap((e) => {
    const m = e.resourcePreEvent?.metadata;
    return m ? [`${m.op} ${m.type} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`] : [];
});

/** The secrets a lab's gateways hold, as the containers have them: PSKs and the base64 lines of private keys. */
async function secretsInContainers(docker: Docker, deployed: DeployedLab): Promise<string[]> {
    const found: string[] = [];
    for (const node of deployed.plan.nodes.filter((n) => n.role === "gateway" || n.role === "roadwarrior")) {
        const read = async (file: string) => (await execIn(docker, node.containerName, ["sh", "-c", `cat ${file} 2>/dev/null; true`], 10)).stdout;
        for (const m of (await read(SECRETS_CONF)).matchAll(/secret\s*=\s*0s(\S+)/g)) found.push(m[1], Buffer.from(m[1], "base64").toString("utf8"));
        found.push(...(await read(CREDENTIAL_PATHS.privateKey)).split("\n").filter((l) => l.length > 40 && !l.startsWith("-----")));
    }
    return found;
}

for (const stack of STACKS) {
    const plan = planLab(parseLab(stackLab(stack), stack), stack);
    const needs = kernelIpsecNeeds(plan);
    if (needs) {
        // Which branch runs is the Docker host's answer, the preflight's own: on
        // this project's machines (no ESP) it is the refusal that is asserted.
        describe(`${stack}: needs IPsec ESP in the Docker host's kernel`, function () {
            this.timeout(10 * 60 * 1000);

            it("is refused before anything is created where the kernel has no ESP (else deployed and every check passes)", async () => {
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
                    expect(failures(await verify(lab))).to.deep.equal([]);
                } finally {
                    expect(await destroy(lab)).to.deep.equal([]);
                }
            });
        });
        continue;
    }
    describe(`${stack}: the real Pulumi lifecycle on a real Docker engine`, function () {
        this.timeout(10 * 60 * 1000);
        const docker = new Docker();
        let lab: LabStack;
        let deployed: DeployedLab;
        let previewed: string[];
        let results: CheckResult[];

        before(async () => {
            expect(await labLeftovers(docker, plan), "nothing of the lab before the test").to.deep.equal([]);
            lab = await openLab(stack, stackLab(stack));
            const events: EngineEvent[] = [];
            await lab.preview({ onEvent: (e) => events.push(e) });
            previewed = steps(events);
            const up = await lab.up();
            deployed = { stack: lab, plan: up.plan };
            results = await verify(deployed);
        });

        after(async () => {
            if (lab) await destroy(lab).catch(() => undefined);
        });

        it("previews the creates: every network and container of the plan, nothing else touched", () => {
            expect(previewed.filter((s) => !s.startsWith("create ")), previewed.join("\n")).to.deep.equal([]);
            const created = (type: string) => previewed.filter((s) => s.startsWith(`create ${type} `)).map((s) => s.split(" ")[2]).sort();
            expect(created("docker:index/container:Container")).to.deep.equal(plan.nodes.map((n) => n.name).sort());
            expect(created("docker:index/network:Network")).to.deep.equal(plan.segments.map((s) => s.key).sort());
            expect(created("docker:index/remoteImage:RemoteImage")).to.have.length(1);
        });

        it("runs every derived check", () => {
            expect(results.map((r) => r.id)).to.deep.equal(deriveChecks(deployed.plan).map((c) => c.id));
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
                const run = await runVerifyCli(deployed.plan, ["--json"]);
                expect(run.exitCode, run.stderr).to.equal(0);
                const report = JSON.parse(run.stdout) as { stack: string; results: CheckResult[] };
                expect(report.stack).to.equal(`e2e-${stack}`);
                expect(report.results.map((r) => r.id)).to.deep.equal(deriveChecks(deployed.plan).map((c) => c.id));
                expect(report.results.every((r) => r.pass)).to.equal(true);
                expect(run.stderr).to.match(/\[1\/\d+\] service web: client-a1 -> 10\.10\.0\.2:8080 \.\.\. ok/);
            });
        }

        it("previews no changes right after up (pulumi preview --expect-no-changes)", async () => {
            await lab.preview({ expectNoChanges: true });
        });

        it("previews no changes after a refresh that read every resource back", async () => {
            const refreshed = await lab.refresh();
            expect(Object.keys(refreshed).filter((op) => op !== "same"), JSON.stringify(refreshed)).to.deep.equal([]);
            await lab.preview({ expectNoChanges: true });
        });

        /** Applies a fault and verifies until the lab passes again; returns how long that took. */
        async function heals(node: string, fault: () => Promise<unknown>): Promise<number> {
            const since = Date.now();
            await fault();
            const run = await verifyUntilHealed(deployed.plan, docker, { since });
            expect(run.healed, `${node}: not healed ${run.seconds.toFixed(1)} s after the fault: ${run.error ?? failures(run.results).join("; ")}`).to.equal(true);
            expect(run.seconds).to.be.at.most(RECOVERY_BOUND_SECONDS);
            return run.seconds;
        }

        it(`heals by itself after a restart of one node of each role, each within ${RECOVERY_BOUND_SECONDS} s`, async () => {
            const took: string[] = [];
            for (const { role, node } of faultTargets(deployed.plan)) {
                const seconds = await heals(node, () => applyFault(docker, deployed.plan, node, "restart"));
                took.push(`${role} ${node}: ${seconds.toFixed(1)} s`);
            }
            console.log(`      healed after a restart: ${took.join("; ")}`);
        });

        if (STOPPED_LONGER.has(stack)) {
            it("heals on both sides after a responder, and a NAT router, stayed down longer than DPD takes to give up", async () => {
                const down = OUTLAST_DPD_SECONDS;
                const targets = faultTargets(deployed.plan).filter((t) => ["gateway (responder)", "NAT router"].includes(t.role));
                expect(targets).to.not.be.empty;
                for (const { node } of targets) {
                    await applyFault(docker, deployed.plan, node, "stop");
                    await new Promise((resolve) => setTimeout(resolve, down * 1000));
                    const seconds = await heals(node, () => applyFault(docker, deployed.plan, node, "start"));
                    console.log(`      ${node} down ${down.toFixed(0)} s: healed ${seconds.toFixed(1)} s after its start`);
                }
            });
        }

        if (LINK_CUT.has(stack)) {
            it(`heals within ${RECOVERY_BOUND_SECONDS} s of the initiator gateway's outside link coming back (docker network disconnect, then connect)`, async () => {
                const gateway = nodeOf(deployed.plan, faultTargets(deployed.plan).find((t) => t.role === "gateway (initiator)")!.node);
                const outside = gateway.interfaces.find((i) => i.name === gateway.gateway!.wan)!;
                const cut = { kind: "disconnect", segment: outside.segment } as const;
                expect(await applyFault(docker, deployed.plan, gateway.name, cut)).to.match(new RegExp(`: disconnected from ${outside.segment} \\(`));
                // The cut is real: the link is gone from the node, and what crossed it fails (this run is the few seconds the link stays cut).
                const links = await execIn(docker, gateway.containerName, ["ip", "-o", "link", "show"], 10);
                expect(links.stdout).to.not.match(new RegExp(`^\\d+: ${outside.name}[@:]`, "m"));
                const during = await verifyLab(deployed.plan, { docker, timeoutSeconds: 5 });
                expect(failures(during), "checks that fail while the link is cut").to.not.be.empty;
                const seconds = await heals(gateway.name, () => applyFault(docker, deployed.plan, gateway.name, { kind: "connect", segment: outside.segment }));
                // Back under its lab name, with Docker's name for it kept to find it by at the next cut.
                const back = await execIn(docker, gateway.containerName, ["ip", "-o", "link", "show", "dev", outside.name], 10);
                expect(back.stdout).to.match(/ altname eth\d+/);
                console.log(`      ${gateway.name}'s ${outside.name} link (${outside.segment}) cut (${failures(during).length} checks failed meanwhile): healed ${seconds.toFixed(1)} s after its connect`);
            });
        }

        it("keeps every private key and PSK out of the exported state in plain text", async () => {
            const secrets = await secretsInContainers(docker, deployed);
            if (plan.tunnels.length > 0) expect(secrets, "the gateways hold keys or PSKs").to.not.be.empty;
            const state = JSON.stringify(await lab.exportState());
            expect(state).to.not.match(/PRIVATE KEY/);
            for (const secret of secrets) expect(state).to.not.include(secret);
            // What holds them is there, encrypted.
            expect(state).to.include("4dabf18193072939515e22adb298388d");
        });

        it("destroys everything: no container, network or veth left, and no resource in the stack", async () => {
            expect(await destroy(lab)).to.deep.equal([]);
        });
    });
}
