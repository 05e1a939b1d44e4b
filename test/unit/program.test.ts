// index.ts as `pulumi up` runs it: config from the stack, outputs exported.
import { expect } from "chai";
import { refusalOf } from "../support/refusal";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, TEST_SEED, filesOf, isSecret, promiseOf, stackLab } from "../support/recording-mocks";
import { SECRETS_CONF, derivePsk } from "../../configs";
import { SeedConfigError } from "../../model/seed";
import { MANIFEST_FORMAT, LabManifest, NodeRow, TunnelRow } from "../../plan/summary";
import { DataplaneUnavailableError } from "../../plan/dataplane";
import { HOST_ESP_ENV } from "../../host/preflight";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */

type Outputs = { nodes: pulumi.Output<NodeRow[]>; tunnels: pulumi.Output<TunnelRow[]>; manifest: pulumi.Output<LabManifest> };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the program, as the Pulumi CLI loads it
const program = () => (require("../../index") as () => Promise<Outputs>)();

/**
 * Runs the program for a stack's lab under fresh mocks; the host's ESP
 * answered by HOST_ESP_ENV, never by Docker. The stack's seed is TEST_SEED,
 * set as a secret, unless `seed` says otherwise (null: none set).
 */
async function runProgram(
    stack: string,
    hostEsp: string | undefined,
    { mocks = new RecordingMocks(), seed = TEST_SEED }: { mocks?: RecordingMocks; seed?: string | null } = {},
): Promise<{ mocks: RecordingMocks; outputs?: Outputs; error?: unknown }> {
    pulumi.runtime.setMocks(mocks, "vnetlab", stack, false);
    pulumi.runtime.setAllConfig(
        { "vnetlab:lab": JSON.stringify(stackLab(stack)), ...(seed !== null ? { "vnetlab:seed": seed } : {}) },
        seed !== null ? ["vnetlab:seed"] : [],
    );
    const saved = process.env[HOST_ESP_ENV];
    if (hostEsp === undefined) delete process.env[HOST_ESP_ENV];
    else process.env[HOST_ESP_ENV] = hostEsp;
    try {
        return { mocks, outputs: await program() };
    } catch (error) {
        return { mocks, error };
    } finally {
        if (saved === undefined) delete process.env[HOST_ESP_ENV];
        else process.env[HOST_ESP_ENV] = saved;
    }
}

describe("index.ts, the Pulumi program", function () {
    this.timeout(30000);

    it("reads vnetlab:lab and vnetlab:psk-<tunnel> from the stack config and exports nodes, tunnels and the manifest", async () => {
        const mocks = new RecordingMocks();
        pulumi.runtime.setMocks(mocks, "vnetlab", "dev", false);
        pulumi.runtime.setAllConfig(
            { "vnetlab:lab": JSON.stringify(stackLab("dev")), "vnetlab:seed": TEST_SEED, "vnetlab:psk-a-s": "from-config-0123456789" },
            ["vnetlab:seed", "vnetlab:psk-a-s"],
        );
        const outputs = await program();
        const [nodes, tunnels, manifest] = await Promise.all([promiseOf(outputs.nodes), promiseOf(outputs.tunnels), promiseOf(outputs.manifest)]);

        expect(nodes.map((n) => [n.node, n.role, n.container])).to.deep.equal([
            ["router", "router", "vnetlab-dev-router"],
            ["gateway-a", "gateway", "vnetlab-dev-gateway-a"],
            ["client-a1", "client", "vnetlab-dev-client-a1"],
            ["gateway-s", "gateway", "vnetlab-dev-gateway-s"],
            ["server-s1", "server", "vnetlab-dev-server-s1"],
        ]);
        expect(nodes[1].exec).to.equal("docker exec -it vnetlab-dev-gateway-a bash");
        expect(nodes[1].addresses).to.deep.equal(["10.10.0.1/24 (lan)", "10.10.0.2/24 (lan, service)", "172.31.10.2/24 (isp)"]);
        expect(tunnels).to.deep.equal([{
            tunnel: "a-s", type: "site-to-site", between: "gateway-a 172.31.10.2 <-> gateway-s 172.31.20.2",
            trafficSelectors: "10.10.0.0/24 <-> 10.20.0.0/24", ike: "aes256gcm16-prfsha384-ecp384", esp: "aes256gcm16-ecp384",
            auth: "psk", startAction: "start", mode: "tunnel",
        }]);
        expect(manifest.format).to.equal(MANIFEST_FORMAT);
        expect(manifest.plan.name).to.equal("vnetlab-dev");

        // The configured PSK, not one derived from the seed, and still secret.
        const gw = mocks.container("gateway-a");
        expect(isSecret((gw.inputs as any).uploads)).to.equal(true);
        expect(filesOf(gw).get(SECRETS_CONF)!.content).to.include(Buffer.from("from-config-0123456789").toString("base64"))
            .and.not.include(Buffer.from(derivePsk(TEST_SEED, "a-s")).toString("base64"));
        expect(JSON.stringify([nodes, tunnels, manifest])).to.not.include("from-config-0123456789");
    });

    it("refuses a stack without vnetlab:seed before registering anything, and says how to set one", async () => {
        const { mocks, error } = await runProgram("site-to-site", "yes", { seed: null });
        expect(refusalOf(error)).to.be.instanceOf(SeedConfigError);
        expect((error as Error).message).to.equal([
            "vnetlab:seed is not set; the lab's keys, certificates and generated PSKs derive from this stack secret.",
            "  `npm run lab -- up site-to-site` creates one on first use, or set one yourself:",
            '  pulumi config set --stack site-to-site --secret vnetlab:seed "$(openssl rand -hex 32)"',
        ].join("\n"));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(mocks.resources, "nothing may be registered").to.deep.equal([]);
    });

    it("refuses a seed shorter than 32 characters before registering anything, without showing it", async () => {
        const short = "0123456789abcdef0123456789abcde";
        const { mocks, error } = await runProgram("dev", "yes", { seed: short });
        expect(refusalOf(error)).to.be.instanceOf(SeedConfigError);
        expect((error as Error).message).to.match(/^vnetlab:seed is shorter than 32 characters;/)
            .and.include('pulumi config set --stack dev --secret vnetlab:seed "$(openssl rand -hex 32)"')
            .and.not.include(short);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(mocks.resources, "nothing may be registered").to.deep.equal([]);
        // 32 characters are enough.
        const enough = await runProgram("dev", "yes", { seed: `${short}f` });
        expect(enough.error).to.equal(undefined);
        await promiseOf(enough.outputs!.manifest);
    });

    it("refuses a transport-mode lab before registering anything when the Docker host's kernel has no ESP", async () => {
        const { mocks, error } = await runProgram("host-to-host-transport", "no");
        expect(refusalOf(error)).to.be.instanceOf(DataplaneUnavailableError);
        expect((error as Error).message).to.equal([
            "lab vnetlab-host-to-host-transport cannot run on this Docker host; nothing was created:",
            "  tunnel a-b needs transport mode (vnetlab:lab.tunnels.a-b.mode);",
            `  this Docker host's kernel has no IPsec ESP (${HOST_ESP_ENV}=no says so, the Docker host was not asked);`,
            "  strongSwan's userspace dataplane (kernel-libipsec), the only one such a host can run, supports tunnel mode only.",
            "Use mode: tunnel for a-b, or run the lab on a Docker host whose kernel has IPsec ESP (a usual Linux host, Docker Desktop).",
        ].join("\n"));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(mocks.resources, "nothing may be registered").to.deep.equal([]);
    });

    it("deploys the transport-mode lab where the kernel has ESP, its tunnel in transport mode", async () => {
        const { mocks, outputs, error } = await runProgram("host-to-host-transport", "yes");
        expect(error).to.equal(undefined);
        expect(await promiseOf(outputs!.tunnels)).to.deep.equal([{
            tunnel: "a-b", type: "host-to-host", between: "host-a 172.31.61.10 <-> host-b 172.31.62.20",
            trafficSelectors: "172.31.61.10/32 <-> 172.31.62.20/32", ike: "aes256gcm16-prfsha384-ecp384", esp: "aes256gcm16-ecp384",
            auth: "pubkey", startAction: "start", mode: "transport",
        }]);
        expect(mocks.containers().map((c) => c.name).sort()).to.deep.equal(["host-a", "host-b", "router"]);
    });

    it("asks nothing of the host for a lab every dataplane carries, and refuses a malformed answer", async () => {
        // With the switch unset and no Docker engine to reach, a tunnel-mode lab still deploys: it never asks.
        const dockerHost = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = "unix:///nonexistent/vnetlab-test.sock";
        try {
            const plain = await runProgram("host-to-host", undefined);
            expect(plain.error).to.equal(undefined);
            await promiseOf(plain.outputs!.manifest);
            expect(plain.mocks.containers().length).to.be.greaterThan(0);
            // A transport lab with the switch unset does ask, so it fails here, registering nothing.
            const asked = await runProgram("host-to-host-transport", undefined);
            expect(String(asked.error)).to.include("/nonexistent/vnetlab-test.sock");
            expect(asked.mocks.resources).to.deep.equal([]);
        } finally {
            if (dockerHost === undefined) delete process.env.DOCKER_HOST;
            else process.env.DOCKER_HOST = dockerHost;
        }
        const { mocks, error } = await runProgram("host-to-host-transport", "maybe");
        expect((error as Error).message).to.equal(`${HOST_ESP_ENV} must be yes or no (or unset, to ask the Docker host), not "maybe"`);
        expect(mocks.resources).to.deep.equal([]);
    });
});
