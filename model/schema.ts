// The lab as the user writes it in `Pulumi.<stack>.yaml` under `vnetlab:lab`.
// This schema checks each value on its own; relations between values (an
// address inside its subnet, a tunnel naming a known site, ...) are checked
// in ./validate.ts, which needs the whole parsed lab.
//
// What each setting means is said here, with .describe(), once: the JSON
// Schema of the stack file (./stack-schema.ts) carries it to editors, which
// show it as you type. Comments are for how the schema works.
import { z } from "zod";
import { isAddress, isSubnet } from "../plan/ip";

/** DNS-label names: Docker accepts them for containers and networks, Linux as host names. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const NAME_RULE = "must be lowercase letters, digits and '-', starting and ending with a letter or digit";

export const name = (maxLength: number) =>
    z.string()
        .max(maxLength, { error: `is longer than ${maxLength} characters` })
        .regex(NAME_PATTERN, { error: NAME_RULE });

// Site names end up in interface names (`isp-<site>` on the router), which
// Linux limits to 15 characters.
export const SITE_NAME_MAX = 11;
const nodeName = name(40).describe("A node's name: its host name, and part of its container's.");
// A shared segment's name is also the router's interface name on it.
export const SEGMENT_NAME_MAX = 11;
const siteName = name(SITE_NAME_MAX).describe(`A site's name (at most ${SITE_NAME_MAX} characters: it ends up in interface names).`);

// Addresses and subnets: zod's own format first (its pattern goes into the
// JSON Schema, so an editor flags "10.1.0.300"), then ip-num, which the
// planner computes with, for what a pattern cannot say (zero host bits). The
// format check aborts, so a bad value gets one message, the project's own.
const formatError = (message: string) => (issue: { readonly code: string }) => (issue.code === "invalid_format" ? message : undefined);
const IPV4_ADDRESS = "is not an IPv4 address";
const IPV6_ADDRESS = "is not an IPv6 address";
const IPV4_SUBNET = "is not an IPv4 subnet in CIDR notation with zero host bits (e.g. 10.1.0.0/16)";
const IPV6_SUBNET = "is not an IPv6 subnet in CIDR notation with zero host bits (e.g. fc00:1::/64)";
const ipv4Address = z.ipv4({ error: formatError(IPV4_ADDRESS), abort: true })
    .refine((s) => isAddress("ipv4", s), { error: IPV4_ADDRESS })
    .describe("An IPv4 address, e.g. 10.1.0.2");
const ipv6Address = z.ipv6({ error: formatError(IPV6_ADDRESS), abort: true })
    .refine((s) => isAddress("ipv6", s), { error: IPV6_ADDRESS })
    .describe("An IPv6 address, e.g. fc00:1::2");
const ipv4Subnet = z.cidrv4({ error: formatError(IPV4_SUBNET), abort: true })
    .refine((s) => isSubnet("ipv4", s), { error: IPV4_SUBNET })
    .describe("An IPv4 subnet in CIDR notation with zero host bits, e.g. 10.1.0.0/16");
const ipv6Subnet = z.cidrv6({ error: formatError(IPV6_SUBNET), abort: true })
    .refine((s) => isSubnet("ipv6", s), { error: IPV6_SUBNET })
    .describe("An IPv6 subnet in CIDR notation with zero host bits, e.g. fc00:1::/64");

const addresses = z.strictObject({ ipv4: ipv4Address.optional(), ipv6: ipv6Address.optional() })
    .describe("An address per family; a family left out is allocated from its subnet, if the segment has one of that family.");

const subnets = z
    .strictObject({ ipv4: ipv4Subnet.optional(), ipv6: ipv6Subnet.optional() })
    .refine((s) => s.ipv4 !== undefined || s.ipv6 !== undefined, { error: "needs an ipv4 or an ipv6 subnet" })
    .describe("A subnet per family: ipv4, ipv6 or both.");

const proposal = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, {
    error: "is not a strongSwan proposal (algorithms joined by '-', e.g. aes256gcm16-prfsha384-ecp384)",
});

export const DEFAULT_IKE_PROPOSAL = "aes256gcm16-prfsha384-ecp384";
export const DEFAULT_ESP_PROPOSAL = "aes256gcm16-ecp384";

const port = z.number().int().min(1).max(65535);

// A lab's Docker hosts are named in `hosts`; ./validate.ts checks that a placement names one.
export const HOST_NAME_MAX = 20;
const placement = name(HOST_NAME_MAX)
    .describe("The Docker host (a name of `hosts`) it runs on. Left out, with hosts named: spread evenly over them.");
const ipVersion = z.union([z.literal(4), z.literal(6)]);

const host = z.strictObject({
    role: z.enum(["client", "server"]).describe("client: uses services through its site's tunnels; server: runs the services named after it."),
    address: addresses.optional().describe("Its LAN address per family; left out, allocated (the lowest free one, gateways first, then hosts by name)."),
}).describe("A host on the site's LAN.");

// Exactly one of subnet and segment; ./validate.ts says so with the path.
const ispLink = z.strictObject({
    subnet: subnets.optional().describe("A private link of the gateway's own to the router (the seed's shape): a subnet no other segment uses."),
    segment: name(SEGMENT_NAME_MAX).optional()
        .describe("Instead of subnet: a segment of `segments` the gateway shares with others (strongSwan's \"internet\" of moon and sun)."),
    address: addresses.optional().describe("The gateway's address on the link: its \"public\" address and IKE endpoint."),
    router: addresses.optional().describe("The router's address on a private link: the gateway's default route."),
}).describe("The gateway's outside: a private link to the router (subnet) or a place on a shared segment (segment), one of the two.");

const segmentPlace = z.strictObject({
    segment: name(SEGMENT_NAME_MAX).describe("A segment of `segments`."),
    address: addresses.optional().describe("The address there; left out, allocated."),
}).describe("A place on a shared segment: the segment's name and the address there.");

const natRouter = z.strictObject({
    name: nodeName.describe("The NAT router's node name."),
    address: addresses.optional().describe("Its address on this segment: the default route of everything on it."),
    outside: segmentPlace.describe("Where it masquerades to: a place on another shared segment."),
    host: placement.optional(),
}).describe("A home router: everything on its segment goes out masqueraded to its address on another segment; what sits behind it must initiate.");

const sharedSegment = z.strictObject({
    subnet: subnets,
    router: addresses.optional().describe("The lab router's address when it joins the segment: then the default route of the gateways on it. Left out: no router on the segment; peers talk on the link."),
    nat: natRouter.optional().describe("A NAT router in front of the segment (a home LAN); then the default route of everything on it."),
}).describe("A segment several gateways (and road warriors) share, e.g. moon and sun's 192.168.0.0/24 with no router between them.");

const authMethod = z.enum(["pubkey", "psk"])
    .describe("pubkey: X.509 certificates from the lab's PKI (the seed's way); psk: a pre-shared key, derived from vnetlab:seed unless vnetlab:psk-<tunnel> sets it.");
const ikeProposal = proposal.describe(`IKE proposal, strongSwan's syntax (default ${DEFAULT_IKE_PROPOSAL}).`);
const espProposal = proposal.describe(`ESP proposal, strongSwan's syntax (default ${DEFAULT_ESP_PROPOSAL}).`);

const roadWarrior = z.strictObject({
    site: siteName.describe("The site whose gateway it dials in to; that gateway needs pools."),
    isp: segmentPlace.describe("Where it stands: the Internet, or a home LAN behind a NAT router."),
    ipVersion: ipVersion.default(4).describe("The outer family: IKE and ESP travel over IPv4 or IPv6."),
    virtualIps: z.array(ipVersion).min(1).max(2).default([4])
        .describe("The families of virtual IP it asks for, each from the gateway's pool of that family."),
    auth: authMethod.default("pubkey"),
    ike: ikeProposal.default(DEFAULT_IKE_PROPOSAL),
    esp: espProposal.default(DEFAULT_ESP_PROPOSAL),
    dpdAction: z.enum(["restart", "clear"]).default("restart")
        .describe("When its gateway is gone (DPD) or has deleted the tunnel: restart dials again until the gateway answers; clear gives up, the strict behaviour."),
    host: placement.optional(),
}).describe("A host outside any site that dials in to a site's gateway (strongSwan's carol and dave): it initiates a tunnel named after itself, asks for a virtual IP of each family and reaches the site's LAN from it.");

const gateway = z.strictObject({
    name: nodeName.optional().describe("Its node name; default gateway-<site>."),
    address: addresses.optional().describe("Its LAN address; left out, allocated (gateways first)."),
    serviceAddress: addresses.optional().describe("The site-local address clients use to reach forwarded services (the seed's \".99\")."),
    isp: ispLink,
    masquerade: z.boolean().default(true).describe("Masquerade the LAN's traffic that leaves outside the tunnels."),
    firewall: z.enum(["strict", "open"]).default("strict")
        .describe("strict: the ISP side carries only IKE/ESP with the tunnel peers, and LAN traffic leaves only through a tunnel; open: no filtering."),
    pools: subnets.optional().describe("Virtual IPs the gateway hands out to road warriors, a subnet per family (swanctl pools)."),
}).describe("The site's VPN gateway: between its LAN and its ISP link.");

const site = z.strictObject({
    lan: subnets.optional().describe("The site's LAN. Left out: the site is one host that is its own IKE peer (strongSwan's host2host), its gateway."),
    gateway,
    hosts: z.record(nodeName, host).default({}).describe("The hosts on the LAN, by node name."),
    host: placement.optional().describe("The Docker host (a name of `hosts`) its gateway and hosts run on. Left out, with hosts named: spread evenly over them."),
}).describe("A site: a LAN, its gateway and its hosts.");

export const TUNNEL_MODES = ["tunnel", "transport"] as const;
export const DATAPLANE_SETTINGS = ["auto", "kernel", "libipsec"] as const;

const tunnel = z.strictObject({
    type: z.enum(["host-to-host", "site-to-site"])
        .describe("host-to-host: protects the two gateways' own ISP addresses; site-to-site: carries the two sites' LANs (which must not overlap)."),
    between: z.tuple([siteName, siteName]).describe("The two sites; the first one initiates."),
    ipVersion: ipVersion.default(4).describe("The outer family: IKE and ESP travel between the gateways' ISP addresses of this version."),
    inner: z.array(ipVersion).min(1).max(2).optional()
        .describe("The inner families: whose LANs the traffic selectors carry (site-to-site). Defaults to the outer one; [4, 6] is a dual-stack tunnel, [6] over ipVersion 4 carries IPv6 LANs across IPv4 ISP links."),
    ike: ikeProposal.default(DEFAULT_IKE_PROPOSAL),
    esp: espProposal.default(DEFAULT_ESP_PROPOSAL),
    auth: authMethod.default("pubkey"),
    startAction: z.enum(["trap", "start"]).default("trap")
        .describe("trap: installs the tunnel on its first packet (the seed's auto=route); start: brings it up at boot."),
    dpdAction: z.enum(["trap", "clear", "restart"]).optional()
        .describe("What the initiator does when its peer is dead (DPD) or has deleted the tunnel: restart dials again until the peer answers, trap waits for the next packet (ipsec.conf's \"hold\"), clear gives up, the strict behaviour. Defaults to restart for a tunnel started at boot, trap for a trap tunnel."),
    mode: z.enum(TUNNEL_MODES).default("tunnel")
        .describe("transport: protects the peers' own traffic without a second IP header; only host-to-host tunnels qualify, and only the kernel's IPsec dataplane has it."),
}).describe("An IPsec tunnel between two sites' gateways.");

const service = z.strictObject({
    server: nodeName.describe("A host with role server, or the gateway of a site without a LAN (a lone host serves itself)."),
    port: port.default(8080).describe("The TCP port it listens on."),
    sites: z.array(siteName).default([]).describe("The sites whose clients use the service, each through its tunnel(s) to the server's site."),
    roadWarriors: z.array(nodeName).default([]).describe("Road warriors that use it, from their virtual IPs, at the server's own address."),
    via: z.enum(["gateway", "direct"]).default("gateway")
        .describe("gateway: clients connect to their gateway's service address, which the gateway forwards through the tunnel (the seed's way, and the only one across host-to-host tunnels); direct: clients connect to the server's own address, which a site-to-site tunnel carries."),
    instancePortBase: port.default(30000)
        .describe("Sites behind host-to-host tunnels arrive from indistinguishable LANs, so each gets its own server instance, on this port plus the site's index."),
}).describe("A service on a server, used by clients of other sites (and road warriors) through the tunnels; `npm run verify` checks each use.");

const check = z.strictObject({
    from: nodeName.describe("The node that sends."),
    to: z.string().min(1).describe("A node name (its first address of ipVersion) or a literal lab address."),
    protocol: z.enum(["tcp", "udp", "icmp"]).describe("What it sends: a TCP connection, a UDP datagram or a ping."),
    port: port.optional().describe("The destination port (tcp and udp)."),
    ipVersion: ipVersion.default(4).describe("The family of the address a node name stands for."),
    expect: z.enum(["reach", "blocked"]).describe("reach: an answer must come; blocked: none may."),
}).describe("An extra check for `npm run verify`: from one node to another node or address.");

// Where the address comes from decides how Pulumi's Docker provider reaches the engine.
const DOCKER_ADDRESS = /^(unix:\/\/\/\S+|tcp:\/\/[^\s/:]+:\d{1,5}|ssh:\/\/([^\s@/]+@)?[^\s@/:]+(:\d{1,5})?)$/;
const dockerHost = z.strictObject({
    address: z.string().regex(DOCKER_ADDRESS, { error: "is not a Docker address: unix:///path/to.sock, tcp://host:port or ssh://user@host[:port]" }).optional()
        .describe("How to reach its Docker engine: unix:///path, tcp://host:port (with tls) or ssh://user@host. Left out: the local engine (DOCKER_HOST or the default socket), where the node image is built."),
    tls: z.boolean().default(false)
        .describe("A tcp:// engine that wants TLS: its CA, certificate and key come from the stack secrets vnetlab:tls-<host>-ca, -cert and -key."),
    manager: z.boolean().default(false)
        .describe("A manager of the swarm the hosts form: segments that span hosts become attachable overlay networks, which only a manager creates. One host at most."),
}).describe("A Docker engine that runs part of the lab.");

const network = z.strictObject({
    driver: z.enum(["macvlan", "bridge"]).default("macvlan").describe("The Docker network driver of every segment."),
    parents: z.record(z.string(), name(15)).default({})
        .describe("Host interface per segment as macvlan parent (e.g. \"lan-a\": \"veth-lab0\"); never a NIC that leaves the machine. Segments left out get a veth pair of their own."),
    dockerPool: z
        .strictObject({ ipv4: ipv4Subnet.default("198.18.0.0/15"), ipv6: ipv6Subnet.default("fd00:7e57:ab::/48") })
        .default({ ipv4: "198.18.0.0/15", ipv6: "fd00:7e57:ab::/48" })
        .describe("Where Docker-side stand-ins come from, for lab subnets Docker cannot hold itself (overlapping ones, or a segment without IPv4)."),
}).describe("How segments become Docker networks.");

export const labSchema = z.strictObject({
    name: name(40).optional().describe("Prefix of every container and network name; defaults to \"vnetlab-<stack>\"."),
    network: network.default({ driver: "macvlan", parents: {}, dockerPool: { ipv4: "198.18.0.0/15", ipv6: "fd00:7e57:ab::/48" } }),
    hosts: z.record(name(HOST_NAME_MAX), dockerHost).default({})
        .describe("The Docker hosts a lab larger than one machine runs on, by name, joined by a Docker swarm. Left out: the whole lab runs on the local engine."),
    image: z
        .strictObject({
            name: z.string().min(1).default("vnetlab-node:latest").describe("The node image's name."),
            buildNetwork: z.string().min(1).default("host")
                .describe("Network for the Dockerfile's RUN steps (apt-get). \"host\" works wherever the host reaches a Debian mirror, also where Docker's default bridge has no route out; \"default\" is Docker's own choice."),
        })
        .default({ name: "vnetlab-node:latest", buildNetwork: "host" })
        .describe("The image every node runs, built from image/."),
    router: z
        .strictObject({
            name: nodeName.default("router").describe("The router's node name."),
            uplink: z.boolean().default(false).describe("An opt-in leg on Docker's default bridge, with masquerade, to reach the real Internet."),
            host: placement.optional(),
        })
        .default({ name: "router", uplink: false })
        .describe("The router that stands in for the Internet between the sites' ISP links."),
    segments: z.record(name(SEGMENT_NAME_MAX), sharedSegment).default({})
        .describe("Segments shared by several sites' gateways (and road warriors), by name; each site still has its own LAN."),
    dataplane: z.enum(DATAPLANE_SETTINGS).default("auto")
        .describe("The IPsec dataplane every gateway runs. auto: the kernel's IPsec if the Docker host's kernel takes an ESP SA, else strongSwan's userspace kernel-libipsec; kernel or libipsec force one."),
    sites: z.record(siteName, site).refine((s) => Object.keys(s).length > 0, { error: "needs at least one site" })
        .describe(`The sites, by name (at most ${SITE_NAME_MAX} characters: a site's name ends up in interface names).`),
    tunnels: z.record(name(40), tunnel).default({}).describe("The IPsec tunnels, by name."),
    roadWarriors: z.record(nodeName, roadWarrior).default({}).describe("Road warriors, by node name; each one also names its tunnel to its site's gateway."),
    services: z.record(name(40), service).default({}).describe("Services, by name."),
    checks: z.array(check).default([]).describe("Extra checks for `npm run verify`, beside the ones it derives from the lab."),
    pki: z
        .strictObject({
            organization: z.string().min(1).max(64).default("vnetlab").describe("O= of every certificate."),
            country: z.string().regex(/^[A-Z]{2}$/, { error: "must be a two-letter country code" }).default("FI").describe("C= of every certificate."),
            validityDays: z.number().int().min(1).max(36500).default(3650)
                .describe("Days a gateway certificate is valid from 2026-01-01; a larger value re-issues every certificate."),
            revoke: z.array(nodeName).default([]).describe("Gateways whose certificates the lab's CRL revokes."),
        })
        .default({ organization: "vnetlab", country: "FI", validityDays: 3650, revoke: [] })
        .describe("The lab's PKI: a root CA, an intermediate and a certificate per gateway, all derived from vnetlab:seed."),
}).describe("The lab: sites, their gateways and hosts, the tunnels between them, services and checks. Addresses left out are allocated from the subnets.");

export type LabConfig = z.infer<typeof labSchema>;
export type SiteConfig = z.infer<typeof site>;
export type HostConfig = z.infer<typeof host>;
export type TunnelConfig = z.infer<typeof tunnel>;
export type ServiceConfig = z.infer<typeof service>;
export type CheckConfig = z.infer<typeof check>;
export type Addresses = z.infer<typeof addresses>;
export type Subnets = z.infer<typeof subnets>;
export type DockerHostConfig = z.infer<typeof dockerHost>;
