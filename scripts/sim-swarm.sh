#!/usr/bin/env bash
# A simulated three-host Docker Swarm on this one machine, for trying and
# testing labs that span hosts: three more Docker engines, each in a network
# namespace of its own with its own data root and socket, joined by a bridge
# (their "underlay", in a namespace of its own, so that nothing on it is
# routed to or from the machine's NICs), formed into a swarm: one manager,
# two workers.
#
#   bash scripts/sim-swarm.sh up      # prints the hosts' sockets
#   bash scripts/sim-swarm.sh down    # leaves the swarm, stops the engines, deletes everything
#   bash scripts/sim-swarm.sh status
#
# h3 also listens on tcp://100.127.255.3:2376 with TLS (client CA,
# certificate and key in /run/vnetlab-swarm/tls), which this machine reaches
# through a veth of its own into the underlay (100.127.255.254): a host as a
# lab names a remote one, and the packets still never leave the machine.
#
# Needs root and the machine's dockerd binary. A lab reaches the engines at
# unix:///run/vnetlab-swarm/<host>.sock (Pulumi.multi-host.yaml).
set -euo pipefail

HOSTS=(h1 h2 h3)
UNDERLAY_NS=vnl-underlay
UNDERLAY_BRIDGE=underlay
# From the shared address space (RFC 6598), its last /24: no lab of this
# project uses it, and `up` refuses to start if this machine already routes it
# anywhere (its own network, a VPN), so that the machine's route into the
# underlay is the only one.
UNDERLAY_PREFIX=100.127.255
RUN_DIR=/run/vnetlab-swarm
DATA_DIR=/var/lib/vnetlab-swarm
LOG_DIR=/var/log/vnetlab-swarm
TLS_DIR=$RUN_DIR/tls
TLS_HOST=h3
TLS_PORT=2376
HOST_LINK=vnl-underlay

log() { printf '[sim-swarm] %s\n' "$*" >&2; }
ns() { echo "vnl-$1"; }
sock() { echo "$RUN_DIR/$1.sock"; }
address() { echo "$UNDERLAY_PREFIX.$(($1 + 1))"; }
dockerh() { local host=$1; shift; docker -H "unix://$(sock "$host")" "$@"; }

# A CA, a server certificate for the TLS host's underlay address and a client
# certificate, made once per swarm: what a user's remote engine would have.
make_tls() {
    [ -f "$TLS_DIR/key.pem" ] && return 0
    mkdir -p "$TLS_DIR"
    local d=$TLS_DIR ip i
    for i in "${!HOSTS[@]}"; do [ "${HOSTS[$i]}" = "$TLS_HOST" ] && ip=$(address "$i"); done
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=vnetlab sim-swarm CA" \
        -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$TLS_HOST" -keyout "$d/server-key.pem" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ip" >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 3650 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=vnetlab" -keyout "$d/key.pem" -out "$d/client.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
    openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 3650 -extfile "$d/client.ext" -out "$d/cert.pem" 2>/dev/null
    chmod 600 "$d"/*key.pem
}

up() {
    mkdir -p "$RUN_DIR" "$DATA_DIR" "$LOG_DIR"
    [ -e "/run/netns/$UNDERLAY_NS" ] || ip netns add "$UNDERLAY_NS"
    ip -n "$UNDERLAY_NS" link show "$UNDERLAY_BRIDGE" >/dev/null 2>&1 || ip -n "$UNDERLAY_NS" link add "$UNDERLAY_BRIDGE" type bridge
    ip -n "$UNDERLAY_NS" link set "$UNDERLAY_BRIDGE" up
    if ! ip link show "$HOST_LINK" >/dev/null 2>&1; then
        local routed
        routed=$(ip -o route show to match "$UNDERLAY_PREFIX.0/24" | grep -v '^default' || true)
        [ -z "$routed" ] || { log "this machine routes $UNDERLAY_PREFIX.0/24 already ($routed): the underlay would not stay on it"; exit 1; }
        ip link add "$HOST_LINK" type veth peer name u-machine
        ip link set u-machine netns "$UNDERLAY_NS"
        ip -n "$UNDERLAY_NS" link set u-machine master "$UNDERLAY_BRIDGE" up
        ip addr add "$UNDERLAY_PREFIX.254/24" dev "$HOST_LINK"
        ip link set "$HOST_LINK" up
    fi
    make_tls
    local i host
    for i in "${!HOSTS[@]}"; do
        host=${HOSTS[$i]}
        if [ ! -e "/run/netns/$(ns "$host")" ]; then
            ip netns add "$(ns "$host")"
            ip -n "$(ns "$host")" link set lo up
            # The veth's far end goes into the underlay's namespace; its name there is the host's.
            ip link add "vnl-$host" type veth peer name "u-$host"
            ip link set "vnl-$host" netns "$(ns "$host")"
            ip link set "u-$host" netns "$UNDERLAY_NS"
            ip -n "$UNDERLAY_NS" link set "u-$host" master "$UNDERLAY_BRIDGE" up
            ip -n "$(ns "$host")" link set "vnl-$host" name eth0
            ip -n "$(ns "$host")" addr add "$(address "$i")/24" dev eth0
            ip -n "$(ns "$host")" link set eth0 up
        fi
        if ! dockerh "$host" info >/dev/null 2>&1; then
            log "starting the engine of $host ($(address "$i"))"
            mkdir -p "$DATA_DIR/$host" "$RUN_DIR/$host"
            local tls=()
            if [ "$host" = "$TLS_HOST" ]; then
                tls=(-H "tcp://$(address "$i"):$TLS_PORT" --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server.pem" --tlskey "$TLS_DIR/server-key.pem")
            fi
            # nsenter, not `ip netns exec`: that remounts /sys and hides the cgroup mounts.
            # Its own containerd namespace: the machine's engine may share a containerd.
            # No iptables: this kernel has no dummy links, so the lab's segments here are
            # bridges (Pulumi.multi-host.yaml), and Docker's isolation rules for internal
            # bridges would drop every routed packet on them (br_netfilter puts bridged
            # frames through FORWARD). The namespace's own FORWARD policy is ACCEPT.
            setsid nsenter --net="/run/netns/$(ns "$host")" dockerd \
                --data-root "$DATA_DIR/$host" --exec-root "$RUN_DIR/$host" \
                --pidfile "$RUN_DIR/$host.pid" -H "unix://$(sock "$host")" "${tls[@]}" \
                --bridge none --iptables=false --containerd-namespace "vnl-$host" --containerd-plugins-namespace "vnl-$host-plugins" \
                >"$LOG_DIR/$host.log" 2>&1 </dev/null &
        fi
    done
    for host in "${HOSTS[@]}"; do
        for _ in $(seq 1 60); do dockerh "$host" info >/dev/null 2>&1 && break; sleep 0.5; done
        dockerh "$host" info >/dev/null 2>&1 || { log "the engine of $host did not come up: $LOG_DIR/$host.log"; exit 1; }
    done
    local manager=${HOSTS[0]}
    if [ "$(dockerh "$manager" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
        log "swarm init on $manager"
        dockerh "$manager" swarm init --advertise-addr "$(address 0)" >/dev/null
    fi
    local token
    token=$(dockerh "$manager" swarm join-token -q worker)
    for i in "${!HOSTS[@]}"; do
        [ "$i" -gt 0 ] || continue
        host=${HOSTS[$i]}
        [ "$(dockerh "$host" info --format '{{.Swarm.LocalNodeState}}')" = active ] && continue
        log "$host joins the swarm"
        dockerh "$host" swarm join --advertise-addr "$(address "$i")" --token "$token" "$(address 0):2377" >/dev/null
    done
    for _ in $(seq 1 60); do
        [ "$(dockerh "$manager" node ls --filter role=worker --format '{{.Status}}' | grep -c '^Ready$')" -ge $((${#HOSTS[@]} - 1)) ] && break
        sleep 0.5
    done
    # A host that left and joined again is a new node; the manager keeps the old one, down.
    local stale
    stale=$(dockerh "$manager" node ls --format '{{.ID}} {{.Status}} {{.Self}}' | awk '$2 != "Ready" && $3 == "false" {print $1}')
    # shellcheck disable=SC2086 # one word per node id
    [ -z "$stale" ] || dockerh "$manager" node rm --force $stale >/dev/null
    status
}

status() {
    local host
    for host in "${HOSTS[@]}"; do
        if dockerh "$host" info >/dev/null 2>&1; then
            echo "$host unix://$(sock "$host") swarm=$(dockerh "$host" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')"
        else
            echo "$host unix://$(sock "$host") down"
        fi
    done
}

down() {
    local host pid
    for host in "${HOSTS[@]}"; do
        if dockerh "$host" info >/dev/null 2>&1; then
            local left
            left=$(dockerh "$host" ps -aq)
            # shellcheck disable=SC2086 # one word per container id
            [ -z "$left" ] || dockerh "$host" rm -f $left >/dev/null
        fi
    done
    # Workers first, so that the manager is not left waiting for them.
    for ((i = ${#HOSTS[@]} - 1; i >= 0; i--)); do
        host=${HOSTS[$i]}
        dockerh "$host" swarm leave --force >/dev/null 2>&1 || true
    done
    for host in "${HOSTS[@]}"; do
        pid=$(cat "$RUN_DIR/$host.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        ip netns del "$(ns "$host")" 2>/dev/null || true
    done
    ip link del "$HOST_LINK" 2>/dev/null || true
    ip netns del "$UNDERLAY_NS" 2>/dev/null || true
    # The engines' mounts (overlay layers, netns files) go with their processes; what is left is data.
    rm -rf "$RUN_DIR" "$DATA_DIR"
    log "down: no engine, namespace or data left"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
