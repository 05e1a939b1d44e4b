// The lab's PKI as a pure function of the stack's seed and the plan: an
// ECDSA P-384 root CA, an intermediate CA signed by it, one certificate per
// gateway signed by the intermediate, and a CRL from each CA. Keys and serial
// numbers come from the seed (configs/seed.ts), signatures from RFC 6979
// (configs/signer.ts), dates from the plan: the same seed and plan give the
// same bytes on every run and every machine, so nothing needs keeping in
// state and a second `pulumi up` changes nothing.
//
// The certificates keep the shape they had when the Terraform tls provider
// made them with Go's crypto/x509: subject C, O, CN one RDN each; key usage
// critical, extended key usage, basic constraints critical, subject key
// identifier as SHA-1 of the public point, authority key identifier on all
// but the root, and the gateway's ISP addresses as IP subjectAltNames.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as crypto from "crypto";
import * as x509 from "@peculiar/x509";
import { p384 } from "@noble/curves/p384";
import { getMinHashLength, mapHashToField } from "@noble/curves/abstract/modular";
import type { PkiPlan } from "../plan/types";
import type { GatewayCredentials } from "./credentials";
import { signCrl } from "./crl";
import { seedBytes } from "./seed";
import { deterministicSigner } from "./signer";

export interface LabPki {
    readonly rootCaPem: string;
    readonly intermediateCaPem: string;
    readonly rootCrlPem: string;
    readonly intermediateCrlPem: string;
    /** By gateway name: its certificate and its private key (SEC1 PEM), the only keys that leave this module. */
    readonly gateways: Readonly<Record<string, { readonly certificatePem: string; readonly privateKeyPem: string }>>;
}

const HOUR_MS = 3600_000;
/** An intermediate outlives the certificates it signs by this much, the root the intermediate by as much again. */
const CA_MARGIN_HOURS = 24;
const SERIAL_BYTES = 16;

const OID_COUNTRY = "2.5.4.6";
const OID_ORGANIZATION = "2.5.4.10";
const OID_COMMON_NAME = "2.5.4.3";

interface DerivedKey {
    readonly privateKeyPem: string;
    /** DER SubjectPublicKeyInfo. */
    readonly spki: Buffer;
    /** SHA-1 of the uncompressed public point (RFC 5280 4.2.1.2, method 1), hex. */
    readonly keyId: string;
}

/** A P-384 key from the seed: the scalar is reduced from 1.5 times its length of HKDF output, so never 0 or out of range and without bias. */
function deriveKey(seed: string, label: string): DerivedKey {
    const order = p384.Point.Fn.ORDER;
    const scalar = mapHashToField(seedBytes(seed, `key/${label}`, getMinHashLength(order)), order);
    const point = p384.getPublicKey(scalar, false);
    const coordinate = (point.length - 1) / 2;
    const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
    const privateKey = crypto.createPrivateKey({
        key: { kty: "EC", crv: "P-384", d: base64url(scalar), x: base64url(point.subarray(1, 1 + coordinate)), y: base64url(point.subarray(1 + coordinate)) },
        format: "jwk",
    });
    return {
        // SEC1 ("EC PRIVATE KEY"), as the tls provider wrote ECDSA keys; strongSwan's pem/openssl plugins read it.
        privateKeyPem: privateKey.export({ type: "sec1", format: "pem" }) as string,
        spki: crypto.createPublicKey(privateKey).export({ type: "spki", format: "der" }),
        keyId: crypto.createHash("sha1").update(point).digest("hex"),
    };
}

/** A distinguished name as Go's pkix.Name marshals it: PrintableString where the text allows, UTF8String otherwise. */
function distinguishedName(pki: PkiPlan, commonName: string): x509.Name {
    const attribute = (oid: string, value: string): x509.JsonAttributeAndObjectValue =>
        ({ [oid]: [/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value }] });
    return new x509.Name([attribute(OID_COUNTRY, pki.country), attribute(OID_ORGANIZATION, pki.organization), attribute(OID_COMMON_NAME, commonName)]);
}

interface Holder {
    /** The HKDF label of its key and serial number: "root-ca", "intermediate-ca", "gateway/<name>". */
    readonly label: string;
    readonly name: x509.Name;
    readonly key: DerivedKey;
}

interface CertificateRequest {
    readonly subject: Holder;
    readonly issuer: Holder;
    readonly notBefore: Date;
    readonly validityHours: number;
    readonly ca: boolean;
    readonly ipAddresses: readonly string[];
}

/**
 * A serial number from the seed, bound to everything else the certificate
 * says: a certificate re-issued with other contents (a new address, another
 * validity) gets another serial, as RFC 5280 4.1.2.2 asks of one issuer.
 * Positive and 16 bytes long: the top bit cleared, the next one set.
 */
function serialNumber(seed: string, request: CertificateRequest, notAfter: Date): string {
    const contents = JSON.stringify([
        request.subject.name.toString(), request.issuer.name.toString(), request.notBefore.toISOString(), notAfter.toISOString(),
        request.ca, request.ipAddresses,
    ]);
    const digest = crypto.createHash("sha256").update(contents).digest("hex");
    const bytes = seedBytes(seed, `serial/${request.subject.label}/${digest}`, SERIAL_BYTES);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    return bytes.toString("hex");
}

async function issue(seed: string, request: CertificateRequest): Promise<string> {
    const { subject, issuer } = request;
    const notAfter = new Date(request.notBefore.getTime() + request.validityHours * HOUR_MS);
    const usages = request.ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
    const extensions: x509.Extension[] = [
        new x509.KeyUsagesExtension(usages, true),
        ...(request.ca ? [] : [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false)]),
        new x509.BasicConstraintsExtension(request.ca, undefined, true),
        new x509.SubjectKeyIdentifierExtension(subject.key.keyId, false),
        ...(issuer === subject ? [] : [new x509.AuthorityKeyIdentifierExtension(issuer.key.keyId, false)]),
        ...(request.ipAddresses.length > 0
            ? [new x509.SubjectAlternativeNameExtension(request.ipAddresses.map((value) => ({ type: "ip" as const, value })), false)]
            : []),
    ];
    const signer = await deterministicSigner(issuer.key.privateKeyPem, `certificate of ${subject.label}`);
    const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(seed, request, notAfter),
        subject: subject.name,
        issuer: issuer.name,
        notBefore: request.notBefore,
        notAfter,
        publicKey: subject.key.spki,
        signingKey: signer.signingKey,
        signingAlgorithm: signer.signingAlgorithm,
        extensions,
    }, signer.crypto);
    return `${certificate.toString("pem")}\n`;
}

/** The lab's PKI from its seed. Pure: no clock, no randomness; CA keys never leave it. */
export async function derivePki(seed: string, pki: PkiPlan): Promise<LabPki> {
    const notBefore = new Date(pki.notBefore);
    if (Number.isNaN(notBefore.getTime())) throw new Error(`derivePki: notBefore ${JSON.stringify(pki.notBefore)} is not a date`);
    const holder = (label: string, commonName: string): Holder => ({ label, name: distinguishedName(pki, commonName), key: deriveKey(seed, label) });

    const root = holder("root-ca", pki.rootCommonName);
    const intermediate = holder("intermediate-ca", pki.intermediateCommonName);
    const rootCaPem = await issue(seed, {
        subject: root, issuer: root, notBefore, validityHours: pki.validityHours + 2 * CA_MARGIN_HOURS, ca: true, ipAddresses: [],
    });
    const intermediateCaPem = await issue(seed, {
        subject: intermediate, issuer: root, notBefore, validityHours: pki.validityHours + CA_MARGIN_HOURS, ca: true, ipAddresses: [],
    });
    const gateways = [];
    for (const c of pki.certificates) {
        const gateway = holder(`gateway/${c.gateway}`, c.commonName);
        const certificatePem = await issue(seed, {
            subject: gateway, issuer: intermediate, notBefore, validityHours: pki.validityHours, ca: false, ipAddresses: c.ipAddresses,
        });
        gateways.push({ plan: c, certificatePem, privateKeyPem: gateway.key.privateKeyPem });
    }
    return {
        rootCaPem,
        intermediateCaPem,
        rootCrlPem: await signCrl({ issuerCertPem: rootCaPem, issuerKeyPem: root.key.privateKeyPem, revokedCertPems: [] }),
        intermediateCrlPem: await signCrl({
            issuerCertPem: intermediateCaPem,
            issuerKeyPem: intermediate.key.privateKeyPem,
            revokedCertPems: gateways.filter((g) => g.plan.revoked).map((g) => g.certificatePem),
        }),
        gateways: Object.fromEntries(gateways.map((g) => [g.plan.gateway, { certificatePem: g.certificatePem, privateKeyPem: g.privateKeyPem }])),
    };
}

/** What of the lab's PKI a gateway gets that is public: the CAs, both CRLs and its own certificate, never a key. */
export function gatewayCredentials(pki: LabPki, gateway: string): GatewayCredentials {
    const own = pki.gateways[gateway];
    if (!own) throw new Error(`gatewayCredentials: ${gateway} has no certificate`);
    return {
        rootCaPem: pki.rootCaPem,
        intermediateCaPem: pki.intermediateCaPem,
        certificatePem: own.certificatePem,
        rootCrlPem: pki.rootCrlPem,
        intermediateCrlPem: pki.intermediateCrlPem,
    };
}
