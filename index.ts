import * as pulumi from "@pulumi/pulumi";
import { deployLabOnHost } from "./components";
import { tlsConfigKey } from "./host/engines";
import { leanRuntime } from "./components/lean-runtime";

// Before the first resource: the SDK's stack traces and debug messages per resource cost a large lab seconds.
leanRuntime();

// An async program (Pulumi awaits it; the result's properties are the stack's
// outputs), so that it can ask the Docker host whether its kernel carries the
// lab's IPsec before it registers a single resource. Set VNETLAB_HOST_ESP=yes
// or no to answer that without Docker (host/preflight.ts).
export = async () => {
    const config = new pulumi.Config("vnetlab");
    const lab = await deployLabOnHost({
        lab: config.getObject<unknown>("lab"),
        stack: pulumi.getStack(),
        // A secret: the lab's keys, certificates and generated PSKs derive from it.
        seed: config.getSecret("seed"),
        tunnelSecret: (tunnel) => config.getSecret(`psk-${tunnel}`),
        // A tcp:// Docker host with tls: its CA, certificate and key.
        hostTlsSecret: (host, part) => config.getSecret(tlsConfigKey(host, part)),
    });
    return {
        /** One row per node: role, lab addresses, container and how to get a shell in it. */
        nodes: lab.nodes,
        /** One row per tunnel: its gateways, traffic selectors and proposals. */
        tunnels: lab.tunnels,
        /** The whole plan, machine-readable; `npm run verify` reads it. */
        manifest: lab.manifest,
    };
};
