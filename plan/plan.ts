// From a validated lab config to a LabPlan: addresses allocated, Docker's
// view decided, who talks to whom spelled out. Pure and deterministic: the
// same config always gives the same plan (allocation follows sorted names,
// never object or set order).
import type { LabConfig, SiteConfig, Addresses } from "../model/schema";
import { LabConfigError, ConfigPath } from "../model/errors";
import { containerName, gatewayName, ispSegment, labName, lanSegment } from "../model/names";
import { FAMILIES, Family, Subnet, canonical, carve, familyOf, formatAddress, hostPrefix, addressValue } from "./ip";
import type {
    CertificatePlan, CheckPlan, DnatRule, PkiPlan, DockerSubnet, GatewayPlan, InterfaceAddress, InterfacePlan, LabPlan, MasqueradeRule,
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
    readonly kind: "lan" | "isp";
    readonly site: string;
    readonly subnets: PerFamily<Subnet>;
    readonly members: Member[];
    readonly allocator: SegmentAddresses;
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

    const nodes: NodePlan[] = [];
    const routerInterfaces = sortedSites(lab).map(([site]) => iface(ispSegment(site), lab.router.name));
    nodes.push({
        name: lab.router.name,
        role: "router",
        containerName: containerName(name, lab.router.name),
        interfaces: routerInterfaces,
        routes: [],
        uplink: lab.router.uplink,
        instances: [],
    });
    for (const [siteName, site] of sortedSites(lab)) {
        const gw = gatewayName(siteName, site);
        const lan = iface(lanSegment(siteName), gw);
        const wan = iface(ispSegment(siteName), gw);
        const routerOnIsp = member(ispSegment(siteName), lab.router.name).lab;
        nodes.push({
            name: gw,
            role: "gateway",
            site: siteName,
            containerName: containerName(name, gw),
            interfaces: [lan, wan],
            routes: defaultRoutes(routerOnIsp, wan.name),
            gateway: planGateway(lab, siteName, site, lan, wan, tunnels, dnat.get(gw) ?? []),
            instances: [],
        });
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

    const segmentPlans: SegmentPlan[] = segments.map((s) => ({
        key: s.key,
        kind: s.kind,
        site: s.site,
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

/** Segments with lab addresses for every member, in the fixed order of segmentKeys. */
function draftSegments(lab: LabConfig): SegmentDraft[] {
    const drafts: SegmentDraft[] = [];
    for (const [siteName, site] of sortedSites(lab)) {
        const gw = gatewayName(siteName, site);
        const sitePath: ConfigPath = ["sites", siteName];

        const lanSubnets = parseSubnets(site.lan);
        const lan = new SegmentAddresses(lanSegment(siteName), lanSubnets);
        lan.reserve(site.gateway.address);
        lan.reserve(site.gateway.serviceAddress);
        for (const [, host] of hosts(site)) lan.reserve(host.address);
        const lanMembers: Member[] = [];
        const gwLan = lan.assign(site.gateway.address, [...sitePath, "gateway", "address"]);
        const consumes = Object.values(lab.services).some((s) => s.sites.includes(siteName));
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
        drafts.push({ key: lan.key, kind: "lan", site: siteName, subnets: lanSubnets, members: lanMembers, allocator: lan });

        const ispSubnets = parseSubnets(site.gateway.isp.subnet);
        const isp = new SegmentAddresses(ispSegment(siteName), ispSubnets);
        isp.reserve(site.gateway.isp.router);
        isp.reserve(site.gateway.isp.address);
        const ispPath: ConfigPath = [...sitePath, "gateway", "isp"];
        const router = isp.assign(site.gateway.isp.router, [...ispPath, "router"]);
        const gwIsp = isp.assign(site.gateway.isp.address, [...ispPath, "address"]);
        drafts.push({
            key: isp.key,
            kind: "isp",
            site: siteName,
            subnets: ispSubnets,
            members: [
                { node: lab.router.name, interfaceName: `isp-${siteName}`, lab: router, extra: {} },
                { node: gw, interfaceName: "isp", lab: gwIsp, extra: {} },
            ],
            allocator: isp,
        });
    }
    return drafts;
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
    throw new LabConfigError([{ path: ["sites", segment.site], message: `${segment.key} has no address left for Docker's reserved gateway` }]);
}

function labAddressOf(segments: SegmentDraft[], segmentKey: string, node: string, family: Family): string | undefined {
    return segments.find((s) => s.key === segmentKey)?.members.find((m) => m.node === node)?.lab[family];
}

function planTunnels(lab: LabConfig, segments: SegmentDraft[]): TunnelPlan[] {
    return Object.entries(lab.tunnels)
        .sort(byKey)
        .map(([tunnelName, t]) => {
            const family = familyOf(t.ipVersion);
            const end = (site: string) => {
                const gw = gatewayName(site, lab.sites[site]);
                const address = labAddressOf(segments, ispSegment(site), gw, family)!;
                const lan = lab.sites[site].lan[family];
                return {
                    site,
                    gateway: gw,
                    address,
                    trafficSelectors: [t.type === "host-to-host" ? hostPrefix(family, address) : Subnet.parse(family, lan!).toString()],
                };
            };
            return {
                name: tunnelName,
                type: t.type,
                ipVersion: t.ipVersion,
                auth: t.auth,
                ike: t.ike,
                esp: t.esp,
                startAction: t.startAction,
                dpdAction: t.dpdAction,
                mode: t.mode,
                ends: [end(t.between[0]), end(t.between[1])] as const,
            };
        });
}

function planServices(lab: LabConfig, segments: SegmentDraft[], tunnels: TunnelPlan[]) {
    const services: ServicePlan[] = [];
    const instances = new Map<string, ServiceInstance[]>();
    const dnat = new Map<string, DnatRule[]>();
    const addDnat = (gw: string, rule: DnatRule) => dnat.set(gw, [...(dnat.get(gw) ?? []), rule]);

    for (const [serviceName, service] of Object.entries(lab.services).sort(byKey)) {
        const serverSite = Object.entries(lab.sites).find(([, s]) => service.server in s.hosts)![0];
        const serverInstances = new Map<number, ServiceInstance>();
        const consumers = service.sites.map((site, index) => {
            const tunnel = tunnels.find((t) => t.ends.some((e) => e.site === site) && t.ends.some((e) => e.site === serverSite))!;
            const family = familyOf(tunnel.ipVersion);
            const near = tunnel.ends.find((e) => e.site === site)!;
            const far = tunnel.ends.find((e) => e.site === serverSite)!;
            const serverAddress = labAddressOf(segments, lanSegment(serverSite), service.server, family)!;
            const serviceAddress = segments.find((s) => s.key === lanSegment(site))!.members.find((m) => m.node === near.gateway)!.extra[family]!;
            // Overlapping LANs reach the server from the same addresses, so each
            // host-to-host site gets an instance of its own, told apart by source.
            const perSite = tunnel.type === "host-to-host";
            const port = perSite ? service.instancePortBase + index : service.port;
            const label = perSite ? `${serviceName}@${site}` : serviceName;
            serverInstances.set(port, { service: serviceName, port, label });
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
        instances.set(service.server, [...(instances.get(service.server) ?? []), ...[...serverInstances.values()].sort((a, b) => a.port - b.port)]);
        services.push({ name: serviceName, server: service.server, consumers });
    }
    return { services, instances, dnat };
}

function planGateway(
    lab: LabConfig, siteName: string, site: SiteConfig, lan: InterfacePlan, wan: InterfacePlan,
    tunnels: TunnelPlan[], dnat: DnatRule[],
): GatewayPlan {
    const mine = tunnels
        .map((t) => ({ t, near: t.ends.find((e) => e.site === siteName), far: t.ends.find((e) => e.site !== siteName)! }))
        .filter((x) => x.near !== undefined);
    const snat: SnatRule[] = [];
    for (const { t, near, far } of mine) {
        const family = familyOf(t.ipVersion);
        const lanSubnet = lab.sites[siteName].lan[family];
        if (t.type === "host-to-host" && lanSubnet) {
            snat.push({
                family, source: lanSubnet, destination: hostPrefix(family, far.address), toSource: near!.address,
                why: `host-to-host tunnel ${t.name} protects only the gateways' own addresses`,
            });
        }
    }
    const masquerade: MasqueradeRule[] = site.gateway.masquerade
        ? FAMILIES.filter((f) => lan.addresses[f] && wan.addresses[f]).map((family) => ({
            family,
            source: site.lan[family]!,
            outInterface: wan.name,
            except: mine
                .filter((x) => familyOf(x.t.ipVersion) === family)
                .flatMap((x) => x.far.trafficSelectors),
        }))
        : [];
    return {
        lan: lan.name,
        wan: wan.name,
        firewall: site.gateway.firewall,
        peers: mine.map(({ t, far }) => ({ family: familyOf(t.ipVersion), address: far.address })),
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
