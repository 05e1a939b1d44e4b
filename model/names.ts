// Names derived from the config. They live beside the schema because
// validation must reason about the same names the planner will use.
import type { Addresses, LabConfig, SiteConfig, TunnelConfig } from "./schema";
import type { ConfigPath } from "./errors";

export function labName(lab: Pick<LabConfig, "name">, stack: string): string {
    return lab.name ?? `vnetlab-${stack}`;
}

export function gatewayName(siteName: string, site: SiteConfig): string {
    return site.gateway.name ?? `gateway-${siteName}`;
}

export function containerName(lab: string, node: string): string {
    return `${lab}-${node}`;
}

export function lanSegment(siteName: string): string {
    return `lan-${siteName}`;
}

export function ispSegment(siteName: string): string {
    return `isp-${siteName}`;
}

/** The segment of a gateway's outside: its private ISP link or the shared segment it names. */
export function wanSegment(siteName: string, site: SiteConfig): string {
    return site.gateway.isp.segment ?? ispSegment(siteName);
}

/** Every network segment of the lab, in a fixed order: each site's LAN and private link, then the shared ones. */
export function segmentKeys(lab: Pick<LabConfig, "sites" | "segments">): string[] {
    const own = Object.keys(lab.sites)
        .sort()
        .flatMap((site) => [
            ...(lab.sites[site].lan ? [lanSegment(site)] : []),
            ...(lab.sites[site].gateway.isp.segment ? [] : [ispSegment(site)]),
        ]);
    return [...own, ...Object.keys(lab.segments).sort()];
}

/** The router exists when some gateway has a private link to it or a shared segment has a router address. */
export function hasRouter(lab: Pick<LabConfig, "sites" | "segments">): boolean {
    return Object.values(lab.sites).some((s) => s.gateway.isp.segment === undefined) ||
        Object.values(lab.segments).some((s) => s.router !== undefined);
}

/** The families a tunnel's traffic selectors carry, in 4, 6 order. */
export function innerVersions(tunnel: Pick<TunnelConfig, "ipVersion" | "inner">): (4 | 6)[] {
    const inner = tunnel.inner ?? [tunnel.ipVersion];
    return ([4, 6] as const).filter((v) => inner.includes(v));
}

/**
 * The NAT routers between a node on `segment` and the rest of the lab, nearest
 * first, each with the segment it masquerades to. Stops at a loop, which
 * validation reports.
 */
export function natPath(lab: Pick<LabConfig, "segments">, segment: string): { router: string; inside: string; outside: string }[] {
    const path: { router: string; inside: string; outside: string }[] = [];
    const seen = new Set<string>();
    let current = segment;
    while (!seen.has(current)) {
        seen.add(current);
        const nat = lab.segments[current]?.nat;
        if (!nat) break;
        path.push({ router: nat.name, inside: current, outside: nat.outside.segment });
        current = nat.outside.segment;
    }
    return path;
}

/** One node's place on a shared segment: its interface there and the address the config asks for (at `path`). */
export interface SegmentPlace {
    readonly node: string;
    readonly interfaceName: string;
    readonly path: ConfigPath;
    readonly address?: Addresses;
}

/**
 * Who stands on a shared segment, in the order addresses are handed out and
 * duplicates blamed on the later one: the lab router, the NAT router's inside,
 * NAT routers' outsides by segment, road warriors by name, gateways by site.
 */
export function placesOn(lab: Pick<LabConfig, "router" | "sites" | "segments" | "roadWarriors">, segmentName: string): SegmentPlace[] {
    const segment = lab.segments[segmentName];
    const byName = <T>(record: Record<string, T>) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const place = (node: string, interfaceName: string, path: ConfigPath, address: Addresses | undefined): SegmentPlace =>
        ({ node, interfaceName, path, ...(address !== undefined ? { address } : {}) });
    return [
        // The router's interface on a shared segment takes the segment's name.
        ...(segment.router !== undefined ? [place(lab.router.name, segmentName, ["segments", segmentName, "router"], segment.router)] : []),
        ...(segment.nat !== undefined ? [place(segment.nat.name, "inside", ["segments", segmentName, "nat", "address"], segment.nat.address)] : []),
        ...byName(lab.segments)
            .filter(([, other]) => other.nat?.outside.segment === segmentName)
            .map(([other, o]) => place(o.nat!.name, "outside", ["segments", other, "nat", "outside", "address"], o.nat!.outside.address)),
        ...byName(lab.roadWarriors)
            .filter(([, rw]) => rw.isp.segment === segmentName)
            .map(([rwName, rw]) => place(rwName, "isp", ["roadWarriors", rwName, "isp", "address"], rw.isp.address)),
        ...byName(lab.sites)
            .filter(([, site]) => site.gateway.isp.segment === segmentName && site.gateway.isp.subnet === undefined)
            .map(([siteName, site]) => place(gatewayName(siteName, site), "isp", ["sites", siteName, "gateway", "isp", "address"], site.gateway.isp.address)),
    ];
}
