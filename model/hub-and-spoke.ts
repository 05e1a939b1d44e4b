// A generated lab of any size, for the bench and the scale tests: N branch
// sites, each with one client, and a hub with one server; one site-to-site
// tunnel per branch; the hub's web service used by every branch. It is an
// ordinary `vnetlab:lab` config: validated and planned like a stack file.

/**
 * Branch sites take 10.201.<i>.0/24 and 172.20.<i>.0/29 (the hub 10.200.0.0/24
 * and 172.20.0.0/29): room for this many, and clear of the shipped stacks'
 * subnets, so a generated lab runs beside any of them.
 */
export const MAX_BRANCHES = 250;

export const hubAndSpokeStack = (branches: number) => `hub-and-spoke-${branches}`;

/** Spread over several Docker hosts: `hosts` as `vnetlab:lab.hosts`, the rest of the lab placed evenly. */
export interface HubAndSpokeHosts {
    readonly hosts: Readonly<Record<string, unknown>>;
    /** The segments' driver on every host (bridge where a host has no dummy links for macvlan). */
    readonly driver?: "macvlan" | "bridge";
    /** The name the lab takes, so that the same lab on other hosts keeps apart from it. */
    readonly name: string;
}

/**
 * The `vnetlab:lab` config of a hub-and-spoke lab with `branches` branch
 * sites (1 … MAX_BRANCHES). Spread over hosts, each ISP link is a /28 (its
 * own 172.20.<i>.0/24 still): an overlay keeps 8 addresses for the swarm.
 */
export function hubAndSpokeLab(branches: number, spread?: HubAndSpokeHosts): Record<string, unknown> {
    if (!Number.isInteger(branches) || branches < 1 || branches > MAX_BRANCHES) {
        throw new RangeError(`a hub-and-spoke lab has 1 to ${MAX_BRANCHES} branches, not ${branches}`);
    }
    const names = Array.from({ length: branches }, (_, k) => `b${k + 1}`);
    const ispPrefix = spread ? 28 : 29;
    const sites: Record<string, unknown> = {
        hub: {
            lan: { ipv4: "10.200.0.0/24" },
            gateway: { isp: { subnet: { ipv4: `172.20.0.0/${ispPrefix}` } } },
            hosts: { "server-hub": { role: "server" } },
        },
    };
    names.forEach((site, k) => {
        sites[site] = {
            lan: { ipv4: `10.201.${k + 1}.0/24` },
            gateway: { isp: { subnet: { ipv4: `172.20.${k + 1}.0/${ispPrefix}` } } },
            hosts: { [`client-${site}`]: { role: "client" } },
        };
    });
    return {
        name: spread?.name ?? `vnetlab-${hubAndSpokeStack(branches)}`,
        ...(spread ? { hosts: spread.hosts, ...(spread.driver ? { network: { driver: spread.driver } } : {}) } : {}),
        sites,
        tunnels: Object.fromEntries(names.map((site) => [`${site}-hub`, { type: "site-to-site", between: [site, "hub"] }])),
        services: { web: { server: "server-hub", sites: names } },
    };
}

/** The name of a generated lab, as the commands take it; N as hubAndSpokeBranches reads it. */
export const HUB_AND_SPOKE_NAME = /^hub-and-spoke-(\d+)$/;

/**
 * N of `hub-and-spoke-<N>`, if the name is that of a generated lab: 1 to
 * MAX_BRANCHES, without leading zeros (hub-and-spoke-010 would be another
 * stack of the same lab, with the same container names).
 */
export function hubAndSpokeBranches(stack: string): number | undefined {
    const digits = HUB_AND_SPOKE_NAME.exec(stack)?.[1];
    if (digits === undefined) return undefined;
    const n = Number(digits);
    return n >= 1 && n <= MAX_BRANCHES && hubAndSpokeStack(n) === stack ? n : undefined;
}
