// Which Docker host runs which node, when a lab names several (`hosts`), and
// what a segment across hosts needs. Pure: the same config places the same.
import type { LabConfig } from "../model/schema";
import { LabConfigError } from "../model/errors";
import { gatewayName, hasRouter } from "../model/names";
import type { DockerHostPlan, LabPlan, SegmentPlan } from "./types";
import { byKey, hosts as siteHosts, sortedSites } from "./segments";

/** What moves as one: the router, a site (its gateway and hosts), a NAT router, a road warrior. */
interface Unit {
    readonly nodes: readonly string[];
    readonly host?: string;
}

function units(lab: LabConfig): Unit[] {
    const at = (host: string | undefined) => (host !== undefined ? { host } : {});
    return [
        ...(hasRouter(lab) ? [{ nodes: [lab.router.name], ...at(lab.router.host) }] : []),
        ...sortedSites(lab).map(([siteName, site]) => ({
            nodes: [gatewayName(siteName, site), ...siteHosts(site).map(([host]) => host)], ...at(site.host),
        })),
        ...Object.entries(lab.segments).sort(byKey).flatMap(([, s]) => (s.nat ? [{ nodes: [s.nat.name], ...at(s.nat.host) }] : [])),
        ...Object.entries(lab.roadWarriors).sort(byKey).map(([rw, r]) => ({ nodes: [rw], ...at(r.host) })),
    ];
}

export interface Placement {
    readonly hosts: readonly DockerHostPlan[];
    /** Node name → host name, for every node. */
    readonly hostOf: ReadonlyMap<string, string>;
}

/**
 * Every node on a host: where the config says, else spread evenly (each unit
 * to the host with the fewest so far, ties to the first by name, units in
 * the order router, sites, NAT routers, road warriors). Undefined for a lab
 * that names no hosts: it all runs on the local engine, as always.
 */
export function placeLab(lab: LabConfig): Placement | undefined {
    const names = Object.keys(lab.hosts).sort();
    if (names.length === 0) return undefined;
    const load = new Map(names.map((n) => [n, 0]));
    const all = units(lab);
    for (const u of all) if (u.host !== undefined) load.set(u.host, load.get(u.host)! + 1);
    const hostOf = new Map<string, string>();
    for (const u of all) {
        let host = u.host;
        if (host === undefined) {
            host = names.reduce((best, n) => (load.get(n)! < load.get(best)! ? n : best));
            load.set(host, load.get(host)! + 1);
        }
        for (const node of u.nodes) hostOf.set(node, host);
    }
    const hosts = names.map((name) => {
        const h = lab.hosts[name];
        return { name, ...(h.address !== undefined ? { address: h.address } : {}), tls: h.tls, manager: h.manager };
    });
    return { hosts, hostOf };
}

/**
 * The hosts a segment's members run on, sorted. More than one: the segment
 * becomes an attachable overlay network of the swarm, made on its manager;
 * an error (with the config path to fix) where that cannot be.
 */
export function segmentHosts(lab: LabConfig, placement: Placement, key: string, members: readonly string[]): string[] {
    const spans = [...new Set(members.map((m) => placement.hostOf.get(m)!))].sort();
    if (spans.length > 1) {
        const why = `segment ${key} spans hosts ${spans.join(", ")}: it becomes an overlay network of their swarm`;
        if (!placement.hosts.some((h) => h.manager)) {
            throw new LabConfigError([{ path: ["hosts"], message: `${why}, which only a swarm manager makes: mark one host manager: true` }]);
        }
        if (lab.network.parents[key] !== undefined) {
            throw new LabConfigError([{ path: ["network", "parents", key], message: `${why}, which has no parent link: drop the parent or place its members on one host` }]);
        }
    }
    return spans;
}

/**
 * The MAC address Docker 20.10 gives an endpoint: 02:42 and its IPv4
 * address. On an overlay network only the addresses Docker assigned are
 * resolved across hosts; a lab address the node adds itself (every IPv6
 * one there, see dockerSubnets) needs a neighbour entry toward this MAC,
 * which the node checks its own MAC against at start.
 */
export function dockerMac(ipv4: string): string {
    return ["02", "42", ...ipv4.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");
}

/** Whether a segment's network is made by the local engine: a one-host lab's, or one on a host named without an address. */
export function onLocalEngine(lab: Pick<LabPlan, "hosts">, segment: Pick<SegmentPlan, "host">): boolean {
    return lab.hosts?.find((h) => h.name === segment.host)?.address === undefined;
}
