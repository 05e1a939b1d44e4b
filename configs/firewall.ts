// iptables-restore / ip6tables-restore input for gateways and the router.
// One rule set serves both IPsec dataplanes: rules for the one not in use
// never match (there is no ipsec0 with the kernel's dataplane, and no IPsec
// policy on packets with kernel-libipsec). It serves both ESP modes too:
// transport ESP runs between the same peer addresses as tunnel ESP, and what
// the kernel decrypts or encrypts carries the same IPsec policy either way.
import type { Family } from "../plan/ip";
import type { GatewayPlan, NodePlan } from "../plan/types";
import { LIBIPSEC_TUN, UPLINK_INTERFACE } from "./paths";
import { fileText, iptablesString } from "./text";

const IKE_PORTS = "500,4500";
/** Router solicitation/advertisement, neighbour solicitation/advertisement. */
export const NEIGHBOUR_DISCOVERY = [133, 134, 135, 136] as const;

const hostCidr = (family: Family, address: string) => (address.includes("/") ? address : `${address}/${family === "ipv4" ? 32 : 128}`);
const endpoint = (family: Family, address: string, port: number) => (family === "ipv4" ? `${address}:${port}` : `[${address}]:${port}`);

function table(name: string, chains: readonly (readonly [string, "ACCEPT" | "DROP"])[], rules: readonly string[]): string[] {
    return [`*${name}`, ...chains.map(([chain, policy]) => `:${chain} ${policy} [0:0]`), ...rules, "COMMIT"];
}

const NAT_CHAINS = [["PREROUTING", "ACCEPT"], ["INPUT", "ACCEPT"], ["OUTPUT", "ACCEPT"], ["POSTROUTING", "ACCEPT"]] as const;

function wanHasFamily(node: NodePlan, gw: GatewayPlan, family: Family): boolean {
    return node.interfaces.some((i) => i.name === gw.wan && i.addresses[family] !== undefined);
}

function strictFilter(node: NodePlan, gw: GatewayPlan, family: Family): string[] {
    const { lan, wan } = gw;
    const peers = gw.peers.filter((p) => p.family === family).map((p) => hostCidr(family, p.address));
    const rules: string[] = lan !== undefined
        ? [
            "# Loopback and the LAN side are trusted.",
            "-A INPUT -i lo -j ACCEPT",
            "-A OUTPUT -o lo -j ACCEPT",
            `-A INPUT -i ${lan} -j ACCEPT`,
            `-A OUTPUT -o ${lan} -j ACCEPT`,
        ]
        : [
            "# Loopback is trusted. A lone host: no LAN, and nothing to forward.",
            "-A INPUT -i lo -j ACCEPT",
            "-A OUTPUT -o lo -j ACCEPT",
        ];
    rules.push(`# ${wan} (the ISP side): IKE and ESP with the tunnel peers, nothing else.`);
    if (peers.length === 0) rules.push(`# (no tunnel peer speaks ${family === "ipv4" ? "IPv4" : "IPv6"})`);
    for (const peer of peers) {
        rules.push(
            `-A INPUT -i ${wan} -s ${peer} -p udp -m multiport --dports ${IKE_PORTS} -j ACCEPT`,
            `-A OUTPUT -o ${wan} -d ${peer} -p udp -m multiport --sports ${IKE_PORTS} -j ACCEPT`,
            `-A INPUT -i ${wan} -s ${peer} -p esp -j ACCEPT`,
            `-A OUTPUT -o ${wan} -d ${peer} -p esp -j ACCEPT`,
        );
    }
    rules.push(
        "# Traffic the tunnels protect: the kernel's dataplane tags it with its IPsec",
        `# policy; kernel-libipsec hands it over on ${LIBIPSEC_TUN}.`,
        `-A INPUT -i ${wan} -m policy --dir in --pol ipsec -j ACCEPT`,
        `-A OUTPUT -o ${wan} -m policy --dir out --pol ipsec -j ACCEPT`,
        `-A INPUT -i ${LIBIPSEC_TUN} -j ACCEPT`,
        `-A OUTPUT -o ${LIBIPSEC_TUN} -j ACCEPT`,
    );
    if (family === "ipv6" && wanHasFamily(node, gw, "ipv6")) {
        rules.push("# IPv6 neighbour discovery on the ISP side (no echo, no other ICMPv6).");
        for (const type of NEIGHBOUR_DISCOVERY) {
            rules.push(
                `-A INPUT -i ${wan} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ACCEPT`,
                `-A OUTPUT -o ${wan} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ACCEPT`,
            );
        }
    }
    if (lan === undefined) return table("filter", [["INPUT", "DROP"], ["FORWARD", "DROP"], ["OUTPUT", "DROP"]], rules);
    rules.push(
        "# Forwarding: only between the LAN and the tunnels, plus replies.",
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        `-A FORWARD -i ${lan} -o ${wan} -m policy --dir out --pol ipsec -j ACCEPT`,
        `-A FORWARD -i ${wan} -o ${lan} -m policy --dir in --pol ipsec -j ACCEPT`,
        `-A FORWARD -i ${lan} -o ${LIBIPSEC_TUN} -j ACCEPT`,
        `-A FORWARD -i ${LIBIPSEC_TUN} -o ${lan} -j ACCEPT`,
    );
    const snat = gw.snat.filter((r) => r.family === family);
    if (snat.length > 0) {
        rules.push(
            "# Host-to-host tunnels: LAN traffic enters the tunnel only after SNAT to this",
            "# gateway's address, which the kernel's dataplane matches after FORWARD; its",
            "# IPsec policy still holds it back while no SA is up.",
        );
        for (const r of snat) {
            rules.push(`-A FORWARD -i ${lan} -o ${wan} -s ${r.source} -d ${r.destination} -m comment --comment ${iptablesString(r.why)} -j ACCEPT`);
        }
    }
    return table("filter", [["INPUT", "DROP"], ["FORWARD", "DROP"], ["OUTPUT", "DROP"]], rules);
}

function gatewayNat(gw: GatewayPlan, family: Family): string[] {
    const rules: string[] = [];
    for (const r of gw.dnat.filter((d) => d.family === family)) {
        rules.push([
            "-A PREROUTING",
            ...(r.inInterface ? [`-i ${r.inInterface}`] : []),
            ...(r.source ? [`-s ${hostCidr(family, r.source)}`] : []),
            `-d ${hostCidr(family, r.destination)} -p tcp -m tcp --dport ${r.port}`,
            `-m comment --comment ${iptablesString(r.why)}`,
            `-j DNAT --to-destination ${endpoint(family, r.to.address, r.to.port)}`,
        ].join(" "));
    }
    // No -o: with kernel-libipsec the tunnel route leaves through ipsec0, with
    // the kernel's dataplane through the WAN interface.
    for (const r of gw.snat.filter((s) => s.family === family)) {
        rules.push(`-A POSTROUTING -s ${r.source} -d ${r.destination} -m comment --comment ${iptablesString(r.why)} -j SNAT --to-source ${r.toSource}`);
    }
    for (const m of gw.masquerade.filter((x) => x.family === family)) {
        for (const except of m.except) {
            rules.push(`-A POSTROUTING -s ${m.source} -d ${except} -o ${m.outInterface} -m comment --comment "tunnel traffic keeps its source" -j RETURN`);
        }
        rules.push(`-A POSTROUTING -s ${m.source} -o ${m.outInterface} -j MASQUERADE`);
    }
    return table("nat", NAT_CHAINS, rules);
}

function gatewayFirewall(node: NodePlan, gw: GatewayPlan, family: Family): string[] {
    const filter = gw.firewall === "strict"
        ? strictFilter(node, gw, family)
        : table("filter", [["INPUT", "ACCEPT"], ["FORWARD", "ACCEPT"], ["OUTPUT", "ACCEPT"]], ["# firewall: open (no filtering)"]);
    return [...filter, ...gatewayNat(gw, family)];
}

function routerFirewall(node: NodePlan, family: Family): string[] {
    const filter = table("filter", [["INPUT", "ACCEPT"], ["FORWARD", "ACCEPT"], ["OUTPUT", "ACCEPT"]], ["# The router forwards between the ISP links and filters nothing."]);
    // The opt-in uplink (Docker's default bridge, IPv4 only) to the real Internet.
    const nat = node.uplink && family === "ipv4"
        ? table("nat", NAT_CHAINS, [`-A POSTROUTING -o ${UPLINK_INTERFACE} -j MASQUERADE`])
        : [];
    return [...filter, ...nat];
}

/**
 * A home router: forwards everything and masquerades its inside to ports of
 * its own choosing, so that a peer outside sees both the address and the port
 * translated (the proof that a path crossed it).
 */
function natRouterFirewall(node: NodePlan, family: Family): string[] {
    const filter = table("filter", [["INPUT", "ACCEPT"], ["FORWARD", "ACCEPT"], ["OUTPUT", "ACCEPT"]], ["# A home router: it filters nothing."]);
    const rules = (node.natRouter?.masquerade ?? []).filter((m) => m.family === family)
        .map((m) => `-A POSTROUTING -s ${m.source} -o ${m.outInterface} -j MASQUERADE --random-fully`);
    return [...filter, ...table("nat", NAT_CHAINS, rules)];
}

/** The rule set of a gateway, road warrior, NAT router or the router for one family; other roles have none. */
export function renderFirewall(node: NodePlan, family: Family): string | undefined {
    const header = `# ${family === "ipv4" ? "iptables" : "ip6tables"}-restore input for ${node.name} (${node.role}), rendered by vnetlab (configs/firewall.ts). Do not edit.`;
    if (node.role === "nat") return fileText([header, ...natRouterFirewall(node, family)]);
    if (node.role === "gateway" || node.role === "roadwarrior") {
        if (!node.gateway) throw new Error(`gateway ${node.name} has no gateway plan`);
        return fileText([header, ...gatewayFirewall(node, node.gateway, family)]);
    }
    if (node.role === "router") return fileText([header, ...routerFirewall(node, family)]);
    return undefined;
}
