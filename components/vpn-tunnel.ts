import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { TunnelPlan } from "../plan/types";

export interface VpnTunnelArgs {
    readonly tunnel: TunnelPlan;
    /** A PSK from config (`vnetlab:tunnelSecrets`); a generated one otherwise. */
    readonly psk?: pulumi.Input<string>;
}

/**
 * One IPsec tunnel. It owns what belongs to the tunnel rather than to either
 * end: with PSK auth the shared secret, which the gateways at its two ends
 * render into their swanctl secrets. Certificates belong to gateways (Pki).
 */
export class VpnTunnel extends pulumi.ComponentResource {
    readonly psk?: pulumi.Output<string>;

    constructor(name: string, args: VpnTunnelArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:VpnTunnel", name, {}, opts);
        if (args.tunnel.auth === "psk") {
            this.psk = args.psk !== undefined
                ? pulumi.secret(args.psk)
                : new random.RandomPassword(`${name}-psk`, { length: 48, special: false }, { parent: this }).result;
        }
        this.registerOutputs({ type: args.tunnel.type, ...(this.psk ? { psk: this.psk } : {}) });
    }
}
