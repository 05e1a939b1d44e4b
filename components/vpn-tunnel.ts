import * as pulumi from "@pulumi/pulumi";
import type { TunnelPlan } from "../plan/types";
import { derivePsk } from "../configs";

export interface VpnTunnelArgs {
    readonly tunnel: TunnelPlan;
    /** The stack's seed (`vnetlab:seed`), which a PSK without an override derives from. */
    readonly seed: pulumi.Input<string>;
    /** A PSK from config (`vnetlab:psk-<tunnel>`); one derived from the seed otherwise. */
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
            // Secret whether or not the seed or the override came in as one.
            this.psk = pulumi.secret(args.psk !== undefined
                ? args.psk
                : pulumi.output(args.seed).apply((seed) => derivePsk(seed, args.tunnel.name)));
        }
        this.registerOutputs({ type: args.tunnel.type, ...(this.psk ? { psk: this.psk } : {}) });
    }
}
