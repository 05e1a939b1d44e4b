// The checks a network engineer would do by hand, derived from the plan
// alone: no extra config. Pure data; ./run.ts carries them out.
import { FAMILIES, Family, Subnet } from "../plan/ip";
import type { LabPlan, NodePlan, TunnelPlan } from "../plan/types";
import { familyOfPrefix, reachableAt, tunnelFamilies } from "../plan/tunnel";

export type CheckSpec =
    | {
        readonly kind: "service"; readonly id: string; readonly from: string; readonly address: string; readonly family: Family; readonly port: number; readonly instance: string;
        /** The tunnel the request travels through and the server that must answer it. */
        readonly tunnel: string; readonly target: string;
        /** A road warrior's request: the server must see it come from the virtual IP it got out of this pool. */
        readonly virtualIpPool?: string;
    }
    | {
        /** The initiator sits behind a NAT router: the responder must meet it at the router's address and a port of the router's choosing. */
        readonly kind: "nat"; readonly id: string; readonly tunnel: string; readonly from: string; readonly responder: string;
        readonly router: string; readonly natAddress: string;
    }
    | {
        readonly kind: "sa"; readonly id: string; readonly tunnel: string; readonly gateway: string;
        /**
         * A trap tunnel is brought up by one packet that its selectors match,
         * sent before the SAs are read; whatever else the lab declares. A tunnel
         * that starts at boot, or a road warrior's, must be up without help: none.
         */
        readonly bringUp?: BringUp;
    }
    | {
        readonly kind: "wire"; readonly id: string; readonly tunnel: string; readonly from: string; readonly address: string; readonly family: Family; readonly port: number;
        readonly between: readonly [string, string];
        /** Where the wire is watched: the router between the gateways, or the responder's own outside on a shared segment. */
        readonly capture: { readonly node: string; readonly interface: string };
    }
    | {
        readonly kind: "probe"; readonly id: string; readonly from: string; readonly address: string; readonly family: Family;
        readonly protocol: "tcp" | "udp" | "icmp"; readonly port?: number; readonly expect: "reach" | "blocked"; readonly why: string;
        /** The lab node the probe aims at, when it aims at one. */
        readonly target?: string;
    };

/** A packet from one end of a tunnel, between addresses its selectors cover: the trap policy's first customer. */
export interface BringUp {
    readonly from: string;
    readonly source: string;
    readonly address: string;
    readonly family: Family;
}

/** A port nothing in the lab listens on: reachable means "refused", blocked means silence. */
export const CLOSED_PORT = 179;

const firstAddress = (node: NodePlan, interfaceName: string, family: Family) =>
    node.interfaces.find((i) => i.name === interfaceName)?.addresses[family]?.address;

export function deriveChecks(plan: LabPlan): CheckSpec[] {
    const checks: CheckSpec[] = [];
    // A site without a LAN is one host, its gateway, which is its own client.
    const clientsOf = (site: string) => plan.nodes.filter((n) => n.site === site && (n.role === "client" || (n.role === "gateway" && n.gateway?.lan === undefined)));

    // A road warrior is its own client.
    const clientsOfConsumer = (c: LabPlan["services"][number]["consumers"][number]) =>
        c.roadWarrior !== undefined ? plan.nodes.filter((n) => n.name === c.roadWarrior) : clientsOf(c.site!);

    for (const service of plan.services) {
        for (const consumer of service.consumers) {
            const tunnel = plan.tunnels.find((t) => t.name === consumer.tunnel)!;
            const pool = tunnel.ends[0].virtualIp ? tunnel.ends[0].trafficSelectors.find((ts) => familyOfPrefix(ts) === consumer.family) : undefined;
            for (const client of clientsOfConsumer(consumer)) {
                checks.push({
                    kind: "service", id: `service ${service.name}: ${client.name} -> ${consumer.address}:${consumer.port}`,
                    from: client.name, address: consumer.address, family: consumer.family, port: consumer.port, instance: consumer.instance,
                    tunnel: consumer.tunnel, target: service.server, ...(pool !== undefined ? { virtualIpPool: pool } : {}),
                });
            }
        }
    }
    for (const tunnel of plan.tunnels) {
        const bringUp = tunnel.startAction === "trap" && tunnel.type !== "road-warrior" ? bringUpOf(plan, tunnel) : undefined;
        for (const end of tunnel.ends) {
            checks.push({
                kind: "sa", id: `tunnel ${tunnel.name}: SAs on ${end.gateway}`, tunnel: tunnel.name, gateway: end.gateway,
                ...(bringUp ? { bringUp } : {}),
            });
        }
        const [initiator, responder] = tunnel.ends;
        if (initiator.nat) {
            checks.push({
                kind: "nat", id: `tunnel ${tunnel.name}: crosses NAT router ${initiator.nat.router}`, tunnel: tunnel.name,
                from: initiator.gateway, responder: responder.gateway, router: initiator.nat.router, natAddress: initiator.nat.address,
            });
        }
        const capture = wireCapture(plan, tunnel);
        // One request per family the tunnel carries, each proving its own packets travel as ESP.
        for (const family of tunnelFamilies(tunnel)) {
            const consumer = plan.services.flatMap((s) => s.consumers).find((c) => c.tunnel === tunnel.name && c.family === family);
            const client = consumer && clientsOfConsumer(consumer)[0];
            if (!consumer || !client || !capture) continue;
            checks.push({
                kind: "wire",
                id: `tunnel ${tunnel.name}: only ESP on the wire${tunnel.inner !== undefined ? ` (IPv${family === "ipv4" ? 4 : 6} inside)` : ""}`,
                tunnel: tunnel.name, from: client.name,
                address: consumer.address, family: consumer.family, port: consumer.port,
                between: [reachableAt(tunnel.ends[0]), reachableAt(tunnel.ends[1])], capture,
            });
        }
    }
    checks.push(...isolationChecks(plan, clientsOf));
    for (const [i, c] of plan.checks.entries()) {
        checks.push({
            kind: "probe", id: `check ${i}: ${c.from} -> ${c.to} ${c.protocol}${c.port ? `/${c.port}` : ""}`,
            from: c.from, address: c.address, family: c.family, protocol: c.protocol,
            ...(c.port !== undefined ? { port: c.port } : {}), expect: c.expect, why: "from the stack config",
            ...(plan.nodes.some((n) => n.name === c.to) ? { target: c.to } : {}),
        });
    }
    return checks;
}

/**
 * From the initiator (whose policy always traps), an address of its own that
 * its selectors cover, to one of the responder's that the far selectors
 * cover: on a site-to-site tunnel the gateways' LAN addresses, on a
 * host-to-host tunnel their ISP addresses.
 */
function bringUpOf(plan: LabPlan, tunnel: TunnelPlan): BringUp | undefined {
    const [near, far] = tunnel.ends;
    const covered = (end: TunnelPlan["ends"][number], family: Family) => {
        const node = plan.nodes.find((n) => n.name === end.gateway)!;
        const subnets = end.trafficSelectors.filter((ts) => familyOfPrefix(ts) === family).map((ts) => Subnet.parse(family, ts));
        return node.interfaces.map((i) => i.addresses[family]?.address).find((a) => a !== undefined && subnets.some((s) => s.contains(a)));
    };
    for (const family of FAMILIES) {
        const source = covered(near, family);
        const address = covered(far, family);
        if (source !== undefined && address !== undefined) return { from: near.gateway, source, address, family };
    }
    return undefined;
}

const wanOf = (gateway: NodePlan) => gateway.interfaces.find((i) => i.name === gateway.gateway?.wan);

/**
 * Gateways on one shared segment talk on the link itself, so the responder's
 * outside sees every packet between them; otherwise the router carries them all.
 */
function wireCapture(plan: LabPlan, tunnel: TunnelPlan): { node: string; interface: string } | undefined {
    const [a, b] = tunnel.ends.map((e) => plan.nodes.find((n) => n.name === e.gateway)!);
    // Behind a NAT router, the end meets the world on the router's outside.
    const outside = (node: NodePlan, end: TunnelPlan["ends"][number]) => {
        if (!end.nat) return wanOf(node)?.segment;
        const router = plan.nodes.find((n) => n.name === end.nat!.router)!;
        return router.interfaces.find((i) => i.name === router.natRouter!.outside)!.segment;
    };
    const wanB = wanOf(b);
    const [segmentA, segmentB] = [outside(a, tunnel.ends[0]), outside(b, tunnel.ends[1])];
    if (wanB && segmentA !== undefined && segmentA === segmentB) return { node: b.name, interface: wanB.name };
    const router = plan.nodes.find((n) => n.role === "router");
    return router ? { node: router.name, interface: "any" } : undefined;
}

function isolationChecks(plan: LabPlan, clientsOf: (site: string) => NodePlan[]): CheckSpec[] {
    const checks: CheckSpec[] = [];
    const router = plan.nodes.find((n) => n.role === "router");
    const gateways = plan.nodes.filter((n) => n.role === "gateway");
    const tunnelsOf = (site: string): TunnelPlan[] => plan.tunnels.filter((t) => t.ends.some((e) => e.site === site));

    for (const gw of gateways.filter((g) => g.gateway?.firewall === "strict")) {
        const client = clientsOf(gw.site!)[0];
        for (const family of ["ipv4", "ipv6"] as const) {
            const wanSegment = wanOf(gw)?.segment;
            const routerAddress = router?.interfaces.find((i) => i.segment === wanSegment)?.addresses[family]?.address;
            if (router && client && routerAddress && client.interfaces[0].addresses[family]) {
                for (const protocol of ["icmp", "tcp"] as const) {
                    checks.push({
                        kind: "probe", id: `isolation: ${client.name} -> router ${routerAddress} ${protocol}`,
                        from: client.name, address: routerAddress, family, protocol, target: router.name,
                        ...(protocol === "tcp" ? { port: CLOSED_PORT } : {}), expect: "blocked",
                        why: "the gateway lets LAN traffic out only through a tunnel",
                    });
                }
            }
            // Another site's public address is off limits unless a tunnel covers it (host-to-host does).
            const covered = new Set(tunnelsOf(gw.site!).flatMap((t) => t.ends.filter((e) => e.site !== gw.site).flatMap((e) => e.trafficSelectors)));
            for (const other of gateways.filter((g) => g !== gw)) {
                const address = firstAddress(other, "isp", family);
                if (!client || !address || !client.interfaces[0].addresses[family]) continue;
                if ([...covered].some((ts) => ts.startsWith(`${address}/`))) continue;
                checks.push({
                    kind: "probe", id: `isolation: ${client.name} -> ${other.name} ${address} tcp`,
                    from: client.name, address, family, protocol: "tcp", port: CLOSED_PORT, expect: "blocked", target: other.name,
                    why: "sites meet only through tunnels",
                });
            }
            const ispAddress = firstAddress(gw, "isp", family);
            // Without a router on its segment, nothing but the gateway's peers stands on its outside.
            if (!ispAddress || !router || !routerAddress) continue;
            for (const protocol of ["icmp", "tcp"] as const) {
                checks.push({
                    kind: "probe", id: `firewall: router -> ${gw.name} ${ispAddress} ${protocol}`,
                    from: router.name, address: ispAddress, family, protocol, target: gw.name,
                    ...(protocol === "tcp" ? { port: CLOSED_PORT } : {}), expect: "blocked",
                    why: "a gateway's ISP side answers only IKE/ESP from its peers",
                });
            }
        }
    }
    return checks;
}
