// The planned lab: every address, name and relation decided, nothing left for
// the renderers or components to compute. Plain data (JSON-safe), so it is
// also the machine-readable manifest that `verify` reads back.
import type { Family, IpVersion } from "./ip";

export type Role = "gateway" | "router" | "client" | "server" | "roadwarrior" | "nat";
export type PerFamily<T> = { readonly ipv4?: T; readonly ipv6?: T };

export interface InterfaceAddress {
    readonly address: string;
    readonly prefixLength: number;
}

export interface DockerSubnet {
    readonly subnet: string;
    /** Docker reserves it; chosen so that it is no lab address. */
    readonly gateway: string;
    /**
     * Where Docker may pick addresses itself: on an overlay network, each
     * host's load-balancer endpoint takes one, which must be no lab address.
     */
    readonly ipRange?: string;
}

/** A Docker engine that runs part of a lab that names several (`hosts`). */
export interface DockerHostPlan {
    readonly name: string;
    /** unix://, tcp:// or ssh://; absent: the local engine (DOCKER_HOST or the default socket). */
    readonly address?: string;
    /** A tcp:// engine with TLS: CA, certificate and key are the stack secrets vnetlab:tls-<name>-ca, -cert, -key. */
    readonly tls: boolean;
    /** The swarm manager, which makes the overlay networks. */
    readonly manager: boolean;
}

export interface SegmentPlan {
    /** lan-<site>, isp-<site>, or a shared segment's own name. */
    readonly key: string;
    readonly kind: "lan" | "isp" | "shared";
    /** The site a LAN or private ISP link belongs to; a shared segment belongs to none. */
    readonly site?: string;
    readonly networkName: string;
    /** overlay: a segment whose members run on several hosts (an attachable network of their swarm). */
    readonly driver: "macvlan" | "bridge" | "overlay";
    /** In a lab on several hosts: the host that makes the network (an overlay's: the swarm manager). */
    readonly host?: string;
    readonly parent?: string;
    /** The subnets the lab uses on this segment. */
    readonly subnets: PerFamily<string>;
    /**
     * What Docker holds. It differs from `subnets` when Docker cannot hold the
     * lab's own subnet (it overlaps another segment) or the segment has no
     * IPv4 (Docker always assigns one); the node then re-addresses itself.
     */
    readonly docker: { readonly ipv4: DockerSubnet; readonly ipv6?: DockerSubnet };
}

export interface InterfacePlan {
    /** The lab's name for it inside the container (lan, isp, isp-<site>). */
    readonly name: string;
    readonly segment: string;
    /** What Docker assigns; the start script finds the interface by docker.ipv4. */
    readonly docker: { readonly ipv4: string; readonly ipv6?: string };
    readonly addresses: PerFamily<InterfaceAddress>;
    /** Further lab addresses on the interface, e.g. a gateway's service address. */
    readonly extraAddresses: readonly (InterfaceAddress & { readonly family: Family })[];
    /**
     * On an overlay segment: every other member's lab address with the MAC
     * of its endpoint. The overlay resolves only the addresses Docker gave;
     * the node adds these as permanent neighbour entries.
     */
    readonly neighbors?: readonly { readonly address: string; readonly mac: string }[];
}

export interface RoutePlan {
    readonly family: Family;
    readonly destination: "default" | string;
    readonly via: string;
    readonly interface: string;
}

export interface DnatRule {
    readonly family: Family;
    /** Only packets from this source (a peer gateway's tunnel address). */
    readonly source?: string;
    readonly inInterface?: string;
    readonly destination: string;
    readonly port: number;
    readonly to: { readonly address: string; readonly port: number };
    readonly why: string;
}

export interface SnatRule {
    readonly family: Family;
    readonly source: string;
    readonly destination: string;
    readonly toSource: string;
    readonly why: string;
}

export interface MasqueradeRule {
    readonly family: Family;
    readonly source: string;
    readonly outInterface: string;
    /** Destinations that go into a tunnel and must keep their source. */
    readonly except: readonly string[];
}

export interface GatewayPlan {
    /** Absent on a lone host (a site without a LAN). */
    readonly lan?: string;
    readonly wan: string;
    readonly firewall: "strict" | "open";
    /** IKE peers by family: the only hosts the ISP side talks to under a strict firewall. */
    readonly peers: readonly { readonly family: Family; readonly address: string }[];
    readonly dnat: readonly DnatRule[];
    readonly snat: readonly SnatRule[];
    readonly masquerade: readonly MasqueradeRule[];
    /**
     * Why strict reverse-path filtering must give way to loose, when it must:
     * a host-to-host tunnel to a peer on the same segment routes the peer's
     * address into the tunnel, and the kernel then drops the peer's ARP
     * requests (an ARP lookup carries no port for the IKE rules to match).
     */
    readonly looseReversePath?: string;
    /** Virtual IPs it hands to road warriors, per family (swanctl pools vip-ipv4, vip-ipv6). */
    readonly pools?: PerFamily<string>;
}

export interface ServiceInstance {
    readonly service: string;
    readonly port: number;
    /** Echoed in every answer so that a client can tell which instance served it. */
    readonly label: string;
}

export interface NodePlan {
    readonly name: string;
    readonly role: Role;
    /** The site a node belongs to; the router belongs to none. */
    readonly site?: string;
    /** In a lab on several hosts: the one it runs on. */
    readonly host?: string;
    readonly containerName: string;
    readonly interfaces: readonly InterfacePlan[];
    readonly routes: readonly RoutePlan[];
    /** Gateways and road warriors: the nodes that run IKE. */
    readonly gateway?: GatewayPlan;
    /** A NAT router: its interface toward the world, and what it masquerades there, to ports of its own choosing. */
    readonly natRouter?: { readonly outside: string; readonly masquerade: readonly MasqueradeRule[] };
    /** Router only: the opt-in leg on Docker's default bridge. */
    readonly uplink?: boolean;
    readonly instances: readonly ServiceInstance[];
}

export interface TunnelEnd {
    /** Absent on a road warrior's end. */
    readonly site?: string;
    /** The node that runs IKE at this end: a gateway or a road warrior. */
    readonly gateway: string;
    /** Its ISP address: IKE endpoint and identity. */
    readonly address: string;
    /** On a road warrior's end, the pools its virtual IPs come from. */
    readonly trafficSelectors: readonly string[];
    /** Behind a NAT router: the peer sees this end at the router's outside address. */
    readonly nat?: { readonly router: string; readonly address: string };
    /** A road warrior's end: it asks for a virtual IP from each of its selectors' pools. */
    readonly virtualIp?: true;
}

export interface TunnelPlan {
    readonly name: string;
    readonly type: "host-to-host" | "site-to-site" | "road-warrior";
    /** The outer family: IKE and ESP between the ends' addresses. */
    readonly ipVersion: IpVersion;
    /** The families the selectors carry, when the config set them; otherwise just ipVersion. */
    readonly inner?: readonly IpVersion[];
    readonly auth: "pubkey" | "psk";
    readonly ike: string;
    readonly esp: string;
    readonly startAction: "trap" | "start";
    readonly dpdAction: "trap" | "clear" | "restart";
    /** transport: host-to-host only, on the kernel's dataplane only (model/validate.ts, plan/dataplane.ts). */
    readonly mode: "tunnel" | "transport";
    /** [initiator, responder]. */
    readonly ends: readonly [TunnelEnd, TunnelEnd];
}

export interface ServiceConsumer {
    /** The site whose clients use the service; absent for a road warrior, its own client. */
    readonly site?: string;
    readonly roadWarrior?: string;
    readonly tunnel: string;
    readonly family: Family;
    /** Where the site's clients connect. */
    readonly address: string;
    readonly port: number;
    /** The label of the server instance that must answer this site. */
    readonly instance: string;
}

export interface ServicePlan {
    readonly name: string;
    readonly server: string;
    readonly consumers: readonly ServiceConsumer[];
}

export interface CheckPlan {
    readonly from: string;
    readonly to: string;
    readonly address: string;
    readonly family: Family;
    readonly protocol: "tcp" | "udp" | "icmp";
    readonly port?: number;
    readonly expect: "reach" | "blocked";
}

export interface CertificatePlan {
    readonly gateway: string;
    /** Seed style: "<gateway> <ISP address>". */
    readonly commonName: string;
    /** Subject alternative names: the gateway's ISP addresses, its IKE identities. */
    readonly ipAddresses: readonly string[];
    readonly revoked: boolean;
}

export interface PkiPlan {
    readonly country: string;
    readonly organization: string;
    /** When every certificate of the lab becomes valid (ISO 8601, UTC): PKI_NOT_BEFORE. */
    readonly notBefore: string;
    /** A gateway certificate's; each CA outlives what it signs. */
    readonly validityHours: number;
    readonly rootCommonName: string;
    readonly intermediateCommonName: string;
    /** Gateways that end at least one pubkey tunnel. */
    readonly certificates: readonly CertificatePlan[];
}

export interface LabPlan {
    readonly name: string;
    readonly stack: string;
    readonly image: { readonly name: string; readonly buildNetwork: string };
    /** What every gateway's start program runs: auto picks by what the kernel takes. */
    readonly dataplane: "auto" | "kernel" | "libipsec";
    /** The Docker hosts of a lab that names several; absent: the local engine runs it all. */
    readonly hosts?: readonly DockerHostPlan[];
    readonly segments: readonly SegmentPlan[];
    readonly nodes: readonly NodePlan[];
    readonly tunnels: readonly TunnelPlan[];
    readonly services: readonly ServicePlan[];
    readonly checks: readonly CheckPlan[];
    /** Present when any tunnel authenticates with certificates. */
    readonly pki?: PkiPlan;
}
