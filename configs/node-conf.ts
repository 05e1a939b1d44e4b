// The node config: every fact of one node that the image's start program
// (image/vnetlab-start, the container's command) acts on. Data, not code: the
// program reads it record by record and evaluates none of it, so the program
// is one file in the image, checked by shellcheck, and a lab changes only this.
//
// Format (NODE_CONF_FORMAT): one record per line, "<kind> <field>...", fields
// separated by one space; no field is empty or holds whitespace ("-" stands
// for none); "#" starts a comment line. Records, in the order the program
// uses them:
//
//   format vnetlab.node-conf/4
//   node <name>                      role <role>
//   path <key> <absolute path>       the files the program reads and writes
//   message <ready|failed> <word>    what its last log line says
//   firewall <family> <file>         step 1, in order
//   interface <lab name> <Docker's IPv4/prefix> <Docker's IPv6/prefix|-> <lab IPv4/len|-> <lab IPv6/len|->
//   address <interface> <family> <cidr>          further lab addresses (a service address)
//   neighbor <interface> <address> <MAC>          on a segment across hosts (overlay): a member's lab address
//                                    and its endpoint's MAC, which the overlay would not resolve
//   route <family> <destination> <via> <interface>
//   forget-connections               a NAT router: drop conntrack entries made before its rules applied
//   uplink <name>                    the router's opt-in leg, renamed to <name>
//   ipsec <libipsec TUN device>      the node runs charon (step 5)
//   ipsec-ipv6                       a tunnel carries IPv6, outside or inside
//   dataplane <auto|kernel|libipsec> the lab's dataplane setting
//   ike-rule <pref> <source> <udp sport>          libipsec only (see below)
//   tunnel <name> <initiator|responder> <remote address> <start_action> <tunnel|transport>
//   dial <tunnel>                    initiate it, retrying, before ready (a road warrior's, one started at boot)
//   redial <tunnel>                  after a restart only: call the peer once, without waiting, so that it
//                                    drops the SAs of this node's previous run (INITIAL_CONTACT)
//   instance <service> <port> <label>             step 6
import type { LabPlan, NodePlan } from "../plan/types";
import { renderFirewall } from "./firewall";
import {
    CHARON, CHARON_LOG, CHARON_PID, CHARON_VICI, DATAPLANE_FILE, FAILED_MESSAGE, FIREWALL_FILES, LIBIPSEC_TUN, READY_FILE, READY_MESSAGE,
    RAN_BEFORE, START_LOG, STRONGSWAN_CONF, UPLINK_INTERFACE, strongswanConfPath,
} from "./paths";
import { dials, gatewayTunnels, runsIke, startAction } from "./swanctl";
import { carriesIpv6, reachableAt } from "../plan/tunnel";
import { fileText } from "./text";

/** The one format image/vnetlab-start reads; change both together. */
export const NODE_CONF_FORMAT = "vnetlab.node-conf/4";

/** Ahead of charon's routing rule for its tunnel routes (table 220, priority 220). */
export const IKE_RULE_PREF = 219;
/** IKE and NAT-T: the gateway's own flows that must stay out of the tunnel routes. */
const IKE_UDP_PORTS = [500, 4500] as const;

type Field = string | number;
export type NodeConfRecord = readonly [kind: string, ...fields: Field[]];

const NONE = "-";
const FIELD = /^[\x21-\x7e]+$/;

function line(node: NodePlan, record: NodeConfRecord): string {
    const words = record.map(String);
    for (const word of words) {
        if (!FIELD.test(word)) {
            throw new Error(`${node.name}: node config record "${words.join(" ")}" has a field that is empty or not printable ASCII without spaces: ${JSON.stringify(word)}`);
        }
    }
    return words.join(" ");
}

/**
 * kernel-libipsec: a tunnel whose remote traffic selector covers the peer
 * (host-to-host) routes the peer's address into ipsec0 (table 220). Strict
 * rp_filter (the seed's net.ipv4.conf.all.rp_filter=1) then drops the peer's
 * IKE and ESP-in-UDP arriving on the WAN interface, because the reverse route
 * points at ipsec0. charon's fwmark keeps its outgoing packets out of table
 * 220, but the reverse-path lookup sees no mark; these rules send the
 * gateway's own IKE/NAT-T flows (its WAN address, UDP 500/4500) to the main
 * table ahead of charon's rule, for both directions' lookups. Decrypted
 * traffic on ipsec0 is another protocol or port and still finds table 220.
 */
function ikeRules(node: NodePlan): NodeConfRecord[] {
    const wanIpv4 = node.interfaces.find((i) => i.name === node.gateway?.wan)?.addresses.ipv4?.address;
    if (!wanIpv4) return [];
    return IKE_UDP_PORTS.map((port) => ["ike-rule", IKE_RULE_PREF, wanIpv4, port]);
}

/** The node config's records, in file order. */
export function nodeConfRecords(node: NodePlan, lab: LabPlan): NodeConfRecord[] {
    const records: NodeConfRecord[] = [
        ["format", NODE_CONF_FORMAT],
        ["node", node.name],
        ["role", node.role],
        ["path", "log", START_LOG],
        ["path", "ready", READY_FILE],
        ["message", "ready", READY_MESSAGE],
        ["message", "failed", FAILED_MESSAGE],
    ];
    for (const family of ["ipv4", "ipv6"] as const) {
        // Rules name the lab's interfaces, which need not exist yet: the program
        // loads them before any link comes up under its lab name.
        if (renderFirewall(node, family) !== undefined) records.push(["firewall", family, FIREWALL_FILES[family]]);
    }
    for (const i of node.interfaces) {
        const segment = lab.segments.find((s) => s.key === i.segment);
        if (!segment) throw new Error(`${node.name}: interface ${i.name} is on unknown segment ${i.segment}`);
        const prefix = (cidr: string) => cidr.split("/")[1];
        const v4 = i.addresses.ipv4;
        const v6 = i.addresses.ipv6;
        records.push([
            "interface",
            i.name,
            `${i.docker.ipv4}/${prefix(segment.docker.ipv4.subnet)}`,
            i.docker.ipv6 ? `${i.docker.ipv6}/${segment.docker.ipv6 ? prefix(segment.docker.ipv6.subnet) : "64"}` : NONE,
            v4 ? `${v4.address}/${v4.prefixLength}` : NONE,
            v6 ? `${v6.address}/${v6.prefixLength}` : NONE,
        ]);
        for (const extra of i.extraAddresses) records.push(["address", i.name, extra.family, `${extra.address}/${extra.prefixLength}`]);
        for (const n of i.neighbors ?? []) records.push(["neighbor", i.name, n.address, n.mac]);
    }
    for (const r of node.routes) records.push(["route", r.family, r.destination, r.via, r.interface]);
    // What a NAT router forwarded before its rules could match went out untranslated: see image/vnetlab-start.
    if (node.natRouter) records.push(["forget-connections"]);
    if (node.uplink) records.push(["uplink", UPLINK_INTERFACE]);
    if (runsIke(node)) {
        const tunnels = gatewayTunnels(node, lab);
        records.push(
            ["ipsec", LIBIPSEC_TUN],
            ["path", "dataplane", DATAPLANE_FILE],
            ["path", "strongswan-conf", STRONGSWAN_CONF],
            ["path", "strongswan-conf-kernel", strongswanConfPath("kernel")],
            ["path", "strongswan-conf-libipsec", strongswanConfPath("libipsec")],
            ["path", "charon", CHARON],
            ["path", "charon-log", CHARON_LOG],
            ["path", "charon-pid", CHARON_PID],
            ["path", "vici", CHARON_VICI],
            ["path", "ran-before", RAN_BEFORE],
        );
        if (tunnels.some((t) => carriesIpv6(t.tunnel))) records.push(["ipsec-ipv6"]);
        // The program checks each tunnel's mode against the dataplane it ends up
        // with: kernel-libipsec would refuse a transport CHILD SA only once IKE
        // has run, long after the node said ready.
        records.push(["dataplane", lab.dataplane]);
        records.push(...ikeRules(node));
        for (const t of tunnels) {
            records.push(["tunnel", t.tunnel.name, t.initiator ? "initiator" : "responder", reachableAt(t.remote), startAction(t), t.tunnel.mode]);
        }
        // Connected before the node says ready, retrying while the peer still starts.
        for (const t of tunnels.filter(dials)) records.push(["dial", t.tunnel.name]);
        // A peer whose SA outlived this node's last run would otherwise send into it until DPD gives up
        // (about 20 s); a call with INITIAL_CONTACT replaces it at once. Not a road warrior, whose
        // address and virtual IP only its own call brings, nor one behind a NAT router, which lets no call in.
        for (const t of tunnels.filter((x) => !dials(x) && !x.remote.virtualIp && !x.remote.nat)) records.push(["redial", t.tunnel.name]);
    }
    for (const i of node.instances) records.push(["instance", i.service, i.port, i.label]);
    return records;
}

/** The node config file's text. Pure: the same plan gives the same bytes. */
export function renderNodeConf(node: NodePlan, lab: LabPlan): string {
    return fileText([
        `# Node config of ${node.name} (${node.role}) in lab ${lab.name}, rendered by vnetlab`,
        "# (configs/node-conf.ts) from the lab plan. Do not edit: change the stack.",
        "# Data for the image's start program (vnetlab-start), which runs the node from it.",
        ...nodeConfRecords(node, lab).map((r) => line(node, r)),
    ]);
}
