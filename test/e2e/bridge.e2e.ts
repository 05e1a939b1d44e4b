// A lab of Docker bridge segments on this machine's engine. Docker with
// iptables (its default, and this project's CI engine) isolates internal
// bridges, and with br_netfilter that drops every packet a lab routes across
// one: `npm run lab -- up` refuses such a lab before it makes anything. On an
// engine without iptables the same lab comes up and verifies.
import { expect } from "chai";
import * as fs from "fs";
import Docker from "dockerode";
import { stackLab } from "../support/recording-mocks";
import { writeStackLab } from "../../automation/lab";
import { stackFile } from "../../model/stack-file";
import { dockerIsolatesBridges } from "../../host/links";
import { labLeftovers } from "../../host/leftovers";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { runLabCli, runVerifyStackCli } from "./cli";

const STACK = "e2e-bridge";

describe("bridge segments on this machine's Docker engine: npm run lab -- up", function () {
    this.timeout(5 * 60 * 1000);
    const docker = new Docker();
    const lab = { ...(stackLab("dev") as object), network: { driver: "bridge" } };
    const plan = planLab(parseLab(lab, STACK), STACK);

    before(() => writeStackLab(STACK, lab));
    after(() => fs.rmSync(stackFile(STACK), { force: true }));

    it("refuses the lab, with the config path and what to do, and makes nothing, where the engine isolates bridges", async () => {
        const up = await runLabCli(["up", STACK]);
        if (!dockerIsolatesBridges()) {
            // An engine without iptables carries the lab: up, verify, down leaves nothing.
            expect(up.exitCode, up.stderr).to.equal(0);
            const verify = await runVerifyStackCli(STACK);
            expect(verify.exitCode, verify.stdout).to.equal(0);
            expect((await runLabCli(["down", STACK])).exitCode).to.equal(0);
            expect(await labLeftovers(docker, plan)).to.deep.equal([]);
            return;
        }
        expect(up.exitCode, `${up.stdout}\n${up.stderr}`).to.equal(1);
        expect(up.stderr).to.match(/vnetlab lab: vnetlab:lab\.network\.driver: is bridge, but this machine's Docker engine isolates its internal bridges with iptables/);
        expect(up.stderr).to.include("Use driver: macvlan (the default), or run dockerd with --iptables=false.");
        expect(up.stdout).to.not.include("ready");
        expect(await labLeftovers(docker, plan)).to.deep.equal([]);
        const down = await runLabCli(["down", STACK]);
        expect(down.stdout + down.stderr, "no stack was created for it").to.match(/no stack|nothing of/);
    });
});
