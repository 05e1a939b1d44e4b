import * as pulumi from "@pulumi/pulumi";
import type { PkiPlan } from "../plan/types";
import { derivePki, gatewayCredentials, GatewayCredentials, LabPki } from "../configs";

export interface PkiArgs {
    readonly pki: PkiPlan;
    /** The stack's seed (`vnetlab:seed`): every key, serial number and signature derives from it. */
    readonly seed: pulumi.Input<string>;
}

export interface GatewayPki {
    /** Certificates and CRLs: public. */
    readonly credentials: pulumi.Output<GatewayCredentials>;
    /** A Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;
}

/**
 * The lab's PKI (configs/pki.ts): an ECDSA P-384 root CA, an intermediate CA
 * signed by it, one certificate per gateway signed by the intermediate, and a
 * CRL from each CA, all derived from the seed. It registers no resources of
 * its own: nothing is kept in state, and since the same seed gives the same
 * bytes a second `pulumi up` changes nothing, and a revocation changes only
 * the CRL.
 */
export class Pki extends pulumi.ComponentResource {
    readonly gateways: Readonly<Record<string, GatewayPki>>;

    constructor(name: string, args: PkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Pki", name, {}, opts);
        const { pki } = args;
        // It holds every private key: secret whether or not the seed came in as one.
        const derived = pulumi.secret(pulumi.output(args.seed).apply((seed) => derivePki(seed, pki)));
        // Certificates and CRLs are public though derived from the seed; secret, they would hide every gateway's diff.
        const published = (pick: (m: LabPki) => string) => pulumi.unsecret(derived.apply(pick));

        this.gateways = Object.fromEntries(pki.certificates.map((c) => [c.gateway, {
            credentials: pulumi.unsecret(derived.apply((m) => gatewayCredentials(m, c.gateway))),
            privateKeyPem: pulumi.secret(derived.apply((m) => m.gateways[c.gateway].privateKeyPem)),
        }]));
        this.registerOutputs({
            rootCaPem: published((m) => m.rootCaPem),
            intermediateCaPem: published((m) => m.intermediateCaPem),
            intermediateCrlPem: published((m) => m.intermediateCrlPem),
        });
    }
}
