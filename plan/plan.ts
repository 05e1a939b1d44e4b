// From a validated lab config to a LabPlan: addresses allocated, Docker's
// view decided, who talks to whom spelled out. Pure and deterministic: the
// same config always gives the same plan (allocation follows sorted names,
// never object or set order).
import type { LabConfig } from "../model/schema";
import { LabConfigError } from "../model/errors";
import { containerName, gatewayName, hasRouter, labName, lanSegment, wanSegment } from "../model/names";
import { FAMILIES, Family, canonical, familyOf } from "./ip";
import { reachableAt } from "./tunnel";
import type {
    CertificatePlan, CheckPlan, PkiPlan, InterfaceAddress, InterfacePlan, LabPlan, NodePlan, PerFamily, RoutePlan, SegmentPlan, TunnelPlan,
} from "./types";
import { byKey, draftSegments, dockerSubnets, hosts, sortedSites } from "./segments";
import { planGateway, planServices, planTunnels } from "./traffic";
import { dockerMac, placeLab, segmentHosts } from "./hosts";

export function planLab(lab: LabConfig, stack: string): LabPlan {
    const name = labName(lab, stack);
    const segments = draftSegments(lab);
    const placement = placeLab(lab);
    const spans = new Map(segments.map((s) => [s.key, placement ? segmentHosts(lab, placement, s.key, s.members.map((m) => m.node)) : []]));
    const overlays = new Set([...spans].filter(([, hosts]) => hosts.length > 1).map(([key]) => key));
    const docker = dockerSubnets(lab, segments, overlays, placement?.hosts.length ?? 0);
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
        const neighbors = overlays.has(segment)
            ? draft.members.filter((other) => other.node !== node).flatMap((other) => {
                const mac = dockerMac(docker.addresses.get(`${segment}/${other.node}`)!.ipv4);
                return [...FAMILIES.map((f) => other.lab[f]), ...FAMILIES.map((f) => other.extra[f])]
                    .filter((a): a is string => a !== undefined)
                    .map((address) => ({ address, mac }));
            })
            : undefined;
        return {
            name: m.interfaceName,
            segment,
            docker: docker.addresses.get(`${segment}/${node}`)!,
            addresses,
            extraAddresses,
            ...(neighbors ? { neighbors } : {}),
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
                outside: outside.name,
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

    const manager = placement?.hosts.find((h) => h.manager)?.name;
    const segmentPlans: SegmentPlan[] = segments.map((s) => ({
        key: s.key,
        kind: s.kind,
        ...(s.site !== undefined ? { site: s.site } : {}),
        networkName: `${name}-${s.key}`,
        driver: overlays.has(s.key) ? "overlay" : lab.network.driver,
        ...(placement ? { host: overlays.has(s.key) ? manager! : spans.get(s.key)![0] } : {}),
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
        ...(placement ? { hosts: placement.hosts } : {}),
        segments: segmentPlans,
        nodes: placement ? nodes.map((n) => ({ ...n, host: placement.hostOf.get(n.name)! })) : nodes,
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

/**
 * When the lab's certificates become valid. A constant, not the clock: the
 * PKI is a pure function of the seed and the plan, and a date read at run
 * time would re-issue every certificate, and so change every gateway, on each
 * `pulumi preview`. Certificates run validityDays from here.
 */
export const PKI_NOT_BEFORE = "2026-01-01T00:00:00Z";

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
        notBefore: PKI_NOT_BEFORE,
        validityHours: lab.pki.validityDays * 24,
        rootCommonName: `${name} Root CA`,
        intermediateCommonName: `${name} Intermediate CA`,
        certificates,
    };
}
