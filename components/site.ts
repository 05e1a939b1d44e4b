import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, SegmentPlan } from "../plan/types";
import { Gateway } from "./gateway";
import { nodeContainer } from "./node-container";
import { labLabels } from "./labels";
import type { GatewayPki } from "./pki";
import { VethParents, needsVethParent, vethNames } from "./veth-parent";

export interface SiteArgs {
    readonly lab: LabPlan;
    readonly site: string;
    readonly image: pulumi.Input<string>;
    readonly psks: Readonly<Record<string, pulumi.Output<string>>>;
    /** Credentials per gateway name, from the lab's PKI. */
    readonly pki?: Readonly<Record<string, GatewayPki>>;
    /** Docker network name per shared segment, made by the Lab: the site's gateway may join one. */
    readonly sharedNetworks?: Readonly<Record<string, pulumi.Output<string>>>;
    /** The lab's veth parents, where Docker cannot make a macvlan's (LabArgs.vethParents). */
    readonly vethParents?: VethParents;
    /** In a lab on several hosts: the provider per host name (none for the local engine). */
    readonly providers?: Readonly<Record<string, docker.Provider>>;
}

/**
 * A segment's Docker network, on the pair of the lab's `vethParents` named
 * after it where the local engine needs one. In a lab on several hosts it is
 * made by the provider of its host (`providers`, by host name); a segment
 * across hosts is an attachable overlay network, which containers on every
 * host of the swarm join.
 */
export function segmentNetwork(lab: LabPlan, segment: SegmentPlan, vethParents: VethParents | undefined, opts: pulumi.CustomResourceOptions,
    providers: Readonly<Record<string, docker.Provider>> = {}): docker.Network {
    const provider = segment.host !== undefined ? providers[segment.host] : undefined;
    const onVeth = vethParents !== undefined && needsVethParent(lab, segment) ? vethParents : undefined;
    const parent = segment.parent ?? (onVeth ? vethNames(segment.networkName).name : undefined);
    return new docker.Network(segment.key, {
        name: segment.networkName,
        driver: segment.driver,
        ...(segment.driver === "overlay" ? { attachable: true } : {}),
        options: parent !== undefined ? { parent } : {},
        // Lab segments never route to the host or beyond; the router's uplink is the one opt-in exit.
        internal: true,
        ipv6: segment.docker.ipv6 !== undefined,
        ipamConfigs: [segment.docker.ipv4, ...(segment.docker.ipv6 ? [segment.docker.ipv6] : [])]
            .map((d) => ({ subnet: d.subnet, gateway: d.gateway, ...(d.ipRange ? { ipRange: d.ipRange } : {}) })),
        labels: labLabels(lab, { "vnetlab.segment": segment.key }),
    }, {
        ...opts,
        ...(provider ? { provider } : {}),
        ...(onVeth ? { dependsOn: [onVeth] } : {}),
        // The swarm adds the VXLAN id it chose to an overlay's options, which the provider reads
        // back: the network would differ from its inputs on every preview, and be replaced.
        ...(segment.driver === "overlay" ? { ignoreChanges: ["options"] } : {}),
        deleteBeforeReplace: true,
    });
}

/** A site: its LAN and ISP link, its gateway and its hosts. */
export class Site extends pulumi.ComponentResource {
    /** Docker network name per segment key of the site's own segments (lan-<site>, isp-<site>). */
    readonly networks: Record<string, pulumi.Output<string>>;
    readonly containers: docker.Container[];

    constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Site", name, {}, opts);
        const { lab, site } = args;
        this.networks = Object.fromEntries(
            lab.segments
                .filter((s) => s.site === site)
                .map((s) => [s.key, segmentNetwork(lab, s, args.vethParents, { parent: this }, args.providers).name]),
        );
        const nodes = lab.nodes.filter((n) => n.site === site);
        const gatewayNode = nodes.find((n) => n.role === "gateway")!;
        const gateway = new Gateway(`${name}-gateway`, {
            lab, node: gatewayNode, image: args.image, networks: { ...args.sharedNetworks, ...this.networks }, psks: args.psks,
            ...(args.pki?.[gatewayNode.name] ? { pki: args.pki[gatewayNode.name] } : {}),
        }, { parent: this });
        this.containers = [
            gateway.container,
            ...nodes
                .filter((n) => n.role !== "gateway")
                .map((node) => nodeContainer({ lab, node, image: args.image, networks: this.networks }, { parent: this })),
        ];
        this.registerOutputs({ networks: this.networks });
    }
}
