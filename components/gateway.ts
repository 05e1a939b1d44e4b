import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { renderCredentialFiles, renderPrivateKeyFile, renderSecrets, NodeFile } from "../configs";
import type { GatewayPki } from "./pki";
import { nodeContainer } from "./node-container";

export interface GatewayArgs {
    readonly lab: LabPlan;
    readonly node: NodePlan;
    readonly image: pulumi.Input<string>;
    readonly networks: Readonly<Record<string, pulumi.Input<string>>>;
    /** PSK per tunnel name, for the psk tunnels this gateway ends. */
    readonly psks: Readonly<Record<string, pulumi.Output<string>>>;
    /** Its certificate, key and the lab's CAs and CRLs, when it ends a pubkey tunnel. */
    readonly pki?: GatewayPki;
}

/**
 * The container of a node that runs IKE (a gateway or a road warrior), with
 * its PSKs, certificate and private key, which stay Pulumi secrets into it.
 */
export function ikeNodeContainer(args: GatewayArgs, opts: pulumi.CustomResourceOptions): docker.Container {
    const pskTunnels = args.lab.tunnels
            .filter((t) => t.auth === "psk" && t.ends.some((e) => e.gateway === args.node.name))
            .map((t) => t.name);
    const files: pulumi.Output<NodeFile[]>[] = [];
    if (pskTunnels.length > 0) {
        files.push(pulumi.secret(pulumi
            .all(Object.fromEntries(pskTunnels.map((t) => [t, args.psks[t]])))
            .apply((psks) => [renderSecrets(args.node, args.lab, psks)])));
    }
    if (args.pki) {
        files.push(args.pki.credentials.apply(renderCredentialFiles));
        files.push(pulumi.secret(args.pki.privateKeyPem.apply((pem) => [renderPrivateKeyFile(pem)])));
    }
    return nodeContainer(
        { lab: args.lab, node: args.node, image: args.image, networks: args.networks, extraFiles: pulumi.all(files).apply((lists) => lists.flat()) },
        opts,
    );
}

/** A site's gateway: strongSwan, firewall, NAT. */
export class Gateway extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Gateway", name, {}, opts);
        this.container = ikeNodeContainer(args, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}

/** A road warrior: a host outside any site that dials in to a site's gateway for a virtual IP. */
export class RoadWarrior extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:RoadWarrior", name, {}, opts);
        this.container = ikeNodeContainer(args, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}
