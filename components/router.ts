import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { nodeContainer } from "./node-container";

export interface RouterArgs {
    readonly lab: LabPlan;
    readonly image: pulumi.Input<string>;
    /** Docker network name per ISP segment key. */
    readonly networks: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The Internet between the sites: one leg on every ISP link, forwarding only. */
export class Router extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: RouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Router", name, {}, opts);
        const node = args.lab.nodes.find((n) => n.role === "router")!;
        this.container = nodeContainer({ lab: args.lab, node, image: args.image, networks: args.networks }, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}

export interface NatRouterArgs {
    readonly lab: LabPlan;
    readonly node: NodePlan;
    readonly image: pulumi.Input<string>;
    /** Docker network name per segment key: its inside and its outside. */
    readonly networks: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A home router in front of a shared segment: forwards, and masquerades the inside. */
export class NatRouter extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: NatRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:NatRouter", name, {}, opts);
        this.container = nodeContainer({ lab: args.lab, node: args.node, image: args.image, networks: args.networks }, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}
