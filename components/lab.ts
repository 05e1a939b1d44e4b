import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { LabManifest, NodeRow, TunnelRow, manifestOf, nodeRows, tunnelRows } from "../plan/summary";
import { NatRouter, Router } from "./router";
import { RoadWarrior } from "./gateway";
import { Site, segmentNetwork } from "./site";
import { VpnTunnel } from "./vpn-tunnel";
import { Pki } from "./pki";
import { nodeImage } from "./node-image";
import { HostTls, NodeImageCopy, hostProvider } from "./hosts";
import { VethParents, needsVethParent } from "./veth-parent";

export interface LabArgs {
    readonly plan: LabPlan;
    /** The stack's seed (`vnetlab:seed`): the lab's PKI and generated PSKs derive from it. */
    readonly seed: pulumi.Input<string>;
    /** PSK overrides by tunnel name (`vnetlab:psk-<tunnel>`); tunnels without one get a PSK derived from the seed. */
    readonly tunnelSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
    /**
     * Give each macvlan segment without a configured parent a veth pair of its
     * own (VethParents), where Docker cannot make one (host/links.ts).
     */
    readonly vethParents?: boolean;
    /** TLS material per host name, for the hosts with tls (vnetlab:tls-<host>-ca, -cert, -key). */
    readonly hostTls?: Readonly<Record<string, HostTls>>;
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
        const imageRef = nodeImage(`${name}-node-image`, plan.image, { parent: this }).imageId;
        const vethNetworks = args.vethParents ? plan.segments.filter((s) => needsVethParent(plan, s)).map((s) => s.networkName) : [];
        const vethParents = vethNetworks.length > 0 ? new VethParents(`${name}-veth-parents`, vethNetworks, { parent: this }) : undefined;

        // A lab on several hosts: a provider per host, and a copy of the node image on
        // each that is not the local engine; each node's component takes its host's.
        const providers: Record<string, docker.Provider> = {};
        const images: Record<string, pulumi.Output<string>> = {};
        for (const host of plan.hosts ?? []) {
            const tls = args.hostTls?.[host.name];
            providers[host.name] = hostProvider(host, tls, { parent: this });
            if (host.address !== undefined) {
                images[host.name] = new NodeImageCopy(`${name}-node-image-${host.name}`, {
                    imageId: imageRef, imageName: plan.image.name, host, ...(tls ? { tls } : {}),
                }, { parent: this }).imageId;
            }
        }
        const imageOn = (host: string | undefined) => (host !== undefined ? images[host] : undefined) ?? imageRef;
        const placed = (host: string | undefined): pulumi.ComponentResourceOptions => {
            const provider = host !== undefined ? providers[host] : undefined;
            return provider ? { parent: this, providers: { docker: provider } } : { parent: this };
        };

        const psks: Record<string, pulumi.Output<string>> = {};
        for (const t of plan.tunnels) {
            const override = args.tunnelSecrets?.[t.name];
            const tunnel = new VpnTunnel(t.name, { tunnel: t, seed: args.seed, ...(override !== undefined ? { psk: override } : {}) }, { parent: this });
            if (tunnel.psk) psks[t.name] = tunnel.psk;
        }

        const pki = plan.pki ? new Pki(`${name}-pki`, { pki: plan.pki, seed: args.seed }, { parent: this }) : undefined;
        // Segments no site owns, which several sites' gateways join.
        const shared: Record<string, pulumi.Output<string>> = Object.fromEntries(
            plan.segments.filter((s) => s.site === undefined).map((s) => [s.key, segmentNetwork(plan, s, vethParents, { parent: this }, providers).name]),
        );
        // From the gateways: a lone host on a shared segment has no segment of its own.
        const siteNames = [...new Set(plan.nodes.flatMap((n) => (n.role === "gateway" && n.site !== undefined ? [n.site] : [])))];
        const hostOfSite = (site: string) => plan.nodes.find((n) => n.site === site && n.role === "gateway")?.host;
        const sites = siteNames.map((site) => new Site(`site-${site}`, {
            lab: plan, site, image: imageOn(hostOfSite(site)), psks, pki: pki?.gateways, sharedNetworks: shared, ...(vethParents ? { vethParents } : {}), providers,
        }, placed(hostOfSite(site))));
        const allNetworks: Record<string, pulumi.Output<string>> = { ...shared, ...Object.assign({}, ...sites.map((s) => s.networks)) };
        const networksOf = (node: NodePlan) => Object.fromEntries(node.interfaces.map((i) => [i.segment, allNetworks[i.segment]]));
        const routerNode = plan.nodes.find((n) => n.role === "router");
        const router = routerNode
            ? new Router("router", { lab: plan, node: routerNode, image: imageOn(routerNode.host), networks: networksOf(routerNode) }, placed(routerNode.host))
            : undefined;
        const natRouters = plan.nodes.filter((n) => n.role === "nat").map((node) =>
            new NatRouter(node.name, { lab: plan, node, image: imageOn(node.host), networks: networksOf(node) }, placed(node.host)));
        const roadWarriors = plan.nodes.filter((n) => n.role === "roadwarrior").map((node) =>
            new RoadWarrior(node.name, {
                lab: plan, node, image: imageOn(node.host), networks: networksOf(node), psks,
                ...(pki?.gateways[node.name] ? { pki: pki.gateways[node.name] } : {}),
            }, placed(node.host)));

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
