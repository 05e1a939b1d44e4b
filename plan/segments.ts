// The lab's segments with an address for every member, and Docker's view of
// each: what the planner decides first, and every later step looks up.
import type { LabConfig, SiteConfig, Addresses } from "../model/schema";
import { LabConfigError, ConfigPath } from "../model/errors";
import { gatewayName, ispSegment, lanSegment, placesOn } from "../model/names";
import { FAMILIES, Family, Subnet, canonical, carve, formatAddress, addressValue } from "./ip";
import type { DockerSubnet, PerFamily } from "./types";

/** Hands out addresses of one segment: requested ones first, then the lowest free, in call order. */
class SegmentAddresses {
    private readonly taken: Record<Family, Set<bigint>> = { ipv4: new Set(), ipv6: new Set() };

    constructor(readonly key: string, readonly subnets: PerFamily<Subnet>) {}

    reserve(requested: Addresses | undefined): void {
        for (const family of FAMILIES) {
            const address = requested?.[family];
            if (address !== undefined) this.taken[family].add(addressValue(family, address));
        }
    }

    /** An address per family the segment has: the requested one, or the lowest free. */
    assign(requested: Addresses | undefined, path: ConfigPath): PerFamily<string> {
        const result: { ipv4?: string; ipv6?: string } = {};
        for (const family of FAMILIES) {
            const subnet = this.subnets[family];
            if (!subnet) continue;
            const wanted = requested?.[family];
            result[family] = wanted !== undefined ? canonical(family, wanted) : this.next(family, subnet, path);
        }
        return result;
    }

    isTaken(family: Family, value: bigint): boolean {
        return this.taken[family].has(value);
    }

    private next(family: Family, subnet: Subnet, path: ConfigPath): string {
        for (let value = subnet.firstUsable; value <= subnet.lastUsable; value++) {
            if (!this.taken[family].has(value)) {
                this.taken[family].add(value);
                return formatAddress(family, value);
            }
        }
        throw new LabConfigError([{ path: [...path, family], message: `no free address left in ${subnet} (${this.key})` }]);
    }
}

interface Member {
    readonly node: string;
    readonly interfaceName: string;
    readonly lab: PerFamily<string>;
    readonly extra: PerFamily<string>;
}

export interface SegmentDraft {
    readonly key: string;
    readonly kind: "lan" | "isp" | "shared";
    /** Absent on a shared segment. */
    readonly site?: string;
    readonly subnets: PerFamily<Subnet>;
    readonly members: Member[];
    readonly allocator: SegmentAddresses;
    /** The member that is everyone else's default route: the lab router or a NAT router. */
    readonly exit?: string;
}

/** Code-unit order: the same on every machine, whatever its locale. */
export const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);
export const hosts = (site: SiteConfig) => Object.entries(site.hosts).sort(byKey);
export const sortedSites = (lab: LabConfig) => Object.entries(lab.sites).sort(byKey);

function parseSubnets(subnets: { ipv4?: string; ipv6?: string }): PerFamily<Subnet> {
    return {
        ipv4: subnets.ipv4 ? Subnet.parse("ipv4", subnets.ipv4) : undefined,
        ipv6: subnets.ipv6 ? Subnet.parse("ipv6", subnets.ipv6) : undefined,
    };
}

/**
 * Segments with lab addresses for every member: each site's LAN and private
 * ISP link in site order, then the shared segments by name. Requested
 * addresses are reserved before any is handed out.
 */
export function draftSegments(lab: LabConfig): SegmentDraft[] {
    const drafts: SegmentDraft[] = [];
    const shared = new Map(Object.entries(lab.segments).sort(byKey).map(([segmentName, segment]) => {
        const allocator = new SegmentAddresses(segmentName, parseSubnets(segment.subnet));
        const places = placesOn(lab, segmentName);
        for (const place of places) allocator.reserve(place.address);
        const members: Member[] = places.map((place) => ({
            node: place.node, interfaceName: place.interfaceName, lab: allocator.assign(place.address, place.path), extra: {},
        }));
        const exit = segment.router !== undefined ? lab.router.name : segment.nat?.name;
        return [segmentName, { key: segmentName, kind: "shared" as const, subnets: allocator.subnets, members, allocator, ...(exit ? { exit } : {}) }];
    }));
    for (const [siteName, site] of sortedSites(lab)) {
        const gw = gatewayName(siteName, site);
        const sitePath: ConfigPath = ["sites", siteName];

        // A site without a LAN is one host: its gateway has only its outside.
        const lanSubnets = site.lan ? parseSubnets(site.lan) : undefined;
        const lan = new SegmentAddresses(lanSegment(siteName), lanSubnets ?? {});
        lan.reserve(site.gateway.address);
        lan.reserve(site.gateway.serviceAddress);
        for (const [, host] of hosts(site)) lan.reserve(host.address);
        const lanMembers: Member[] = [];
        const gwLan = lan.assign(site.gateway.address, [...sitePath, "gateway", "address"]);
        const consumes = Object.values(lab.services).some((s) => s.via === "gateway" && s.sites.includes(siteName));
        const service = consumes || site.gateway.serviceAddress
            ? lan.assign(site.gateway.serviceAddress, [...sitePath, "gateway", "serviceAddress"])
            : {};
        lanMembers.push({ node: gw, interfaceName: "lan", lab: gwLan, extra: service });
        for (const [hostName, host] of hosts(site)) {
            lanMembers.push({
                node: hostName,
                interfaceName: "lan",
                lab: lan.assign(host.address, [...sitePath, "hosts", hostName, "address"]),
                extra: {},
            });
        }
        if (lanSubnets) drafts.push({ key: lan.key, kind: "lan", site: siteName, subnets: lanSubnets, members: lanMembers, allocator: lan });

        const ispPath: ConfigPath = [...sitePath, "gateway", "isp"];
        // On a shared segment the gateway has its place there already.
        if (site.gateway.isp.segment !== undefined) continue;
        const ispSubnets = parseSubnets(site.gateway.isp.subnet!);
        const isp = new SegmentAddresses(ispSegment(siteName), ispSubnets);
        isp.reserve(site.gateway.isp.router);
        isp.reserve(site.gateway.isp.address);
        const router = isp.assign(site.gateway.isp.router, [...ispPath, "router"]);
        const gwIsp = isp.assign(site.gateway.isp.address, [...ispPath, "address"]);
        drafts.push({
            key: isp.key,
            kind: "isp",
            site: siteName,
            exit: lab.router.name,
            subnets: ispSubnets,
            members: [
                { node: lab.router.name, interfaceName: `isp-${siteName}`, lab: router, extra: {} },
                { node: gw, interfaceName: "isp", lab: gwIsp, extra: {} },
            ],
            allocator: isp,
        });
    }
    return [...drafts, ...shared.values()];
}

/**
 * Docker's view of each segment. A lab subnet Docker can hold is used as is,
 * with Docker's reserved gateway moved to the highest address no lab node
 * uses (so ".1" stays free for the lab). A subnet that overlaps another
 * segment, or a family the segment lacks (IPv4 only: Docker always assigns
 * one), gets a stand-in from the pool; the node swaps in its lab address.
 */
export function dockerSubnets(lab: LabConfig, segments: SegmentDraft[], overlays: ReadonlySet<string> = new Set(), swarmHosts = 0) {
    const subnets = new Map<string, { ipv4: DockerSubnet; ipv6?: DockerSubnet }>();
    const addresses = new Map<string, { ipv4: string; ipv6?: string }>();
    const labSubnets = segments.flatMap((s) => FAMILIES.flatMap((f) => (s.subnets[f] ? [s.subnets[f]!] : [])));
    const pools = {
        ipv4: carve(Subnet.parse("ipv4", lab.network.dockerPool.ipv4), 24, labSubnets),
        ipv6: carve(Subnet.parse("ipv6", lab.network.dockerPool.ipv6), 64, labSubnets),
    };
    for (const segment of segments) {
        const perFamily: { ipv4?: DockerSubnet; ipv6?: DockerSubnet } = {};
        const nodeAddresses = new Map<string, { ipv4?: string; ipv6?: string }>();
        for (const family of FAMILIES) {
            // Docker 20.10's overlay hands every attachable container the same IPv6 address, whatever
            // it is asked for: the nodes there bring their own (plan.ts gives them neighbour entries).
            if (family === "ipv6" && overlays.has(segment.key)) continue;
            const own = segment.subnets[family];
            const holdable = own && !segments.some((o) => o !== segment && o.subnets[family]?.overlaps(own));
            if (own && holdable) {
                perFamily[family] = { subnet: own.toString(), gateway: freeTop(segment, family, own) };
                for (const m of segment.members) nodeAddresses.set(m.node, { ...nodeAddresses.get(m.node), [family]: m.lab[family] });
            } else if (own || family === "ipv4") {
                const next = pools[family].next();
                if (next.done) {
                    throw new LabConfigError([{ path: ["network", "dockerPool", family], message: "has no room left for Docker-side subnets" }]);
                }
                const standIn = next.value;
                perFamily[family] = { subnet: standIn.toString(), gateway: formatAddress(family, dockerTop(family, standIn)) };
                segment.members.forEach((m, i) => {
                    nodeAddresses.set(m.node, { ...nodeAddresses.get(m.node), [family]: formatAddress(family, standIn.firstUsable + BigInt(i)) });
                });
            }
        }
        if (overlays.has(segment.key)) {
            const used = [...[...nodeAddresses.values()].map((a) => a.ipv4!), ...segment.members.flatMap((m) => [m.lab.ipv4, m.extra.ipv4])]
                .filter((a): a is string => a !== undefined);
            perFamily.ipv4 = { ...perFamily.ipv4!, ipRange: swarmRange(segment, perFamily.ipv4!.subnet, used, swarmHosts) };
        }
        subnets.set(segment.key, { ipv4: perFamily.ipv4!, ...(perFamily.ipv6 ? { ipv6: perFamily.ipv6 } : {}) });
        for (const [node, a] of nodeAddresses) addresses.set(`${segment.key}/${node}`, { ipv4: a.ipv4!, ...(a.ipv6 ? { ipv6: a.ipv6 } : {}) });
    }
    return { subnets, addresses };
}

/**
 * The range Docker's swarm allocates from on an overlay network: each host
 * that joins it takes an address for its load balancer, the lowest free one
 * unless a range says otherwise, and a lab address taken so makes the node's
 * attach fail ("Address already in use"). The highest aligned block, room
 * for every host and some, that holds no node's address.
 */
function swarmRange(segment: SegmentDraft, subnet: string, used: readonly string[], hosts: number): string {
    const docker = Subnet.parse("ipv4", subnet);
    let prefixLength = 29;
    while (1 << (32 - prefixLength) < hosts + 4) prefixLength--;
    const size = 1n << BigInt(32 - prefixLength);
    const taken = used.map((a) => addressValue("ipv4", a));
    for (let start = docker.last + 1n - size; start > docker.first; start -= size) {
        if (!taken.some((t) => t >= start && t < start + size)) return `${formatAddress("ipv4", start)}/${prefixLength}`;
    }
    const path: ConfigPath = segment.site !== undefined ? ["sites", segment.site, "gateway", "isp", "subnet", "ipv4"] : ["segments", segment.key, "subnet", "ipv4"];
    throw new LabConfigError([{
        path,
        message: `${segment.key} spans hosts, as an overlay network, and ${subnet} leaves no ${size} addresses free for the swarm's own (one per host): give it a larger subnet`,
    }]);
}

/** Docker's IPAM refuses the all-ones IPv6 address as a gateway ("does not belong to the sequence"). */
function dockerTop(family: Family, subnet: Subnet): bigint {
    return family === "ipv6" ? subnet.lastUsable - 1n : subnet.lastUsable;
}

function freeTop(segment: SegmentDraft, family: Family, subnet: Subnet): string {
    const used = new Set(segment.members.flatMap((m) => [m.lab[family], m.extra[family]]).filter((a): a is string => a !== undefined));
    for (let value = dockerTop(family, subnet); value >= subnet.firstUsable; value--) {
        const address = formatAddress(family, value);
        if (!used.has(address) && !segment.allocator.isTaken(family, value)) return address;
    }
    const path: ConfigPath = segment.site !== undefined ? ["sites", segment.site] : ["segments", segment.key];
    throw new LabConfigError([{ path, message: `${segment.key} has no address left for Docker's reserved gateway` }]);
}

export function labAddressOf(segments: SegmentDraft[], segmentKey: string, node: string, family: Family): string | undefined {
    return segments.find((s) => s.key === segmentKey)?.members.find((m) => m.node === node)?.lab[family];
}
