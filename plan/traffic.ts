// Who talks to whom: the tunnels and their ends, the services and who uses
// them, and what each gateway must therefore let through, translate or hand out.
import type { LabConfig, SiteConfig } from "../model/schema";
import { gatewayName, innerVersions, lanSegment, natPath, wanSegment } from "../model/names";
import { FAMILIES, Family, IpVersion, Subnet, familyOf, hostPrefix } from "./ip";
import { familyOfPrefix, reachableAt, tunnelFamilies } from "./tunnel";
import type {
    DnatRule, TunnelEnd, GatewayPlan, InterfacePlan, MasqueradeRule, ServiceInstance, ServicePlan, SnatRule, TunnelPlan,
} from "./types";
import { SegmentDraft, byKey, labAddressOf } from "./segments";

export function planTunnels(lab: LabConfig, segments: SegmentDraft[]): TunnelPlan[] {
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
                dpdAction: t.dpdAction ?? (t.startAction === "start" ? "restart" : "trap"),
                mode: t.mode,
                ends: [end(t.between[0]), end(t.between[1])] as const,
            };
        });
    // A road warrior's tunnel takes its name; it always dials, and dials again when its gateway goes (dpdAction).
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
                dpdAction: rw.dpdAction,
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

export function planServices(lab: LabConfig, segments: SegmentDraft[], tunnels: TunnelPlan[]) {
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

export function planGateway(
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

