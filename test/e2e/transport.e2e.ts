// Transport mode as a user meets it on a Docker host whose kernel has no IPsec
// ESP (this project's machines): `npm run lab -- up` refuses the lab before it
// creates anything, says why and what to do, and exits non-zero. On a host
// with ESP the same command brings the lab up (and `down` removes it).
import { expect } from "chai";
import Docker from "dockerode";
import { stackLab } from "../support/recording-mocks";
import { buildNodeImage, probeHostEsp } from "../../host/preflight";
import { parseLab } from "../../model/validate";
import { DataplaneUnavailableError, HostEsp, kernelIpsecNeeds } from "../../plan/dataplane";
import { planLab } from "../../plan/plan";
import { runLabCli } from "./cli";
import { labLeftovers } from "../../host/leftovers";

const STACK = "host-to-host-transport";

describe(`${STACK}: npm run lab -- up on this Docker host`, function () {
    this.timeout(5 * 60 * 1000);
    const docker = new Docker();
    const plan = planLab(parseLab(stackLab(STACK), STACK), STACK);
    let host: HostEsp;

    before(async () => {
        // The answer the preflight will get, asked the same way beforehand.
        host = await probeHostEsp(docker, await buildNodeImage(plan.image), plan);
        expect(await labLeftovers(docker, plan), "nothing of the lab before the test").to.deep.equal([]);
    });

    it("asks the Docker host in a throwaway container that leaves nothing behind", async () => {
        expect(host.detail).to.match(host.esp ? /^a test ESP SA was accepted$/ : /^a test ESP SA in a throwaway container was refused: \S/);
        expect(await labLeftovers(docker, plan)).to.deep.equal([]);
    });

    it("exits 1 with the reason and what to do, and creates no container, network or veth, where the kernel has no ESP", async () => {
        const up = await runLabCli(["up", STACK]);
        if (host.esp) {
            // A host with kernel ESP carries the lab: up, then down leaves nothing.
            expect(up.exitCode, up.stderr).to.equal(0);
            const down = await runLabCli(["down", STACK]);
            expect(down.exitCode, down.stderr).to.equal(0);
            expect(await labLeftovers(docker, plan)).to.deep.equal([]);
            return;
        }
        expect(up.exitCode, `${up.stdout}\n${up.stderr}`).to.equal(1);
        const expected = new DataplaneUnavailableError(plan.name, kernelIpsecNeeds(plan)!, host).message;
        expect(up.stderr).to.include(`vnetlab lab: ${expected}\n`);
        expect(expected.split("\n")).to.deep.equal([
            "lab vnetlab-host-to-host-transport cannot run on this Docker host; nothing was created:",
            "  tunnel a-b needs transport mode (vnetlab:lab.tunnels.a-b.mode);",
            `  this Docker host's kernel has no IPsec ESP (${host.detail});`,
            "  strongSwan's userspace dataplane (kernel-libipsec), the only one such a host can run, supports tunnel mode only.",
            "Use mode: tunnel for a-b, or run the lab on a Docker host whose kernel has IPsec ESP (a usual Linux host, Docker Desktop).",
        ]);
        expect(up.stdout).to.not.include("ready");
        expect(await labLeftovers(docker, plan)).to.deep.equal([]);
    });
});
