// The lab as the user writes it in `Pulumi.<stack>.yaml` under `vnetlab:lab`.
// This schema checks each value on its own; relations between values (an
// address inside its subnet, a tunnel naming a known site, ...) are checked
// in ./validate.ts, which needs the whole parsed lab.
import { z } from "zod";
import { isAddress, isSubnet } from "../plan/ip";

/** DNS-label names: Docker accepts them for containers and networks, Linux as host names. */
const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const NAME_RULE = "must be lowercase letters, digits and '-', starting and ending with a letter or digit";

export const name = (maxLength: number) =>
    z.string()
        .max(maxLength, { error: `is longer than ${maxLength} characters` })
        .regex(NAME_PATTERN, { error: NAME_RULE });

// Site names end up in interface names (`isp-<site>` on the router), which
// Linux limits to 15 characters.
export const SITE_NAME_MAX = 11;
const nodeName = name(40);
// A shared segment's name is also the router's interface name on it.
export const SEGMENT_NAME_MAX = 11;
const siteName = name(SITE_NAME_MAX);

const ipv4Address = z.string().refine((s) => isAddress("ipv4", s), { error: "is not an IPv4 address" });
const ipv6Address = z.string().refine((s) => isAddress("ipv6", s), { error: "is not an IPv6 address" });
const ipv4Subnet = z.string().refine((s) => isSubnet("ipv4", s), {
    error: "is not an IPv4 subnet in CIDR notation with zero host bits (e.g. 10.1.0.0/16)",
});
const ipv6Subnet = z.string().refine((s) => isSubnet("ipv6", s), {
    error: "is not an IPv6 subnet in CIDR notation with zero host bits (e.g. fc00:1::/64)",
});

/** An address per family; a family left out is allocated when its subnet exists. */
const addresses = z.strictObject({ ipv4: ipv4Address.optional(), ipv6: ipv6Address.optional() });

const subnets = z
    .strictObject({ ipv4: ipv4Subnet.optional(), ipv6: ipv6Subnet.optional() })
    .refine((s) => s.ipv4 !== undefined || s.ipv6 !== undefined, { error: "needs an ipv4 or an ipv6 subnet" });

const proposal = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, {
    error: "is not a strongSwan proposal (algorithms joined by '-', e.g. aes256gcm16-prfsha384-ecp384)",
});

export const DEFAULT_IKE_PROPOSAL = "aes256gcm16-prfsha384-ecp384";
export const DEFAULT_ESP_PROPOSAL = "aes256gcm16-ecp384";

const port = z.number().int().min(1).max(65535);
const ipVersion = z.union([z.literal(4), z.literal(6)]);

const host = z.strictObject({
    role: z.enum(["client", "server"]),
    address: addresses.optional(),
});

/**
 * The gateway's outside: either a private link of its own to the router
 * (`subnet`, the seed's shape) or a place on a shared segment (`segment`).
 * Exactly one of the two; ./validate.ts says so with the path.
 */
const ispLink = z.strictObject({
    subnet: subnets.optional(),
    /** A segment of `segments` the gateway shares with others (strongSwan's "internet" of moon and sun). */
    segment: name(SEGMENT_NAME_MAX).optional(),
    /** The gateway's address on the link: its "public" address and IKE endpoint. */
    address: addresses.optional(),
    /** The router's address on a private link: the gateway's default route. */
    router: addresses.optional(),
});

/** A place on a shared segment: the segment's name and the address there. */
const segmentPlace = z.strictObject({
    segment: name(SEGMENT_NAME_MAX),
    address: addresses.optional(),
});

/** A home router: everything on its segment goes out masqueraded to its address on another segment. */
const natRouter = z.strictObject({
    name: nodeName,
    /** Its address on this segment: the default route of everything on it. */
    address: addresses.optional(),
    /** Where it masquerades to. */
    outside: segmentPlace,
});

/** A segment several gateways share, e.g. moon and sun's 192.168.0.0/24 with no router between them. */
const sharedSegment = z.strictObject({
    subnet: subnets,
    /** The lab router's address when it joins the segment: then the default route of the gateways on it. */
    router: addresses.optional(),
    /** A NAT router in front of the segment (a home LAN); then the default route of everything on it. */
    nat: natRouter.optional(),
});

/**
 * A host outside any site that dials in to a site's gateway (strongSwan's
 * carol and dave): it initiates, asks for a virtual IP of each family and
 * reaches the site's LAN from it.
 */
const roadWarrior = z.strictObject({
    /** The site whose gateway it dials in to. */
    site: siteName,
    /** Where it stands: the Internet, or a home LAN behind a NAT router. */
    isp: segmentPlace,
    /** The outer family. */
    ipVersion: ipVersion.default(4),
    /** The families of virtual IP it asks for, each from the gateway's pool of that family. */
    virtualIps: z.array(ipVersion).min(1).max(2).default([4]),
    auth: z.enum(["pubkey", "psk"]).default("pubkey"),
    ike: proposal.default(DEFAULT_IKE_PROPOSAL),
    esp: proposal.default(DEFAULT_ESP_PROPOSAL),
    /**
     * When its gateway is gone (DPD) or has deleted the tunnel: restart dials
     * again until the gateway answers; clear gives up, the strict behaviour.
     */
    dpdAction: z.enum(["restart", "clear"]).default("restart"),
});

const gateway = z.strictObject({
    name: nodeName.optional(),
    address: addresses.optional(),
    /** The site-local address clients use to reach forwarded services (the seed's ".99"). */
    serviceAddress: addresses.optional(),
    isp: ispLink,
    masquerade: z.boolean().default(true),
    /** strict: the ISP side carries only IKE/ESP with the tunnel peers; open: no filtering. */
    firewall: z.enum(["strict", "open"]).default("strict"),
    /** Virtual IPs the gateway hands out to road warriors, a subnet per family (swanctl pools). */
    pools: subnets.optional(),
});

const site = z.strictObject({
    /** Left out: the site is one host that is its own IKE peer (strongSwan's host2host), its gateway. */
    lan: subnets.optional(),
    gateway,
    hosts: z.record(nodeName, host).default({}),
});

export const TUNNEL_MODES = ["tunnel", "transport"] as const;
/**
 * auto: each gateway uses the kernel's IPsec if the kernel takes an ESP SA,
 * else strongSwan's userspace kernel-libipsec; kernel or libipsec force one.
 */
export const DATAPLANE_SETTINGS = ["auto", "kernel", "libipsec"] as const;

const tunnel = z.strictObject({
    type: z.enum(["host-to-host", "site-to-site"]),
    /** The two sites; the first one initiates. */
    between: z.tuple([siteName, siteName]),
    /** The outer family: IKE and ESP travel between the gateways' ISP addresses of this version. */
    ipVersion: ipVersion.default(4),
    /**
     * The inner families: whose LANs the traffic selectors carry (site-to-site).
     * Defaults to the outer one; [4, 6] is a dual-stack tunnel, [6] over
     * ipVersion 4 carries IPv6 LANs across IPv4 ISP links.
     */
    inner: z.array(ipVersion).min(1).max(2).optional(),
    ike: proposal.default(DEFAULT_IKE_PROPOSAL),
    esp: proposal.default(DEFAULT_ESP_PROPOSAL),
    /** pubkey: X.509 certificates from the lab's PKI (the seed's way); psk: a shared secret per tunnel. */
    auth: z.enum(["pubkey", "psk"]).default("pubkey"),
    /** trap installs the tunnel on the first packet (the seed's auto=route); start brings it up at boot. */
    startAction: z.enum(["trap", "start"]).default("trap"),
    /**
     * What the initiator does when its peer is dead (DPD) or has deleted the
     * tunnel: restart dials again until the peer answers, trap waits for the
     * next packet (ipsec.conf's "hold"), clear gives up, the strict behaviour.
     * Defaults to restart for a tunnel started at boot, trap for a trap tunnel.
     */
    dpdAction: z.enum(["trap", "clear", "restart"]).optional(),
    /**
     * transport protects the peers' own traffic without a second IP header;
     * only host-to-host tunnels qualify, and only the kernel's dataplane has it.
     */
    mode: z.enum(TUNNEL_MODES).default("tunnel"),
});

const service = z.strictObject({
    /** A host with role server, or the gateway of a site without a LAN (a lone host serves itself). */
    server: nodeName,
    port: port.default(8080),
    /** The sites whose clients use the service, each through its tunnel(s) to the server's site. */
    sites: z.array(siteName).default([]),
    /** Road warriors that use it, from their virtual IPs, at the server's own address. */
    roadWarriors: z.array(nodeName).default([]),
    /**
     * gateway: clients connect to their gateway's service address, which the
     * gateway forwards through the tunnel (the seed's way, and the only one
     * across host-to-host tunnels); direct: clients connect to the server's
     * own address, which a site-to-site tunnel carries.
     */
    via: z.enum(["gateway", "direct"]).default("gateway"),
    /**
     * Sites behind host-to-host tunnels arrive from indistinguishable LANs, so
     * each gets its own server instance, on this port plus the site's index.
     */
    instancePortBase: port.default(30000),
});

const check = z.strictObject({
    from: nodeName,
    /** A node name (its first address of `ipVersion`) or a literal lab address. */
    to: z.string().min(1),
    protocol: z.enum(["tcp", "udp", "icmp"]),
    port: port.optional(),
    ipVersion: ipVersion.default(4),
    expect: z.enum(["reach", "blocked"]),
});

const network = z.strictObject({
    driver: z.enum(["macvlan", "bridge"]).default("macvlan"),
    /** Host interface per segment (e.g. "lan-a": "veth-lab0") as macvlan parent; never a NIC that leaves the machine. */
    parents: z.record(z.string(), name(15)).default({}),
    /** Where Docker-side stand-ins come from for subnets Docker cannot hold itself. */
    dockerPool: z
        .strictObject({ ipv4: ipv4Subnet.default("198.18.0.0/15"), ipv6: ipv6Subnet.default("fd00:7e57:ab::/48") })
        .default({ ipv4: "198.18.0.0/15", ipv6: "fd00:7e57:ab::/48" }),
});

export const labSchema = z.strictObject({
    /** Prefix of every container and network name; defaults to "vnetlab-<stack>". */
    name: name(40).optional(),
    network: network.default({ driver: "macvlan", parents: {}, dockerPool: { ipv4: "198.18.0.0/15", ipv6: "fd00:7e57:ab::/48" } }),
    image: z
        .strictObject({
            name: z.string().min(1).default("vnetlab-node:latest"),
            /**
             * Network for the Dockerfile's RUN steps (apt-get). "host" works
             * wherever the host reaches a Debian mirror, also where Docker's
             * default bridge has no route out; "default" is Docker's own choice.
             */
            buildNetwork: z.string().min(1).default("host"),
        })
        .default({ name: "vnetlab-node:latest", buildNetwork: "host" }),
    router: z
        .strictObject({
            name: nodeName.default("router"),
            /** Opt-in leg on Docker's default bridge with masquerade, to reach the real Internet. */
            uplink: z.boolean().default(false),
        })
        .default({ name: "router", uplink: false }),
    /** Segments shared by several sites' gateways; each site still has its own LAN. */
    segments: z.record(name(SEGMENT_NAME_MAX), sharedSegment).default({}),
    /** The IPsec dataplane every gateway runs (see DATAPLANE_SETTINGS). */
    dataplane: z.enum(DATAPLANE_SETTINGS).default("auto"),
    sites: z.record(siteName, site).refine((s) => Object.keys(s).length > 0, { error: "needs at least one site" }),
    tunnels: z.record(name(40), tunnel).default({}),
    /** Each one also names its tunnel to its site's gateway. */
    roadWarriors: z.record(nodeName, roadWarrior).default({}),
    services: z.record(name(40), service).default({}),
    checks: z.array(check).default([]),
    pki: z
        .strictObject({
            organization: z.string().min(1).max(64).default("vnetlab"),
            country: z.string().regex(/^[A-Z]{2}$/, { error: "must be a two-letter country code" }).default("FI"),
            validityDays: z.number().int().min(1).max(36500).default(3650),
            /** Gateways whose certificates the lab's CRL revokes. */
            revoke: z.array(nodeName).default([]),
        })
        .default({ organization: "vnetlab", country: "FI", validityDays: 3650, revoke: [] }),
});

export type LabConfig = z.infer<typeof labSchema>;
export type SiteConfig = z.infer<typeof site>;
export type HostConfig = z.infer<typeof host>;
export type TunnelConfig = z.infer<typeof tunnel>;
export type ServiceConfig = z.infer<typeof service>;
export type CheckConfig = z.infer<typeof check>;
export type Addresses = z.infer<typeof addresses>;
export type Subnets = z.infer<typeof subnets>;
