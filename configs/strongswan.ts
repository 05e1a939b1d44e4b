// strongswan.conf, one per IPsec dataplane. The start script links the one
// that works on the host to /etc/strongswan.conf before it starts charon.
// Self-contained (no include of Debian's strongswan.d): charon loads exactly
// the plugins listed here, so what runs does not depend on package defaults.
import { CHARON_LOG, Dataplane, IKE_FWMARK } from "./paths";
import { Setting, fileText, strongswanSettings } from "./text";

/** What a PSK gateway with AES-GCM/ECP proposals, swanctl and both dataplanes needs. */
// (Debian builds AES, SHA-2, HMAC, ECDH and the KDFs into the openssl plugin.)
const CRYPTO_PLUGINS = ["random", "drbg", "nonce", "openssl", "gcm", "pem", "pkcs1", "pkcs8", "x509", "pubkey", "revocation", "constraints"];
const CONTROL_PLUGINS = ["socket-default", "vici", "updown"];
/** swanctl parses credentials only. */
const SWANCTL_PLUGINS = ["random", "openssl", "pem", "pkcs1", "pkcs8", "x509", "pubkey"];

export function charonPlugins(dataplane: Dataplane): string[] {
    // kernel-libipsec goes ahead of kernel-netlink: the first IPsec backend
    // loaded is the one charon uses; kernel-netlink stays for addresses and routes.
    const kernel = dataplane === "libipsec" ? ["kernel-libipsec", "kernel-netlink"] : ["kernel-netlink"];
    return [...CRYPTO_PLUGINS, ...kernel, ...CONTROL_PLUGINS];
}

/**
 * How charon retransmits a request nothing answered: after 1 s, then 1.4
 * times as long each time, 4 times, so it gives up after RETRANSMIT_GIVE_UP_SECONDS
 * (charon's own default is 5 times from 4 s: 165 s). A peer that is gone is
 * then found within DPD_DELAY_SECONDS (swanctl.ts) plus this, and its tunnel
 * dialled again (dpd_action); a lab on one machine answers in milliseconds,
 * so a second of silence is not a slow network.
 */
export const RETRANSMIT = { timeoutSeconds: 1, base: 1.4, tries: 4 } as const;
export const RETRANSMIT_GIVE_UP_SECONDS = Array.from({ length: RETRANSMIT.tries + 1 }, (_, i) => RETRANSMIT.timeoutSeconds * RETRANSMIT.base ** i)
    .reduce((a, b) => a + b, 0);

export function renderStrongswanConf(dataplane: Dataplane): string {
    const logTo = (extra: readonly Setting[]): Setting[] => [...extra, ["time_format", "%Y-%m-%dT%H:%M:%S"], ["ike_name", "yes"], ["default", 1], ["flush_line", "yes"]];
    const plugins: Setting[] = dataplane === "libipsec"
        ? [
            // A host-to-host tunnel's traffic selector is the peer's own address.
            ["kernel-libipsec", [["allow_peer_ts", "yes"]]],
            // Tunnel routes (table 220, via the TUN device) then cover the peer,
            // so IKE and ESP-in-UDP carry a mark that the routing rule skips.
            ["kernel-netlink", [["fwmark", `!${IKE_FWMARK}`]]],
            ["socket-default", [["fwmark", IKE_FWMARK]]],
        ]
        : [];
    const charon: Setting[] = [
        ["load_modular", "no"],
        ["load", charonPlugins(dataplane).join(" ")],
        ["install_routes", "yes"],
        ["retransmit_timeout", RETRANSMIT.timeoutSeconds],
        ["retransmit_base", RETRANSMIT.base],
        ["retransmit_tries", RETRANSMIT.tries],
        // No syslog in a container: a file for later, stderr for `docker logs`.
        ["filelog", [
            ["charon", logTo([["path", CHARON_LOG], ["append", "no"]])],
            ["stderr", logTo([])],
        ]],
        ["syslog", [["daemon", [["default", -1]]]]],
        ...(plugins.length > 0 ? [["plugins", plugins] as Setting] : []),
    ];
    const header = dataplane === "libipsec"
        ? [
            "# strongswan.conf for the userspace dataplane (kernel-libipsec): the kernel",
            "# refused an ESP SA, so cleartext tunnel traffic goes through the TUN device",
            "# and ESP travels in UDP 4500 (kernel-libipsec always encapsulates).",
        ]
        : [
            "# strongswan.conf for the kernel's IPsec dataplane (xfrm): SAs and policies",
            "# live in the kernel; ESP is sent as such unless a NAT forces UDP 4500.",
        ];
    return fileText([
        ...header,
        "# Rendered by vnetlab (configs/strongswan.ts); the start script links it to",
        "# /etc/strongswan.conf. Do not edit.",
        ...strongswanSettings([
            ["charon", charon],
            // swanctl reads this file too; without a list it tries plugins Debian does not ship.
            ["swanctl", [["load", SWANCTL_PLUGINS.join(" ")]]],
        ]),
    ]);
}
