import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { NodeContainerArgs, nodeContainer } from "./node-container";

/** The Internet between the sites: one leg on every ISP link and on each shared segment that names it, forwarding only. */
export class Router extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: NodeContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Router", name, {}, opts);
        this.container = nodeContainer(args, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}

/** A home router in front of a shared segment: forwards, and masquerades the inside. */
export class NatRouter extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: NodeContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:NatRouter", name, {}, opts);
        this.container = nodeContainer(args, { parent: this });
        this.registerOutputs({ containerName: this.container.name });
    }
}
