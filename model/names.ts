// Names derived from the config. They live beside the schema because
// validation must reason about the same names the planner will use.
import type { LabConfig, SiteConfig, TunnelConfig } from "./schema";

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
