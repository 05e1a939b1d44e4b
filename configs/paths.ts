// Where the rendered files live inside a node, and the run-time files the
// start script (image/vnetlab-start) writes. One place, so that components,
// verify and the renderers agree; the start script learns its paths from the
// node config (configs/node-conf.ts), not from a copy of its own.

export const VNETLAB_DIR = "/etc/vnetlab";
/** The start program, part of the image (image/vnetlab-start; the Dockerfile installs it here). */
export const START_SCRIPT = "/usr/local/bin/vnetlab-start";
/** Writes a node's files out of its bundle, then execs the start program (image/vnetlab-unpack, installed here). */
export const UNPACK_SCRIPT = "/usr/local/bin/vnetlab-unpack";
/** The node's facts for the start program (configs/node-conf.ts renders it). */
export const NODE_CONF = `${VNETLAB_DIR}/node.conf`;
/**
 * Every file of the node in one (configs/file-bundle.ts), the container's one
 * upload. 0600: a gateway's holds its private key and PSKs.
 */
export const BUNDLE_PATH = `${VNETLAB_DIR}/files`;
export const BUNDLE_MODE = "0600";
/** The container's command (under tini): the node's files unpacked, then the image's program, fed this node's config. */
export const START_COMMAND: readonly string[] = [UNPACK_SCRIPT, BUNDLE_PATH, "--", START_SCRIPT, NODE_CONF];
export const NODE_JSON = `${VNETLAB_DIR}/node.json`;
export const FIREWALL_FILES = { ipv4: `${VNETLAB_DIR}/firewall.v4`, ipv6: `${VNETLAB_DIR}/firewall.v6` } as const;

/** The IPsec dataplanes a gateway can run; the start script picks one at run time. */
export type Dataplane = "kernel" | "libipsec";
export const DATAPLANES: readonly Dataplane[] = ["kernel", "libipsec"];
/** One strongswan.conf per dataplane; the start script links the chosen one to /etc/strongswan.conf. */
export const strongswanConfPath = (dataplane: Dataplane) => `${VNETLAB_DIR}/strongswan.${dataplane}.conf`;
export const STRONGSWAN_CONF = "/etc/strongswan.conf";

export const SWANCTL_DIR = "/etc/swanctl";
export const SWANCTL_CONF = `${SWANCTL_DIR}/swanctl.conf`;
/** The only file with a PSK in it; swanctl.conf includes it. */
export const SECRETS_CONF = `${SWANCTL_DIR}/conf.d/secrets.conf`;

/** Names swanctl.conf refers to, relative to the swanctl directory that holds each kind. */
export const CREDENTIAL_NAMES = { rootCa: "root-ca.pem", intermediateCa: "intermediate-ca.pem", certificate: "gateway.pem" } as const;
/** Where `swanctl --load-all` finds a gateway's certificates, key and CRLs. */
export const CREDENTIAL_PATHS = {
    rootCa: `${SWANCTL_DIR}/x509ca/${CREDENTIAL_NAMES.rootCa}`,
    intermediateCa: `${SWANCTL_DIR}/x509ca/${CREDENTIAL_NAMES.intermediateCa}`,
    certificate: `${SWANCTL_DIR}/x509/${CREDENTIAL_NAMES.certificate}`,
    /** SEC1 "EC PRIVATE KEY", the form swanctl reads from ecdsa/. */
    privateKey: `${SWANCTL_DIR}/ecdsa/gateway.pem`,
    rootCrl: `${SWANCTL_DIR}/x509crl/root-ca.crl`,
    intermediateCrl: `${SWANCTL_DIR}/x509crl/intermediate-ca.crl`,
} as const;

export const CHARON = "/usr/lib/ipsec/charon";
export const CHARON_LOG = "/var/log/charon.log";
export const CHARON_VICI = "/var/run/charon.vici";
/** charon refuses to start while a stale one exists. */
export const CHARON_PID = "/var/run/charon.pid";
export const START_LOG = "/var/log/vnetlab-start.log";

export const RUN_DIR = "/run/vnetlab";
/**
 * Left by a node's first start and kept by the container's file system: a
 * start that finds it is a restart, whose peers may still hold SAs of the
 * previous run (see the start program's redial).
 */
export const RAN_BEFORE = "/var/lib/vnetlab/ran-before";
/** Written once the node is configured, so that `docker exec <node> test -f` on it answers without reading the log. */
export const READY_FILE = `${RUN_DIR}/ready`;
/**
 * The start script logs "<time> vnetlab[<node>] <message>"; these two messages
 * end a start, so a reader of the container's log (verify/ready.ts) knows at
 * once whether the node is ready or failed.
 */
export const READY_MESSAGE = "ready";
export const FAILED_MESSAGE = "FAILED:";
/** "kernel" or "libipsec": what the gateway's start script chose. */
export const DATAPLANE_FILE = `${RUN_DIR}/dataplane`;

/** kernel-libipsec's TUN device: cleartext tunnel traffic enters and leaves through it. */
export const LIBIPSEC_TUN = "ipsec0";
/**
 * charon marks its own IKE/ESP-in-UDP packets with it, and the routing rule
 * for its tunnel routes (table 220) skips marked packets, so a tunnel whose
 * traffic selector covers the peer's address does not swallow IKE itself.
 */
export const IKE_FWMARK = "0x42";

/** Interface name the router gives its opt-in leg on Docker's default bridge. */
export const UPLINK_INTERFACE = "uplink";
