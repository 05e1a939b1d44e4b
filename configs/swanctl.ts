// swanctl.conf and the secrets file of a gateway: one IKE connection per
// tunnel the gateway ends, named after the tunnel.
import type { LabPlan, NodePlan, TunnelEnd, TunnelPlan } from "../plan/types";
import { Setting, fileText, strongswanSettings } from "./text";
import type { Family } from "../plan/ip";
import { reachableAt, tunnelFamilies } from "../plan/tunnel";
import { CREDENTIAL_NAMES } from "./paths";

/** Seconds between dead peer detection probes when a tunnel is idle. */
export const DPD_DELAY_SECONDS = 10;

export interface GatewayTunnel {
    readonly tunnel: TunnelPlan;
    readonly local: TunnelEnd;
    readonly remote: TunnelEnd;
    /** ends[0] initiates; the other end responds. */
    readonly initiator: boolean;
}

/** The tunnels a gateway is an end of, in plan order. */
export function gatewayTunnels(node: NodePlan, lab: LabPlan): GatewayTunnel[] {
    return lab.tunnels.flatMap((tunnel) => {
        const index = tunnel.ends.findIndex((e) => e.gateway === node.name);
        if (index < 0) return [];
        return [{ tunnel, local: tunnel.ends[index], remote: tunnel.ends[1 - index], initiator: index === 0 }];
    });
}

/**
 * What charon does with the CHILD SA once loaded. An initiator traps, so that
 * traffic brings the tunnel up (again); a tunnel that starts at boot is
 * dialled by the start program (see dials), not by charon's start_action:
 * a peer that has not loaded its config yet answers NO_PROPOSAL_CHOSEN, which
 * charon does not retry, and one whose charon does not listen yet drops the
 * request, which charon retransmits only after 4 s, while the first packets
 * wait on that half-open SA. The responder never starts, but traps when the
 * tunnel traps, so traffic from its side also brings the tunnel up; unless
 * the initiator is behind a NAT router, which lets nobody call in.
 */
export function startAction(t: GatewayTunnel): "trap" | "none" {
    // A road warrior has no address to trap from before it has its virtual IP,
    // and the gateway waits to be called.
    if (t.tunnel.type === "road-warrior") return "none";
    if (t.initiator) return "trap";
    return t.tunnel.startAction === "trap" && t.remote.nat === undefined ? "trap" : "none";
}

/**
 * What an end does when its peer goes away: DPD found it dead (dpd_action),
 * or it deleted the tunnel, as a peer's charon does when its container stops
 * (close_action). The initiator brings the tunnel back as the tunnel's
 * dpdAction says: restart dials at once and, with keyingtries 0, goes on
 * dialling until the peer answers again; trap waits for the next packet. A
 * responder traps where the tunnel traps, and otherwise waits to be called:
 * it cannot call a road warrior, whose address and virtual IP it only learns
 * from the call.
 */
function recovery(t: GatewayTunnel): { readonly keyingtries?: number; readonly dpd: string; readonly close: string } {
    const action = t.initiator ? t.tunnel.dpdAction : startAction(t) === "trap" ? "trap" : "clear";
    if (action === "restart") return { keyingtries: 0, dpd: "restart", close: "start" };
    return { dpd: action, close: action === "trap" ? "trap" : "none" };
}

/** The tunnels a node's start program brings up before the node is ready: a road warrior's, and those started at boot. */
export function dials(t: GatewayTunnel): boolean {
    return t.local.virtualIp === true || (t.initiator && t.tunnel.startAction === "start");
}

/** Swanctl's pool name for a family's virtual IPs on a gateway. */
export const poolName = (family: Family) => `vip-${family}`;

function connection(t: GatewayTunnel): Setting {
    const { tunnel, local, remote } = t;
    const recover = recovery(t);
    // A road warrior asks for an address of each family; its gateway hands them out of its pools.
    const virtualIps: Setting[] = local.virtualIp
        ? [["vips", tunnelFamilies(tunnel).map((f) => (f === "ipv4" ? "0.0.0.0" : "::")).join(",")]]
        : remote.virtualIp
            ? [["pools", tunnelFamilies(tunnel).map(poolName).join(",")]]
            : [];
    return [tunnel.name, [
        ["version", 2],
        ["local_addrs", local.address],
        // Behind a NAT router the peer is met at the router's outside address.
        ["remote_addrs", reachableAt(remote)],
        ...virtualIps,
        ["proposals", tunnel.ike],
        // No node of a lab roams. Without MOBIKE a responder follows a NAT
        // router's new mapping (a restarted router maps the initiator to a
        // new port) as soon as an authenticated request comes from it, as
        // RFC 7296 2.23 says; with MOBIKE it would wait for the initiator to
        // announce the change, which charon's initiator does not do here.
        ["mobike", "no"],
        ["dpd_delay", `${DPD_DELAY_SECONDS}s`],
        ...(recover.keyingtries !== undefined ? [["keyingtries", recover.keyingtries] as Setting] : []),
        // encap stays "no": the kernel dataplane sends plain ESP; kernel-libipsec
        // tells charon it needs UDP encapsulation and charon then forces it.
        ...authentication(t),
        ["children", [
            [tunnel.name, [
                // Transport only where validation allows it: host-to-host, the kernel's dataplane.
                ["mode", tunnel.mode],
                // A virtual IP's selector is "dynamic" (the default): the address charon hands out or gets.
                ...(local.virtualIp ? [] : [["local_ts", local.trafficSelectors.join(",")] as Setting]),
                ...(remote.virtualIp ? [] : [["remote_ts", remote.trafficSelectors.join(",")] as Setting]),
                ["esp_proposals", tunnel.esp],
                ["start_action", startAction(t)],
                ["dpd_action", recover.dpd],
                ["close_action", recover.close],
            ]],
        ]],
    ]];
}

/**
 * Both ends prove their identity, the ISP address. With certificates the
 * peer's must chain to the lab's root CA and be covered by a current CRL
 * (strict: no CRL, no tunnel), as the seed's gateways did.
 */
function authentication(t: GatewayTunnel): Setting[] {
    const { tunnel, local, remote } = t;
    if (tunnel.auth === "psk") {
        return [["local", [["auth", "psk"], ["id", local.address]]], ["remote", [["auth", "psk"], ["id", remote.address]]]];
    }
    return [
        ["local", [["auth", "pubkey"], ["certs", CREDENTIAL_NAMES.certificate], ["id", local.address]]],
        ["remote", [["auth", "pubkey"], ["id", remote.address], ["cacerts", CREDENTIAL_NAMES.rootCa], ["revocation", "strict"]]],
    ];
}

function requireGateway(node: NodePlan): void {
    if (!runsIke(node)) throw new Error(`${node.name} is a ${node.role}: only gateways and road warriors run strongSwan`);
}

/** Gateways and road warriors run charon. */
export const runsIke = (node: NodePlan) => node.role === "gateway" || node.role === "roadwarrior";

export function renderSwanctlConf(node: NodePlan, lab: LabPlan): string {
    requireGateway(node);
    const tunnels = gatewayTunnels(node, lab);
    const handedOut = new Set(tunnels.filter((t) => t.remote.virtualIp).flatMap((t) => tunnelFamilies(t.tunnel)));
    const pools: Setting[] = (["ipv4", "ipv6"] as const)
        .filter((f) => handedOut.has(f) && node.gateway?.pools?.[f] !== undefined)
        .map((f) => [poolName(f), [["addrs", node.gateway!.pools![f]!]]]);
    return fileText([
        `# swanctl.conf of ${node.name}, rendered by vnetlab (configs/swanctl.ts) from`,
        `# the plan of lab ${lab.name}. Do not edit. PSKs are in conf.d/secrets.conf,`,
        "# certificates in x509*/ and the private key in ecdsa/.",
        ...tunnels.map((t) => `# ${t.tunnel.name}: ${t.tunnel.type} ${t.local.site ?? t.local.gateway} <-> ${t.remote.site ?? t.remote.gateway}, ${t.initiator ? "initiator" : "responder"}`),
        ...strongswanSettings([
            ["connections", tunnels.map(connection)],
            ...(pools.length > 0 ? [["pools", pools] as Setting] : []),
        ]),
        "include conf.d/*.conf",
    ]);
}

/** A PSK as swanctl reads it: "0s" + base64, so that any character is safe. */
export function swanctlSecret(psk: string): string {
    return `0s${Buffer.from(psk, "utf8").toString("base64")}`;
}

export function renderSecretsConf(node: NodePlan, lab: LabPlan, psks: Readonly<Record<string, string>>): string {
    requireGateway(node);
    const tunnels = gatewayTunnels(node, lab).filter((t) => t.tunnel.auth === "psk");
    const entries: Setting[] = tunnels.map(({ tunnel, local, remote }) => {
        const psk = psks[tunnel.name];
        if (psk === undefined || psk.length === 0) throw new Error(`no PSK for tunnel ${tunnel.name} of ${node.name}`);
        return [`ike-${tunnel.name}`, [["id-1", local.address], ["id-2", remote.address], ["secret", swanctlSecret(psk)]]];
    });
    return fileText([
        `# PSKs of ${node.name}, rendered by vnetlab (configs/swanctl.ts). Secret: mode 0600.`,
        ...strongswanSettings([["secrets", entries]]),
    ]);
}
