// Names derived from the config. They live beside the schema because
// validation must reason about the same names the planner will use.
import type { LabConfig, SiteConfig } from "./schema";

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

/** Every network segment of the lab, in a fixed order. */
export function segmentKeys(lab: Pick<LabConfig, "sites">): string[] {
    return Object.keys(lab.sites)
        .sort()
        .flatMap((site) => [lanSegment(site), ispSegment(site)]);
}
