// Every tunnel proves itself: a lab with two trap tunnels between the same two
// gateways (one IPv4, one IPv6) and nothing but ICMP `checks:` passes every SA
// check, whatever its other checks are and in whatever order they run.
import { expect } from "chai";
import Docker from "dockerode";
import type { LabPlan } from "../../plan/types";
import { execIn } from "../../verify/exec";
import { verifyLab, formatTable } from "../../verify";
import { deploy, destroy, DeployedLab } from "./lab";
import { TWO_TRAPS } from "../support/two-traps";

describe("two trap tunnels between the same gateways, only ICMP checks", function () {
    this.timeout(10 * 60 * 1000);
    const docker = new Docker();
    let lab: DeployedLab | undefined;

    before(async () => {
        lab = await deploy("two-traps", { lab: TWO_TRAPS });
    });

    after(async () => {
        if (lab) expect(await destroy(lab)).to.deep.equal([]);
    });

    /** Takes both tunnels down on both ends, as before any packet: only the trap policies are left. */
    async function down(plan: LabPlan): Promise<void> {
        for (const gateway of ["gateway-a", "gateway-b"]) {
            const container = plan.nodes.find((n) => n.name === gateway)!.containerName;
            for (const tunnel of ["v4", "v6"]) await execIn(docker, container, ["swanctl", "--terminate", "--ike", tunnel, "--timeout", "5"], 20);
            const left = await execIn(docker, container, ["swanctl", "--list-sas"], 10);
            expect(left.stdout, `${gateway} still has SAs`).to.not.match(/ESTABLISHED|INSTALLED/);
        }
    }

    async function passesAll(plan: LabPlan, sas: number): Promise<void> {
        const results = await verifyLab(plan, { docker });
        expect(results.filter((r) => !r.pass), formatTable(results, 160)).to.deep.equal([]);
        expect(results.filter((r) => r.kind === "sa").map((r) => r.id)).to.have.length(sas);
    }

    it("passes every check, each tunnel's SAs on both ends included, from tunnels that no packet has brought up yet", async () => {
        await down(lab!.plan);
        await passesAll(lab!.plan, 4);
    });

    it("still does with the ICMP checks reversed, and with none at all", async () => {
        await down(lab!.plan);
        await passesAll({ ...lab!.plan, checks: [...lab!.plan.checks].reverse() }, 4);
        await down(lab!.plan);
        await passesAll({ ...lab!.plan, checks: [] }, 4);
    });
});
