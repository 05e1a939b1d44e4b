import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { renderSecrets } from "../configs";
import { nodeContainer } from "./node-container";

export interface GatewayArgs {
    readonly lab: LabPlan;
    readonly node: NodePlan;
    readonly image: pulumi.Input<string>;
    readonly networks: Readonly<Record<string, pulumi.Input<string>>>;
    /** PSK per tunnel name, for the tunnels this gateway ends. */
    readonly psks: Readonly<Record<string, pulumi.Output<string>>>;
}

/** A site's gateway: strongSwan, firewall, NAT; its PSKs stay Pulumi secrets into the container. */
export class Gateway extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Gateway", name, {}, opts);
        const mine = args.lab.tunnels.filter((t) => t.ends.some((e) => e.gateway === args.node.name)).map((t) => t.name);
        const secrets = pulumi
            .all(Object.fromEntries(mine.map((t) => [t, args.psks[t]])))
            .apply((psks) => renderSecrets(args.node, args.lab, psks));
        this.container = nodeContainer(
            { lab: args.lab, node: args.node, image: args.image, networks: args.networks, secretFiles: [pulumi.secret(secrets)] },
            { parent: this },
        );
        this.registerOutputs({ containerName: this.container.name });
    }
}
