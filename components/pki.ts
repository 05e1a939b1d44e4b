import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PkiPlan } from "../plan/types";
import { signCrl, GatewayCredentials } from "../configs";

export interface PkiArgs {
    readonly pki: PkiPlan;
}

export interface GatewayPki {
    /** Certificates and CRLs: public. */
    readonly credentials: pulumi.Output<GatewayCredentials>;
    /** A Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;
}

/**
 * The lab's PKI, as the seed had it: an ECDSA P-384 root CA, an intermediate
 * CA signed by it, one certificate per gateway signed by the intermediate, and
 * a CRL from each CA. Keys and certificates live in state, so a second
 * `pulumi up` changes nothing; the CRLs are signed deterministically, so they
 * change only when the revocations do.
 */
export class Pki extends pulumi.ComponentResource {
    readonly gateways: Readonly<Record<string, GatewayPki>>;

    constructor(name: string, args: PkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vnetlab:index:Pki", name, {}, opts);
        const { pki } = args;
        const subject = (commonName: string) => ({ country: pki.country, organization: pki.organization, commonName });
        const key = (keyName: string) => new tls.PrivateKey(keyName, { algorithm: "ECDSA", ecdsaCurve: "P384" }, { parent: this });
        // Each CA outlives what it signs, so no chain ever holds an expired issuer.
        const caUses = ["cert_signing", "crl_signing"];

        const rootKey = key(`${name}-root-ca`);
        const root = new tls.SelfSignedCert(`${name}-root-ca`, {
            privateKeyPem: rootKey.privateKeyPem,
            subject: subject(pki.rootCommonName),
            isCaCertificate: true,
            allowedUses: caUses,
            validityPeriodHours: pki.validityHours + 48,
            setSubjectKeyId: true,
        }, { parent: this });

        const intermediateKey = key(`${name}-intermediate-ca`);
        const intermediate = new tls.LocallySignedCert(`${name}-intermediate-ca`, {
            certRequestPem: new tls.CertRequest(`${name}-intermediate-ca`, {
                privateKeyPem: intermediateKey.privateKeyPem,
                subject: subject(pki.intermediateCommonName),
            }, { parent: this }).certRequestPem,
            caPrivateKeyPem: rootKey.privateKeyPem,
            caCertPem: root.certPem,
            isCaCertificate: true,
            allowedUses: caUses,
            validityPeriodHours: pki.validityHours + 24,
            setSubjectKeyId: true,
        }, { parent: this });

        const certificates = pki.certificates.map((c) => {
            const gatewayKey = key(c.gateway);
            const certificate = new tls.LocallySignedCert(c.gateway, {
                certRequestPem: new tls.CertRequest(c.gateway, {
                    privateKeyPem: gatewayKey.privateKeyPem,
                    subject: subject(c.commonName),
                    ipAddresses: [...c.ipAddresses],
                }, { parent: this }).certRequestPem,
                caPrivateKeyPem: intermediateKey.privateKeyPem,
                caCertPem: intermediate.certPem,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
                validityPeriodHours: pki.validityHours,
                setSubjectKeyId: true,
            }, { parent: this });
            return { plan: c, key: gatewayKey, certificate };
        });

        // A CRL is public, though signed with a secret key.
        const rootCrl = pulumi.unsecret(pulumi.all([root.certPem, rootKey.privateKeyPem])
            .apply(([issuerCertPem, issuerKeyPem]) => signCrl({ issuerCertPem, issuerKeyPem, revokedCertPems: [] })));
        const revoked = certificates.filter((c) => c.plan.revoked).map((c) => c.certificate.certPem);
        const intermediateCrl = pulumi.unsecret(pulumi.all([intermediate.certPem, intermediateKey.privateKeyPem, pulumi.all(revoked)])
            .apply(([issuerCertPem, issuerKeyPem, revokedCertPems]) => signCrl({ issuerCertPem, issuerKeyPem, revokedCertPems })));

        this.gateways = Object.fromEntries(certificates.map((c) => [c.plan.gateway, {
            credentials: pulumi.all([root.certPem, intermediate.certPem, c.certificate.certPem, rootCrl, intermediateCrl])
                .apply(([rootCaPem, intermediateCaPem, certificatePem, rootCrlPem, intermediateCrlPem]) =>
                    ({ rootCaPem, intermediateCaPem, certificatePem, rootCrlPem, intermediateCrlPem })),
            privateKeyPem: pulumi.secret(c.key.privateKeyPem),
        }]));
        this.registerOutputs({ rootCaPem: root.certPem, intermediateCaPem: intermediate.certPem, intermediateCrlPem: intermediateCrl });
    }
}
