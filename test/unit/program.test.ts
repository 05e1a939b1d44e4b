// index.ts as `pulumi up` runs it: config from the stack, outputs exported.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, isSecret, promiseOf, stackLab } from "../support/recording-mocks";
import { MANIFEST_FORMAT, LabManifest, NodeRow, TunnelRow } from "../../plan/summary";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */

describe("index.ts, the Pulumi program", function () {
    this.timeout(30000);

    it("reads vnetlab:lab and vnetlab:psk-<tunnel> from the stack config and exports nodes, tunnels and the manifest", async () => {
        const mocks = new RecordingMocks();
        pulumi.runtime.setMocks(mocks, "vnetlab", "dev", false);
        pulumi.runtime.setAllConfig(
            { "vnetlab:lab": JSON.stringify(stackLab("dev")), "vnetlab:psk-a-s": "from-config-0123456789" },
            ["vnetlab:psk-a-s"],
        );
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program runs on import, as under the Pulumi CLI
        const program = require("../../index") as { nodes: pulumi.Output<NodeRow[]>; tunnels: pulumi.Output<TunnelRow[]>; manifest: pulumi.Output<LabManifest> };
        const [nodes, tunnels, manifest] = await Promise.all([promiseOf(program.nodes), promiseOf(program.tunnels), promiseOf(program.manifest)]);

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

        // The configured PSK, not a generated one, and still secret.
        expect(mocks.ofType("random:index/randomPassword:RandomPassword")).to.deep.equal([]);
        const gw = mocks.containers().find((c) => c.name === "gateway-a")!.inputs as any;
        expect(isSecret(gw.uploads)).to.equal(true);
        expect(JSON.stringify(gw.uploads.value)).to.include(Buffer.from("from-config-0123456789").toString("base64"));
        expect(JSON.stringify([nodes, tunnels, manifest])).to.not.include("from-config-0123456789");
    });
});
