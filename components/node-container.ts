import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan, NodePlan } from "../plan/types";
import { BUNDLE_MODE, BUNDLE_PATH, START_COMMAND, renderFileBundle, renderNodeFiles, NodeFile } from "../configs";
import { labLabels } from "./labels";
import { carriesIpv6 } from "../plan/tunnel";

/** The seed's forwarding and hardening settings, for every node. */
export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
};

/**
 * Docker 20.10 disables IPv6 on interfaces created later in the container;
 * strongSwan's userspace dataplane creates ipsec0 at start and needs it.
 */
export const IPV6_SYSCTLS: Readonly<Record<string, string>> = {
    "net.ipv6.conf.all.disable_ipv6": "0",
    "net.ipv6.conf.default.disable_ipv6": "0",
};

/** IPv6 on a link, or inside a tunnel it ends (a road warrior's IPv6 virtual IP on an IPv4 host). */
const hasIpv6 = (node: NodePlan, lab: LabPlan) => node.interfaces.some((i) => i.addresses.ipv6 !== undefined) ||
    lab.tunnels.some((t) => t.ends.some((e) => e.gateway === node.name) && carriesIpv6(t));

/** Loose (2) wins over "all"'s strict 1: the kernel takes the higher of all and the interface. */
const LOOSE_REVERSE_PATH = { "net.ipv4.conf.all.rp_filter": "2" } as const;


export interface NodeContainerArgs {
    readonly lab: LabPlan;
    readonly node: NodePlan;
    readonly image: pulumi.Input<string>;
    /** Docker network name per segment key. */
    readonly networks: Readonly<Record<string, pulumi.Input<string>>>;
    /** Files beyond the rendered ones (a gateway's PSKs and credentials); secrets stay Pulumi secrets. */
    readonly extraFiles?: pulumi.Input<NodeFile[]>;
}

/**
 * All of a node's files as one upload: the provider makes one Docker call per
 * upload, each mounting the container's filesystem, and with one per file a
 * big lab's daemon spent most of `pulumi up` on them. The image's unpacker,
 * first in START_COMMAND, writes them in place.
 */
function bundleUpload(files: readonly NodeFile[]): docker.types.input.ContainerUpload {
    return { file: BUNDLE_PATH, content: renderFileBundle(files), permissions: BUNDLE_MODE };
}

/**
 * One lab node. Least privilege: NET_ADMIN for interfaces, routes and
 * iptables, /dev/net/tun for strongSwan's userspace dataplane, never
 * privileged. Everything it runs arrives in one upload before the first start.
 */
export function nodeContainer(args: NodeContainerArgs, opts: pulumi.CustomResourceOptions): docker.Container {
    const { lab, node } = args;
    const networksAdvanced: docker.types.input.ContainerNetworksAdvanced[] = node.interfaces.map((i) => ({
        name: args.networks[i.segment],
        ipv4Address: i.docker.ipv4,
        ...(i.docker.ipv6 ? { ipv6Address: i.docker.ipv6 } : {}),
    }));
    if (node.uplink) networksAdvanced.push({ name: "bridge" });
    return new docker.Container(node.name, {
        name: node.containerName,
        hostname: node.name,
        image: args.image,
        command: [...START_COMMAND],
        // Spelled as Docker reads it back: "NET_ADMIN" would differ from the
        // state after every refresh and replace the container.
        capabilities: { adds: ["CAP_NET_ADMIN"] },
        privileged: false,
        devices: [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun", permissions: "rwm" }],
        sysctls: { ...NODE_SYSCTLS, ...(hasIpv6(node, lab) ? IPV6_SYSCTLS : {}), ...(node.gateway?.looseReversePath ? LOOSE_REVERSE_PATH : {}) },
        networksAdvanced,
        // Secret extra files (keys, PSKs) make this output, and so the whole upload, a secret; a node without them stays plain to read in a diff.
        uploads: pulumi.output(args.extraFiles ?? []).apply((extra) => [bundleUpload([...renderNodeFiles(node, lab), ...extra])]),
        labels: labLabels(lab, { "vnetlab.role": node.role, "vnetlab.node": node.name, ...(node.site ? { "vnetlab.site": node.site } : {}) }),
        // No healthcheck: readiness is read from the start log (verify/ready.ts),
        // which answers at once. A check is an exec through dockerd, containerd
        // and runc: with a 30 s interval a 100-branch lab ran 185 of them while
        // it booted, and 7 a second for as long as it stayed up, only to show
        // "healthy" in `docker ps`.
        mustRun: true,
        restart: "no",
        destroyGraceSeconds: 10,
    }, {
        ...opts,
        // Container names are fixed by the plan, so a replacement must go first.
        deleteBeforeReplace: true,
    });
}
