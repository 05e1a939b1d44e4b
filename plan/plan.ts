// From a validated lab config to a LabPlan: addresses allocated, Docker's
// view decided, who talks to whom spelled out. Pure and deterministic: the
// same config always gives the same plan (allocation follows sorted names,
// never object or set order).
import type { LabConfig, SiteConfig, Addresses } from "../model/schema";
import { LabConfigError, ConfigPath } from "../model/errors";
import { containerName, gatewayName, hasRouter, innerVersions, ispSegment, labName, lanSegment, natPath, wanSegment } from "../model/names";
import { FAMILIES, Family, IpVersion, Subnet, canonical, carve, familyOf, formatAddress, hostPrefix, addressValue } from "./ip";
import { familyOfPrefix, reachableAt, tunnelFamilies } from "./tunnel";
import type {
    CertificatePlan, CheckPlan, DnatRule, PkiPlan, TunnelEnd, DockerSubnet, GatewayPlan, InterfaceAddress, InterfacePlan, LabPlan, MasqueradeRule,
    NodePlan, PerFamily, RoutePlan, SegmentPlan, ServiceInstance, ServicePlan, SnatRule, TunnelPlan,
} from "./types";

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

interface SegmentDraft {
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
const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);
const hosts = (site: SiteConfig) => Object.entries(site.hosts).sort(byKey);
const sortedSites = (lab: LabConfig) => Object.entries(lab.sites).sort(byKey);

function parseSubnets(subnets: { ipv4?: string; ipv6?: string }): PerFamily<Subnet> {
    return {
        ipv4: subnets.ipv4 ? Subnet.parse("ipv4", subnets.ipv4) : undefined,
        ipv6: subnets.ipv6 ? Subnet.parse("ipv6", subnets.ipv6) : undefined,
    };
}

export function planLab(lab: LabConfig, stack: string): LabPlan {
    const name = labName(lab, stack);
    const segments = draftSegments(lab);
    const docker = dockerSubnets(lab, segments);
    const tunnels = planTunnels(lab, segments);
    const { services, instances, dnat } = planServices(lab, segments, tunnels);

    const bySegment = new Map(segments.map((s) => [s.key, s]));
    const member = (segment: string, node: string) => {
        const found = bySegment.get(segment)!.members.find((m) => m.node === node);
        if (!found) throw new Error(`internal: ${node} is not on ${segment}`);
        return found;
    };
    const iface = (segment: string, node: string): InterfacePlan => {
        const draft = bySegment.get(segment)!;
        const m = member(segment, node);
        const addresses: { ipv4?: InterfaceAddress; ipv6?: InterfaceAddress } = {};
        const extraAddresses: (InterfaceAddress & { family: Family })[] = [];
        for (const family of FAMILIES) {
            const subnet = draft.subnets[family];
            if (!subnet) continue;
            addresses[family] = { address: m.lab[family]!, prefixLength: subnet.prefixLength };
            const extra = m.extra[family];
            if (extra) extraAddresses.push({ family, address: extra, prefixLength: subnet.prefixLength });
        }
        return {
            name: m.interfaceName,
            segment,
            docker: docker.addresses.get(`${segment}/${node}`)!,
            addresses,
            extraAddresses,
        };
    };

    const exitOf = (segment: string) => {
        const draft = bySegment.get(segment)!;
        return draft.exit !== undefined ? member(segment, draft.exit) : undefined;
    };

    const nodes: NodePlan[] = [];
    if (hasRouter(lab)) {
        nodes.push({
            name: lab.router.name,
            role: "router",
            containerName: containerName(name, lab.router.name),
            interfaces: segments.filter((s) => s.members.some((m) => m.node === lab.router.name)).map((s) => iface(s.key, lab.router.name)),
            routes: [],
            uplink: lab.router.uplink,
            instances: [],
        });
    }
    for (const [siteName, site] of sortedSites(lab)) {
        const gw = gatewayName(siteName, site);
        const lan = site.lan ? iface(lanSegment(siteName), gw) : undefined;
        const wanKey = wanSegment(siteName, site);
        const wan = iface(wanKey, gw);
        // On a shared segment without a router the gateways reach their peers on the link itself.
        const router = exitOf(wanKey);
        nodes.push({
            name: gw,
            role: "gateway",
            site: siteName,
            containerName: containerName(name, gw),
            interfaces: lan ? [lan, wan] : [wan],
            routes: router ? defaultRoutes(router.lab, wan.name) : [],
            gateway: planGateway(lab, siteName, site, lan, wan, tunnels, dnat.get(gw) ?? []),
            instances: instances.get(gw) ?? [],
        });
        if (!lan) continue;
        for (const [hostName, host] of hosts(site)) {
            nodes.push({
                name: hostName,
                role: host.role,
                site: siteName,
                containerName: containerName(name, hostName),
                interfaces: [iface(lanSegment(siteName), hostName)],
                routes: defaultRoutes(plainAddresses(lan), lan.name),
                instances: instances.get(hostName) ?? [],
            });
        }
    }

    for (const [segmentName, segment] of Object.entries(lab.segments).sort(byKey)) {
        if (!segment.nat) continue;
        const inside = iface(segmentName, segment.nat.name);
        const outside = iface(segment.nat.outside.segment, segment.nat.name);
        const upstream = exitOf(segment.nat.outside.segment);
        nodes.push({
            name: segment.nat.name,
            role: "nat",
            containerName: containerName(name, segment.nat.name),
            interfaces: [inside, outside],
            routes: upstream ? defaultRoutes(upstream.lab, outside.name) : [],
            natRouter: {
                masquerade: FAMILIES.filter((f) => inside.addresses[f] && outside.addresses[f]).map((family) => ({
                    family, source: bySegment.get(segmentName)!.subnets[family]!.toString(), outInterface: outside.name, except: [],
                })),
            },
            instances: [],
        });
    }
    for (const [rwName, rw] of Object.entries(lab.roadWarriors).sort(byKey)) {
        const wan = iface(rw.isp.segment, rwName);
        const upstream = exitOf(rw.isp.segment);
        const tunnel = tunnels.find((t) => t.name === rwName)!;
        const far = tunnel.ends[1];
        nodes.push({
            name: rwName,
            role: "roadwarrior",
            containerName: containerName(name, rwName),
            interfaces: [wan],
            routes: upstream ? defaultRoutes(upstream.lab, wan.name) : [],
            gateway: {
                wan: wan.name, firewall: "strict", dnat: [], snat: [], masquerade: [],
                peers: [{ family: familyOf(tunnel.ipVersion), address: reachableAt(far) }],
            },
            instances: [],
        });
    }

    const segmentPlans: SegmentPlan[] = segments.map((s) => ({
        key: s.key,
        kind: s.kind,
        ...(s.site !== undefined ? { site: s.site } : {}),
        networkName: `${name}-${s.key}`,
        driver: lab.network.driver,
        ...(lab.network.parents[s.key] ? { parent: lab.network.parents[s.key] } : {}),
        subnets: {
            ...(s.subnets.ipv4 ? { ipv4: s.subnets.ipv4.toString() } : {}),
            ...(s.subnets.ipv6 ? { ipv6: s.subnets.ipv6.toString() } : {}),
        },
        docker: docker.subnets.get(s.key)!,
    }));

    const pki = planPki(lab, name, tunnels, nodes);
    return {
        ...(pki ? { pki } : {}),
        name,
        stack,
        image: { name: lab.image.name, buildNetwork: lab.image.buildNetwork },
        dataplane: lab.dataplane,
        segments: segmentPlans,
        nodes,
        tunnels,
        services,
        checks: planChecks(lab, nodes),
    };
}

function plainAddresses(i: InterfacePlan): PerFamily<string> {
    return { ipv4: i.addresses.ipv4?.address, ipv6: i.addresses.ipv6?.address };
}

function defaultRoutes(via: PerFamily<string>, interfaceName: string): RoutePlan[] {
    return FAMILIES.filter((f) => via[f] !== undefined).map((family) => ({
        family,
        destination: "default",
        via: via[family]!,
        interface: interfaceName,
    }));
}

/**
 * Segments with lab addresses for every member: each site's LAN and private
 * ISP link in site order, then the shared segments by name. Requested
 * addresses are reserved before any is handed out.
 */
function draftSegments(lab: LabConfig): SegmentDraft[] {
    const drafts: SegmentDraft[] = [];
    const shared = new Map(Object.entries(lab.segments).sort(byKey).map(([segmentName, segment]) => {
        const allocator = new SegmentAddresses(segmentName, parseSubnets(segment.subnet));
        allocator.reserve(segment.router);
        allocator.reserve(segment.nat?.address);
        for (const [, site] of sortedSites(lab)) {
            if (site.gateway.isp.segment === segmentName) allocator.reserve(site.gateway.isp.address);
        }
        for (const [, other] of Object.entries(lab.segments)) {
            if (other.nat?.outside.segment === segmentName) allocator.reserve(other.nat.outside.address);
        }
        for (const [, rw] of Object.entries(lab.roadWarriors)) {
            if (rw.isp.segment === segmentName) allocator.reserve(rw.isp.address);
        }
        const members: Member[] = [];
        if (segment.router !== undefined) {
            members.push({
                node: lab.router.name,
                // The router's interface on a shared segment takes the segment's name.
                interfaceName: segmentName,
                lab: allocator.assign(segment.router, ["segments", segmentName, "router"]),
                extra: {},
            });
        }
        if (segment.nat !== undefined) {
            members.push({ node: segment.nat.name, interfaceName: "inside", lab: allocator.assign(segment.nat.address, ["segments", segmentName, "nat", "address"]), extra: {} });
        }
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
        const onShared = site.gateway.isp.segment !== undefined ? shared.get(site.gateway.isp.segment)! : undefined;
        if (onShared) {
            onShared.members.push({ node: gw, interfaceName: "isp", lab: onShared.allocator.assign(site.gateway.isp.address, [...ispPath, "address"]), extra: {} });
            continue;
        }
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
    // NAT routers' outsides and road warriors take the addresses left, by name.
    for (const [segmentName, segment] of Object.entries(lab.segments).sort(byKey)) {
        if (!segment.nat) continue;
        const outside = shared.get(segment.nat.outside.segment)!;
        outside.members.push({
            node: segment.nat.name, interfaceName: "outside",
            lab: outside.allocator.assign(segment.nat.outside.address, ["segments", segmentName, "nat", "outside", "address"]), extra: {},
        });
    }
    for (const [rwName, rw] of Object.entries(lab.roadWarriors).sort(byKey)) {
        const segment = shared.get(rw.isp.segment)!;
        segment.members.push({ node: rwName, interfaceName: "isp", lab: segment.allocator.assign(rw.isp.address, ["roadWarriors", rwName, "isp", "address"]), extra: {} });
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
function dockerSubnets(lab: LabConfig, segments: SegmentDraft[]) {
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
        subnets.set(segment.key, { ipv4: perFamily.ipv4!, ...(perFamily.ipv6 ? { ipv6: perFamily.ipv6 } : {}) });
        for (const [node, a] of nodeAddresses) addresses.set(`${segment.key}/${node}`, { ipv4: a.ipv4!, ...(a.ipv6 ? { ipv6: a.ipv6 } : {}) });
    }
    return { subnets, addresses };
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

function labAddressOf(segments: SegmentDraft[], segmentKey: string, node: string, family: Family): string | undefined {
    return segments.find((s) => s.key === segmentKey)?.members.find((m) => m.node === node)?.lab[family];
}

function planTunnels(lab: LabConfig, segments: SegmentDraft[]): TunnelPlan[] {
    /** The NAT router whose outside address the peers see, when the end's segment sits behind one (or several). */
    const natOf = (segment: string, family: Family): TunnelEnd["nat"] => {
        const hops = natPath(lab, segment);
        if (hops.length === 0) return undefined;
        const last = hops[hops.length - 1];
        return { router: hops[0].router, address: labAddressOf(segments, last.outside, last.router, family)! };
    };
    const siteEnd = (site: string, family: Family, trafficSelectors: (address: string) => string[]): TunnelEnd => {
        const gw = gatewayName(site, lab.sites[site]);
        const segment = wanSegment(site, lab.sites[site]);
        const address = labAddressOf(segments, segment, gw, family)!;
        const nat = natOf(segment, family);
        return { site, gateway: gw, address, trafficSelectors: trafficSelectors(address), ...(nat ? { nat } : {}) };
    };
    const lanSelectors = (site: string, versions: readonly IpVersion[]) =>
        versions.map((v) => Subnet.parse(familyOf(v), lab.sites[site].lan![familyOf(v)]!).toString());

    const siteTunnels: TunnelPlan[] = Object.entries(lab.tunnels)
        .sort(byKey)
        .map(([tunnelName, t]) => {
            const family = familyOf(t.ipVersion);
            const inner = innerVersions(t);
            const end = (site: string) => siteEnd(site, family, (address) =>
                t.type === "host-to-host" ? [hostPrefix(family, address)] : lanSelectors(site, inner));
            return {
                name: tunnelName,
                type: t.type,
                ipVersion: t.ipVersion,
                ...(t.inner !== undefined ? { inner } : {}),
                auth: t.auth,
                ike: t.ike,
                esp: t.esp,
                startAction: t.startAction,
                dpdAction: t.dpdAction,
                mode: t.mode,
                ends: [end(t.between[0]), end(t.between[1])] as const,
            };
        });
    // A road warrior's tunnel takes its name; it always dials, and a gateway clears it when it goes.
    const roadWarriorTunnels: TunnelPlan[] = Object.entries(lab.roadWarriors)
        .sort(byKey)
        .map(([rwName, rw]) => {
            const family = familyOf(rw.ipVersion);
            const inner = ([4, 6] as const).filter((v) => rw.virtualIps.includes(v));
            const pools = lab.sites[rw.site].gateway.pools!;
            const nat = natOf(rw.isp.segment, family);
            return {
                name: rwName,
                type: "road-warrior" as const,
                // A virtual IP is reached through the gateway: tunnel mode, always.
                mode: "tunnel" as const,
                ipVersion: rw.ipVersion,
                inner,
                auth: rw.auth,
                ike: rw.ike,
                esp: rw.esp,
                startAction: "start" as const,
                dpdAction: "clear" as const,
                ends: [
                    {
                        gateway: rwName,
                        address: labAddressOf(segments, rw.isp.segment, rwName, family)!,
                        trafficSelectors: inner.map((v) => Subnet.parse(familyOf(v), pools[familyOf(v)]!).toString()),
                        virtualIp: true as const,
                        ...(nat ? { nat } : {}),
                    },
                    siteEnd(rw.site, family, () => lanSelectors(rw.site, inner)),
                ] as const,
            };
        });
    return [...siteTunnels, ...roadWarriorTunnels];
}

function planServices(lab: LabConfig, segments: SegmentDraft[], tunnels: TunnelPlan[]) {
    const services: ServicePlan[] = [];
    const instances = new Map<string, ServiceInstance[]>();
    const dnat = new Map<string, DnatRule[]>();
    const addDnat = (gw: string, rule: DnatRule) => dnat.set(gw, [...(dnat.get(gw) ?? []), rule]);

    for (const [serviceName, service] of Object.entries(lab.services).sort(byKey)) {
        const [serverSite, serverSiteConfig] = Object.entries(lab.sites)
            .find(([siteName, s]) => service.server in s.hosts || (!s.lan && gatewayName(siteName, s) === service.server))!;
        const serverInstances = new Map<number, ServiceInstance>();
        const consumers = service.sites.flatMap((site, index) => {
            // Every tunnel between the two sites, every family it carries: a dual-stack tunnel serves both.
            const routes = tunnels
                .filter((t) => t.ends.some((e) => e.site === site) && t.ends.some((e) => e.site === serverSite))
                .flatMap((tunnel) => tunnelFamilies(tunnel).map((family) => ({ tunnel, family })));
            return routes.map(({ tunnel, family }) => {
                const near = tunnel.ends.find((e) => e.site === site)!;
                const far = tunnel.ends.find((e) => e.site === serverSite)!;
                // A lone host serves at its own outside address, the one its host-to-host selector covers.
                const serverSegment = serverSiteConfig.lan ? lanSegment(serverSite) : wanSegment(serverSite, serverSiteConfig);
                const serverAddress = labAddressOf(segments, serverSegment, service.server, family)!;
                // Overlapping LANs reach the server from the same addresses, so each
                // host-to-host site gets an instance of its own, told apart by source.
                const perSite = tunnel.type === "host-to-host" && service.via === "gateway";
                const port = perSite ? service.instancePortBase + index : service.port;
                const label = perSite ? `${serviceName}@${site}` : serviceName;
                serverInstances.set(port, { service: serviceName, port, label });
                if (service.via === "direct") {
                    return { site, tunnel: tunnel.name, family, address: serverAddress, port, instance: label };
                }
                const serviceAddress = segments.find((s) => s.key === lanSegment(site))!.members.find((m) => m.node === near.gateway)!.extra[family]!;
                if (perSite) {
                    addDnat(near.gateway, {
                        family, inInterface: "lan", destination: serviceAddress, port: service.port,
                        to: { address: far.address, port: service.port },
                        why: `${serviceName}: site ${site} reaches ${serverSite} through host-to-host tunnel ${tunnel.name}`,
                    });
                    addDnat(far.gateway, {
                        family, source: near.address, destination: far.address, port: service.port,
                        to: { address: serverAddress, port },
                        why: `${serviceName}: requests from site ${site} go to its own instance`,
                    });
                } else {
                    addDnat(near.gateway, {
                        family, inInterface: "lan", destination: serviceAddress, port: service.port,
                        to: { address: serverAddress, port: service.port },
                        why: `${serviceName}: site ${site} reaches ${service.server} through site-to-site tunnel ${tunnel.name}`,
                    });
                }
                return { site, tunnel: tunnel.name, family, address: serviceAddress, port: service.port, instance: label };
            });
        });
        // A road warrior is its own client and reaches the server's own address from its virtual IP.
        const roadWarriorConsumers = service.roadWarriors.flatMap((rwName) => {
            const tunnel = tunnels.find((t) => t.name === rwName)!;
            return tunnelFamilies(tunnel).map((family) => {
                serverInstances.set(service.port, { service: serviceName, port: service.port, label: serviceName });
                const serverSegment = serverSiteConfig.lan ? lanSegment(serverSite) : wanSegment(serverSite, serverSiteConfig);
                return {
                    roadWarrior: rwName, tunnel: rwName, family,
                    address: labAddressOf(segments, serverSegment, service.server, family)!, port: service.port, instance: serviceName,
                };
            });
        });
        instances.set(service.server, [...(instances.get(service.server) ?? []), ...[...serverInstances.values()].sort((a, b) => a.port - b.port)]);
        services.push({ name: serviceName, server: service.server, consumers: [...consumers, ...roadWarriorConsumers] });
    }
    return { services, instances, dnat };
}

function planGateway(
    lab: LabConfig, siteName: string, site: SiteConfig, lan: InterfacePlan | undefined, wan: InterfacePlan,
    tunnels: TunnelPlan[], dnat: DnatRule[],
): GatewayPlan {
    const mine = tunnels
        .map((t) => ({ t, near: t.ends.find((e) => e.site === siteName), far: t.ends.find((e) => e.site !== siteName)! }))
        .filter((x) => x.near !== undefined);
    const snat: SnatRule[] = [];
    for (const { t, near, far } of mine) {
        const family = familyOf(t.ipVersion);
        const lanSubnet = lab.sites[siteName].lan?.[family];
        if (t.type === "host-to-host" && lanSubnet) {
            snat.push({
                family, source: lanSubnet, destination: hostPrefix(family, far.address), toSource: near!.address,
                why: `host-to-host tunnel ${t.name} protects only the gateways' own addresses`,
            });
        }
    }
    const masquerade: MasqueradeRule[] = site.gateway.masquerade && lan
        ? FAMILIES.filter((f) => lan.addresses[f] && wan.addresses[f]).map((family) => ({
            family,
            source: site.lan![family]!,
            outInterface: wan.name,
            except: mine
                .filter((x) => tunnelFamilies(x.t).includes(family))
                .flatMap((x) => x.far.trafficSelectors.filter((ts) => familyOfPrefix(ts) === family)),
        }))
        : [];
    const onLink = mine.filter(({ t, far }) => t.type === "host-to-host" &&
        far.site !== undefined && wanSegment(far.site, lab.sites[far.site]) === wan.segment);
    return {
        ...(lan ? { lan: lan.name } : {}),
        ...(onLink.length > 0
            ? { looseReversePath: `host-to-host ${onLink.map((x) => x.t.name).join(", ")} to a peer on ${wan.segment}: its ARP must pass the tunnel route` }
            : {}),
        wan: wan.name,
        firewall: site.gateway.firewall,
        peers: mine.map(({ t, far }) => ({ family: familyOf(t.ipVersion), address: reachableAt(far) })),
        ...(site.gateway.pools ? { pools: { ...site.gateway.pools } } : {}),
        dnat,
        snat,
        masquerade,
    };
}

function planChecks(lab: LabConfig, nodes: NodePlan[]): CheckPlan[] {
    return lab.checks.map((check) => {
        const family = familyOf(check.ipVersion);
        const target = nodes.find((n) => n.name === check.to);
        const address = target
            ? target.interfaces.map((i) => i.addresses[family]?.address).find((a) => a !== undefined)
            : canonical(family, check.to);
        if (address === undefined) {
            throw new LabConfigError([{ path: ["checks", lab.checks.indexOf(check), "to"], message: `node "${check.to}" has no ${family} address` }]);
        }
        return {
            from: check.from,
            to: check.to,
            address,
            family,
            protocol: check.protocol,
            ...(check.port !== undefined ? { port: check.port } : {}),
            expect: check.expect,
        };
    });
}

function planPki(lab: LabConfig, name: string, tunnels: TunnelPlan[], nodes: NodePlan[]): PkiPlan | undefined {
    const gateways = [...new Set(tunnels.filter((t) => t.auth === "pubkey").flatMap((t) => t.ends.map((e) => e.gateway)))].sort();
    if (gateways.length === 0) return undefined;
    const certificates: CertificatePlan[] = gateways.map((gateway) => {
        const isp = nodes.find((n) => n.name === gateway)!.interfaces.find((i) => i.name === "isp")!;
        const ipAddresses = FAMILIES.map((f) => isp.addresses[f]?.address).filter((a): a is string => a !== undefined);
        return { gateway, commonName: `${gateway} ${ipAddresses[0]}`, ipAddresses, revoked: lab.pki.revoke.includes(gateway) };
    });
    return {
        country: lab.pki.country,
        organization: lab.pki.organization,
        validityHours: lab.pki.validityDays * 24,
        rootCommonName: `${name} Root CA`,
        intermediateCommonName: `${name} Intermediate CA`,
        certificates,
    };
}
