// What a lab needs of the Docker host's kernel, and the refusal's words, with
// no Docker: the preflight's probe itself runs in test/e2e/transport.e2e.ts.
import { expect } from "chai";
import type Docker from "dockerode";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { DataplaneUnavailableError, kernelIpsecNeeds } from "../../plan/dataplane";
import { HOST_ESP_ENV, checkDataplane } from "../../host/preflight";

/** The part of a stack's raw YAML these tests change. */
interface RawLab {
    dataplane?: string;
    sites: Record<string, unknown>;
    tunnels: Record<string, { type: string; between: string[]; mode?: string }>;
    services?: Record<string, unknown>;
}

const planOf = (stack: string, edit?: (raw: RawLab) => void): LabPlan => {
    const raw = JSON.parse(JSON.stringify(loadStackLab(stack))) as RawLab;
    edit?.(raw);
    return planLab(parseLab(raw, stack), stack);
};

/** A Docker client that fails the test on any use: the preflight must not ask. */
const noDocker = new Proxy({}, { get: (_, key) => { throw new Error(`the preflight used Docker (${String(key)})`); } }) as unknown as Docker;

const refusal = (plan: LabPlan, env: Record<string, string>) =>
    checkDataplane(plan, { docker: noDocker, env }).then(() => undefined, (e: unknown) => e);

describe("the dataplane a lab needs of the Docker host", () => {
    it("needs the kernel's IPsec for transport tunnels and for dataplane: kernel, and nothing else", () => {
        expect(kernelIpsecNeeds(planOf("host-to-host-transport"))).to.deep.equal({ transport: ["a-b"], forced: false });
        expect(kernelIpsecNeeds(planOf("host-to-host-transport", (l) => { l.dataplane = "kernel"; }))).to.deep.equal({ transport: ["a-b"], forced: true });
        expect(kernelIpsecNeeds(planOf("site-to-site", (l) => { l.dataplane = "kernel"; }))).to.deep.equal({ transport: [], forced: true });
        for (const stack of ["dev", "host-to-host", "site-to-site", "site-to-site-ipv6", "full-mesh"]) {
            expect(kernelIpsecNeeds(planOf(stack)), stack).to.equal(undefined);
            expect(kernelIpsecNeeds(planOf(stack, (l) => { l.dataplane = "libipsec"; })), stack).to.equal(undefined);
        }
        // A forced kernel with nothing to carry asks nothing either.
        expect(kernelIpsecNeeds(planOf("dev", (l) => { l.dataplane = "kernel"; l.tunnels = {}; l.services = {}; }))).to.equal(undefined);
    });

    it("asks nothing for a lab either dataplane carries, even with no answer given", async () => {
        for (const stack of ["dev", "host-to-host", "full-mesh"]) expect(await refusal(planOf(stack), {})).to.equal(undefined);
    });

    it("lets a lab that needs the kernel through where the kernel has ESP", async () => {
        expect(await refusal(planOf("host-to-host-transport"), { [HOST_ESP_ENV]: "yes" })).to.equal(undefined);
    });

    it("refuses a forced kernel dataplane with its config path and the way out", async () => {
        const error = await refusal(planOf("site-to-site", (l) => { l.dataplane = "kernel"; }), { [HOST_ESP_ENV]: "no" });
        expect(error).to.be.instanceOf(DataplaneUnavailableError);
        expect((error as Error).message).to.equal([
            "lab vnetlab-site-to-site cannot run on this Docker host; nothing was created:",
            "  the lab sets dataplane: kernel (vnetlab:lab.dataplane);",
            `  this Docker host's kernel has no IPsec ESP (${HOST_ESP_ENV}=no says so, the Docker host was not asked);`,
            "Use dataplane: auto (the userspace dataplane then carries tunnel-mode tunnels), or run the lab on a Docker host whose kernel has IPsec ESP (a usual Linux host, Docker Desktop).",
        ].join("\n"));
    });

    it("names every transport tunnel, and both reasons when the kernel is also forced", async () => {
        const plan = planOf("host-to-host-transport", (l) => {
            l.dataplane = "kernel";
            l.sites.c = { lan: { ipv4: "10.61.3.0/24" }, gateway: { isp: { subnet: { ipv4: "172.31.63.0/24" } } } };
            l.tunnels["a-c"] = { type: "host-to-host", between: ["a", "c"], mode: "transport" };
        });
        const error = (await refusal(plan, { [HOST_ESP_ENV]: "no" })) as DataplaneUnavailableError;
        expect(error.needs).to.deep.equal({ transport: ["a-b", "a-c"], forced: true });
        expect(error.message.split("\n")).to.deep.equal([
            "lab vnetlab-host-to-host-transport cannot run on this Docker host; nothing was created:",
            "  tunnels a-b, a-c need transport mode (vnetlab:lab.tunnels.a-b.mode, vnetlab:lab.tunnels.a-c.mode);",
            "  the lab sets dataplane: kernel (vnetlab:lab.dataplane);",
            `  this Docker host's kernel has no IPsec ESP (${HOST_ESP_ENV}=no says so, the Docker host was not asked);`,
            "  strongSwan's userspace dataplane (kernel-libipsec), the only one such a host can run, supports tunnel mode only.",
            "Use mode: tunnel for a-b, a-c, use dataplane: auto (the userspace dataplane then carries tunnel-mode tunnels), " +
            "or run the lab on a Docker host whose kernel has IPsec ESP (a usual Linux host, Docker Desktop).",
        ]);
    });
});
