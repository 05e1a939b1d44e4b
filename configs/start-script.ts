// The start script: one bash script for every role, with this node's facts
// written into it. It is the container's command (under tini) and stays in
// the foreground for the container's life.
import type { Family } from "../plan/ip";
import type { InterfacePlan, LabPlan, NodePlan, RoutePlan } from "../plan/types";
import {
    CHARON, CHARON_LOG, CHARON_VICI, DATAPLANE_FILE, FAILED_MESSAGE, FIREWALL_FILES, READY_FILE, READY_MESSAGE, RUN_DIR, START_LOG, STRONGSWAN_CONF,
    LIBIPSEC_TUN, UPLINK_INTERFACE, VNETLAB_DIR,
} from "./paths";
import { gatewayTunnels, startAction } from "./swanctl";
import { fileText, shellQuote as q } from "./text";

/** Ahead of charon's routing rule for its tunnel routes (table 220, priority 220). */
const ROUTING_RULE_PREF = 219;

/** Functions every node's script uses. Static text: no plan value in it. */
const PRELUDE = String.raw`
mkdir -p "$RUN_DIR" "$(dirname "$LOG")"
rm -f "$READY"
CHILDREN=()

log() {
    local line
    line="$(date -u +%Y-%m-%dT%H:%M:%SZ) vnetlab[$NODE] $*"
    printf '%s\n' "$line"
    printf '%s\n' "$line" >>"$LOG"
}
die() {
    log "${FAILED_MESSAGE} $*"
    exit 1
}
trap 'rc=$?; die "line $LINENO exited $rc: $BASH_COMMAND"' ERR

# Runs a command and logs it with its output.
run() {
    log "+ $*"
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ -n "$out" ]; then
        while IFS= read -r line; do log "  $line"; done <<<"$out"
    fi
    return "$rc"
}

# The interface that holds an IPv4 address (Docker's), whatever its name.
interface_with_ipv4() {
    ip -o -4 addr show | awk -v want="$1" '!done { split($4, a, "/"); if (a[1] == want) { sub(/@.*/, "", $2); print $2; done = 1 } }'
}

# Gives the interface that Docker addressed <docker-ipv4> the lab's name.
# Docker attaches networks in no fixed order: never trust its names.
name_interface() {
    local want=$1 docker=$2 found
    found=$(interface_with_ipv4 "$docker")
    if [ -z "$found" ]; then
        if ip link show dev "$want" >/dev/null 2>&1; then
            log "interface $want: already named (Docker's $docker is gone, so this is a re-run)"
            return 0
        fi
        die "no interface holds Docker's address $docker (for $want)"
    fi
    if [ "$found" = "$want" ]; then
        log "interface $want: holds $docker"
        return 0
    fi
    log "interface $found holds $docker: renaming it to $want"
    run ip link set dev "$found" down
    run ip link set dev "$found" name "$want"
    run ip link set dev "$want" up
}

drop_default_routes() {
    local family=$1 route
    while route=$(ip "$family" route show default | head -n 1) && [ -n "$route" ]; do
        # shellcheck disable=SC2086
        run ip "$family" route del $route
    done
}

wait_for_dad() {
    local i
    for i in $(seq 1 50); do
        [ -z "$(ip -6 addr show scope global tentative)" ] && return 0
        sleep 0.1
    done
    log "warning: IPv6 addresses still tentative after 5 s: $(ip -6 -o addr show scope global tentative | awk '{print $2, $4}' | tr '\n' ' ')"
}

# Does the kernel take an ESP SA (AES-GCM, as the lab's proposals need)? A
# throwaway SA between documentation addresses, deleted at once; no packet.
kernel_takes_esp() {
    local key
    key=0x$(printf '%072d' 0)
    if ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7e57ab1e reqid 1 mode tunnel \
        aead 'rfc4106(gcm(aes))' "$key" 128 2>/dev/null; then
        ip xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7e57ab1e 2>/dev/null || true
        return 0
    fi
    return 1
}

wait_for_port() {
    local port=$1 i
    for i in $(seq 1 100); do
        [ "$(vnetlab-probe tcp 127.0.0.1 "$port" --timeout 1)" = open ] && return 0
        sleep 0.1
    done
    die "nothing listens on port $port after 10 s"
}

on_term() {
    trap - TERM INT
    log "SIGTERM: stopping"
    rm -f "$READY"
    local pid
    for pid in "${'$'}{CHILDREN[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait || true
    log "stopped"
    exit 0
}
trap on_term TERM INT
`;

function header(node: NodePlan, lab: LabPlan): string[] {
    return [
        "#!/bin/bash",
        `# Start script of ${node.name} (${node.role}) in lab ${lab.name}, rendered by vnetlab`,
        "# (configs/start-script.ts) from the lab plan. Do not edit: change the stack.",
        "# Steps: 1 firewall (before any link comes up under its lab name), 2 name",
        "# interfaces by Docker's address, 3 lab addresses, 4 routes, 5 IPsec,",
        "# 6 services, 7 ready, 8 foreground until SIGTERM.",
        "set -Eeuo pipefail",
        "",
        `NODE=${q(node.name)}`,
        `ROLE=${q(node.role)}`,
        `LOG=${START_LOG}`,
        `RUN_DIR=${RUN_DIR}`,
        `READY=${READY_FILE}`,
    ];
}

function step(n: number, title: string): string[] {
    return ["", `log ${q(`step ${n}: ${title}`)}`];
}

function familyFlag(family: Family): string {
    return family === "ipv4" ? "-4" : "-6";
}

function nameInterfaces(node: NodePlan): string[] {
    const out = step(2, "name interfaces by the address Docker gave them");
    if (node.uplink) {
        // Docker's default route is the uplink's; it goes when the link is renamed.
        out.push(`UPLINK_VIA=$(ip -4 route show default | awk '{ print $3; exit }')`);
    }
    for (const i of node.interfaces) out.push(`name_interface ${q(i.name)} ${q(i.docker.ipv4)}`);
    if (node.uplink) {
        const lab = node.interfaces.map((i) => i.name).join(" ");
        out.push(
            "# The opt-in uplink: the one interface with an IPv4 address that is no lab interface.",
            `for dev in $(ip -o -4 addr show | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u); do`,
            `    case " lo ${lab} " in *" $dev "*) continue ;; esac`,
            `    log "interface $dev: the uplink to Docker's default bridge"`,
            `    run ip link set dev "$dev" down`,
            `    run ip link set dev "$dev" name ${UPLINK_INTERFACE}`,
            `    run ip link set dev ${UPLINK_INTERFACE} up`,
            "    break",
            "done",
        );
    }
    return out;
}

function addressInterface(i: InterfacePlan, dockerPrefix: { ipv4: string; ipv6?: string }): string[] {
    const out: string[] = [];
    const dev = q(i.name);
    const v4 = i.addresses.ipv4;
    if (!v4) {
        out.push(`log ${q(`${i.name}: no lab IPv4, removing Docker's ${i.docker.ipv4}`)}`, `run ip -4 addr flush dev ${dev}`);
    } else if (v4.address !== i.docker.ipv4) {
        out.push(
            `log ${q(`${i.name}: lab address ${v4.address}/${v4.prefixLength} replaces Docker's ${i.docker.ipv4}`)}`,
            `ip -4 addr del ${q(`${i.docker.ipv4}/${dockerPrefix.ipv4}`)} dev ${dev} 2>/dev/null || true`,
            `run ip -4 addr replace ${q(`${v4.address}/${v4.prefixLength}`)} dev ${dev}`,
        );
    } else {
        out.push(`run ip -4 addr replace ${q(`${v4.address}/${v4.prefixLength}`)} dev ${dev}`);
    }
    const v6 = i.addresses.ipv6;
    if (i.docker.ipv6 && i.docker.ipv6 !== v6?.address) {
        out.push(`ip -6 addr del ${q(`${i.docker.ipv6}/${dockerPrefix.ipv6 ?? "64"}`)} dev ${dev} 2>/dev/null || true`);
    }
    if (v6) out.push(`run ip -6 addr replace ${q(`${v6.address}/${v6.prefixLength}`)} dev ${dev} nodad`);
    for (const extra of i.extraAddresses) {
        out.push(`run ip ${familyFlag(extra.family)} addr replace ${q(`${extra.address}/${extra.prefixLength}`)} dev ${dev}${extra.family === "ipv6" ? " nodad" : ""}`);
    }
    return out;
}

function labAddresses(node: NodePlan, lab: LabPlan): string[] {
    const out = step(3, "make the lab addresses real");
    for (const i of node.interfaces) {
        const segment = lab.segments.find((s) => s.key === i.segment);
        if (!segment) throw new Error(`${node.name}: interface ${i.name} is on unknown segment ${i.segment}`);
        const prefix = (cidr: string) => cidr.split("/")[1];
        out.push(...addressInterface(i, {
            ipv4: prefix(segment.docker.ipv4.subnet),
            ...(segment.docker.ipv6 ? { ipv6: prefix(segment.docker.ipv6.subnet) } : {}),
        }));
    }
    out.push("drop_default_routes -4", "drop_default_routes -6");
    if (node.interfaces.some((i) => i.addresses.ipv6 || i.extraAddresses.some((e) => e.family === "ipv6"))) out.push("wait_for_dad");
    return out;
}

function routeCommand(r: RoutePlan): string {
    return `run ip ${familyFlag(r.family)} route replace ${q(r.destination)} via ${q(r.via)} dev ${q(r.interface)}`;
}

function routes(node: NodePlan): string[] {
    const out = step(4, "routes");
    out.push(...node.routes.map(routeCommand));
    if (node.uplink) {
        out.push(`[ -n "$UPLINK_VIA" ] && run ip -4 route replace default via "$UPLINK_VIA" dev ${UPLINK_INTERFACE}`);
    }
    if (node.routes.length === 0 && !node.uplink) out.push("log 'no routes beyond the connected ones'");
    return out;
}

function firewall(node: NodePlan): string[] {
    if (node.role !== "gateway" && node.role !== "router") return [];
    return [
        // Rules name the lab's interfaces, which need not exist yet: loading them
        // first leaves no moment with an unfiltered WAN.
        ...step(1, "firewall"),
        `run iptables-restore ${FIREWALL_FILES.ipv4}`,
        `run ip6tables-restore ${FIREWALL_FILES.ipv6}`,
    ];
}

/**
 * With kernel-libipsec a tunnel whose remote traffic selector covers the
 * peer (host-to-host) routes the peer's address into ipsec0 (table 220).
 * Strict rp_filter (the seed's net.ipv4.conf.all.rp_filter=1) then drops the
 * peer's IKE and ESP-in-UDP arriving on the WAN interface, because the reverse
 * route points at ipsec0. charon's fwmark keeps its outgoing packets out of
 * table 220, but the reverse-path lookup sees no mark; these rules send the
 * gateway's own IKE/NAT-T flows (its WAN address, UDP 500/4500) to the main
 * table ahead of charon's rule, for both directions' lookups. Decrypted
 * traffic on ipsec0 is another protocol or port and still finds table 220.
 */
function libipsecRpFilterRules(wanIpv4: string): string[] {
    const rules = ["500", "4500"].map((port) => `pref ${ROUTING_RULE_PREF} from ${wanIpv4} ipproto udp sport ${port} lookup main`);
    return [
        `if [ "$DATAPLANE" = libipsec ]; then`,
        ...rules.flatMap((rule) => [`    ip -4 rule del ${rule} 2>/dev/null || true`, `    run ip -4 rule add ${rule}`]),
        "fi",
    ];
}

/**
 * kernel-libipsec's TUN device is created by charon and takes the netns
 * default for IPv6, which Docker sets to disabled; IPv6 tunnel routes then
 * fail ("IPv6 is disabled on nexthop device"). Only a container sysctl can
 * change that default (/proc/sys is read-only inside), so say so and stop.
 */
const LIBIPSEC_IPV6_CHECK = [
    `if [ "$DATAPLANE" = libipsec ] && [ "$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null || echo 1)" != 0 ]; then`,
    `    die "IPv6 tunnels over kernel-libipsec need IPv6 on ${LIBIPSEC_TUN}: run the container with --sysctl net.ipv6.conf.default.disable_ipv6=0"`,
    "fi",
];

function ipsec(node: NodePlan, lab: LabPlan): string[] {
    if (node.role !== "gateway") return [];
    const wanIpv4 = node.interfaces.find((i) => i.name === node.gateway?.wan)?.addresses.ipv4?.address;
    const ipv6Tunnels = gatewayTunnels(node, lab).some((t) => t.tunnel.ipVersion === 6);
    const out = [
        ...step(5, "IPsec"),
        `case "\${VNETLAB_DATAPLANE:-}" in`,
        `    kernel | libipsec) DATAPLANE=$VNETLAB_DATAPLANE; log "dataplane=$DATAPLANE (set by VNETLAB_DATAPLANE)" ;;`,
        `    "") if kernel_takes_esp; then DATAPLANE=kernel; log "dataplane=kernel (the kernel takes an ESP SA)"; else DATAPLANE=libipsec; log "dataplane=libipsec (the kernel refuses an ESP SA: userspace kernel-libipsec)"; fi ;;`,
        `    *) die "VNETLAB_DATAPLANE must be kernel or libipsec, not $VNETLAB_DATAPLANE" ;;`,
        "esac",
        `printf '%s\\n' "$DATAPLANE" >${DATAPLANE_FILE}`,
        `run ln -sf "${VNETLAB_DIR}/strongswan.$DATAPLANE.conf" ${STRONGSWAN_CONF}`,
        ...(wanIpv4 ? libipsecRpFilterRules(wanIpv4) : []),
        ...(ipv6Tunnels ? LIBIPSEC_IPV6_CHECK : []),
        `rm -f /var/run/charon.pid ${CHARON_VICI}`,
        `log "+ ${CHARON} (logs to its own stderr and ${CHARON_LOG})"`,
        `${CHARON} &`,
        "CHARON_PID=$!",
        `CHILDREN+=("$CHARON_PID")`,
        "for _ in $(seq 1 100); do",
        `    [ -S ${CHARON_VICI} ] && break`,
        `    kill -0 "$CHARON_PID" 2>/dev/null || die "charon exited at start (see ${CHARON_LOG})"`,
        "    sleep 0.1",
        "done",
        `[ -S ${CHARON_VICI} ] || die "charon's VICI socket did not appear in 10 s"`,
        "run swanctl --load-all --noprompt",
        ...gatewayTunnels(node, lab).map((t) => `log ${q(`tunnel ${t.tunnel.name}: ${t.initiator ? "initiator" : "responder"} toward ${t.remote.address}, start_action=${startAction(t)}`)}`),
    ];
    return out;
}

function services(node: NodePlan): string[] {
    if (node.instances.length === 0) return [];
    const args = node.instances.map((i) => `--instance ${q(i.service)} ${i.port} ${q(i.label)}`).join(" ");
    return [
        ...step(6, "services"),
        `log ${q(`+ vnetlab-service --node ${node.name} ${args}`)}`,
        `vnetlab-service --node ${q(node.name)} ${args} &`,
        `CHILDREN+=("$!")`,
        ...node.instances.map((i) => `wait_for_port ${i.port}`),
    ];
}

const FOREGROUND = [
    ...step(7, "ready"),
    `touch "$READY"`,
    `log ${q(READY_MESSAGE)}`,
    ...step(8, "running until SIGTERM"),
    `if [ "\${#CHILDREN[@]}" -eq 0 ]; then`,
    "    sleep infinity &",
    `    CHILDREN+=("$!")`,
    "fi",
    "rc=0",
    `wait -n "\${CHILDREN[@]}" || rc=$?`,
    `die "a child process exited (status $rc); see the logs above"`,
];

export function renderStartScript(node: NodePlan, lab: LabPlan): string {
    return fileText([
        ...header(node, lab),
        PRELUDE.trimEnd(),
        "",
        `log ${q(`starting ${node.name} (${node.role})`)}`,
        ...firewall(node),
        ...nameInterfaces(node),
        ...labAddresses(node, lab),
        ...routes(node),
        ...ipsec(node, lab),
        ...services(node),
        ...FOREGROUND,
    ]);
}
