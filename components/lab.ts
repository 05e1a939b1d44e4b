import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { LabManifest, NodeRow, TunnelRow, manifestOf, nodeRows, tunnelRows } from "../plan/summary";
import { NatRouter, Router } from "./router";
import { RoadWarrior } from "./gateway";
import { Site, segmentNetwork } from "./site";
import { VpnTunnel } from "./vpn-tunnel";
import { Pki } from "./pki";

export interface LabArgs {
    readonly plan: LabPlan;
    /** The stack's seed (`vnetlab:seed`): the lab's PKI and generated PSKs derive from it. */
    readonly seed: pulumi.Input<string>;
    /** PSK overrides by tunnel name (`vnetlab:psk-<tunnel>`); tunnels without one get a PSK derived from the seed. */
    readonly tunnelSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Build context of the node image, relative to the project. */
    readonly imageContext?: string;
}

/** Where the node image's Dockerfile and programs are, relative to the project. */
export const NODE_IMAGE_CONTEXT = "./image";

/** The node image's build, as docker.Image inputs; the dataplane preflight builds the same. */
export function nodeImageArgs(image: LabPlan["image"], context = NODE_IMAGE_CONTEXT) {
    return {
        imageName: image.name,
        build: { context, dockerfile: `${context}/Dockerfile`, network: image.buildNetwork },
        skipPush: true,
    };
}

/** The node image every container of a lab runs, built from `context` (relative to the project). */
export function nodeImage(name: string, image: LabPlan["image"], context = NODE_IMAGE_CONTEXT, opts: pulumi.CustomResourceOptions = {}): docker.Image {
    return new docker.Image(name, nodeImageArgs(image, context), opts);
}

/**
 * A whole lab: the node image, the shared segments, one Site per site, the
 * Router when some segment has one, NAT routers and road warriors, one
 * VpnTunnel per tunnel, the Pki when certificates are used.
 */
export class Lab extends pulumi.ComponentResource {
    readonly nodes: pulumi.Output<NodeRow[]>;
    readonly tunnels: pulumi.Output<TunnelRow[]>;
    readonly manifest: pulumi.Output<LabManifest>;

    constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Lab", name, {}, opts);
        const { plan } = args;
        // The local image ID: a rebuilt image replaces the nodes, an unchanged one does not.
        const imageRef = nodeImage(`${name}-node-image`, plan.image, args.imageContext, { parent: this }).repoDigest;

        const psks: Record<string, pulumi.Output<string>> = {};
        for (const t of plan.tunnels) {
            const override = args.tunnelSecrets?.[t.name];
            const tunnel = new VpnTunnel(t.name, { tunnel: t, seed: args.seed, ...(override !== undefined ? { psk: override } : {}) }, { parent: this });
            if (tunnel.psk) psks[t.name] = tunnel.psk;
        }

        const pki = plan.pki ? new Pki(`${name}-pki`, { pki: plan.pki, seed: args.seed }, { parent: this }) : undefined;
        // Segments no site owns, which several sites' gateways join.
        const shared: Record<string, pulumi.Output<string>> = Object.fromEntries(
            plan.segments.filter((s) => s.site === undefined).map((s) => [s.key, segmentNetwork(plan, s, { parent: this }).name]),
        );
        // From the gateways: a lone host on a shared segment has no segment of its own.
        const siteNames = [...new Set(plan.nodes.flatMap((n) => (n.role === "gateway" && n.site !== undefined ? [n.site] : [])))];
        const sites = siteNames.map(
            (site) => new Site(`site-${site}`, { lab: plan, site, image: imageRef, psks, pki: pki?.gateways, sharedNetworks: shared }, { parent: this }),
        );
        const allNetworks: Record<string, pulumi.Output<string>> = { ...shared, ...Object.assign({}, ...sites.map((s) => s.networks)) };
        const networksOf = (node: NodePlan) => Object.fromEntries(node.interfaces.map((i) => [i.segment, allNetworks[i.segment]]));
        const routerNode = plan.nodes.find((n) => n.role === "router");
        const router = routerNode
            ? new Router("router", { lab: plan, node: routerNode, image: imageRef, networks: networksOf(routerNode) }, { parent: this })
            : undefined;
        const natRouters = plan.nodes.filter((n) => n.role === "nat").map((node) =>
            new NatRouter(node.name, { lab: plan, node, image: imageRef, networks: networksOf(node) }, { parent: this }));
        const roadWarriors = plan.nodes.filter((n) => n.role === "roadwarrior").map((node) =>
            new RoadWarrior(node.name, {
                lab: plan, node, image: imageRef, networks: networksOf(node), psks,
                ...(pki?.gateways[node.name] ? { pki: pki.gateways[node.name] } : {}),
            }, { parent: this }));

        // Outputs resolve once every node exists, so a reader never sees a lab that is not there.
        const ready = pulumi.all([
            ...(router ? [router.container.id] : []),
            ...sites.flatMap((s) => s.containers.map((c) => c.id)),
            ...[...natRouters, ...roadWarriors].map((n) => n.container.id),
        ]);
        this.nodes = ready.apply(() => nodeRows(plan));
        this.tunnels = ready.apply(() => tunnelRows(plan));
        this.manifest = ready.apply(() => manifestOf(plan));
        this.registerOutputs({ nodes: this.nodes, tunnels: this.tunnels, manifest: this.manifest });
    }
}
