// The @pulumi/tls resources for the Docker-backed mock engine, made for
// real: fresh keys from node's crypto, certificates and requests signed
// through WebCrypto with @peculiar/x509, so that strongSwan in the lab
// containers validates real chains. It follows terraform-provider-tls (which
// @pulumi/tls 5.x bridges) and Go's crypto/x509 underneath it:
// the extensions, their order and criticality, the subject-key-id hash,
// 128-bit random serials, PEM labels and the computed attributes.
//
// Secrets: the real engine applies the SDK's additionalSecretOutputs, the
// mock monitor does not; the outputs listed there are handed back
// secret-wrapped so that the program sees them secret as under `pulumi up`.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as crypto from "crypto";
import * as net from "net";
import * as x509 from "@peculiar/x509";
import type * as pulumi from "@pulumi/pulumi";
import type * as tlsSdk from "@pulumi/tls";
import { SECRET_MARK, SECRET_SIG } from "./values";

export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const TLS_SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert";
export const TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest";
export const TLS_LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert";

export type TlsPrivateKeyInputs = pulumi.Unwrap<tlsSdk.PrivateKeyArgs>;
export type TlsSelfSignedCertInputs = pulumi.Unwrap<tlsSdk.SelfSignedCertArgs>;
export type TlsCertRequestInputs = pulumi.Unwrap<tlsSdk.CertRequestArgs>;
export type TlsLocallySignedCertInputs = pulumi.Unwrap<tlsSdk.LocallySignedCertArgs>;
type SubjectInputs = NonNullable<TlsSelfSignedCertInputs["subject"]>;

export interface TlsCreated {
    readonly id: string;
    readonly outputs: Record<string, unknown>;
}

type Algorithm = "RSA" | "ECDSA" | "ED25519";
type Curve = "P224" | "P256" | "P384" | "P521";

const CURVES: Readonly<Record<Curve, { openssl: string; webcrypto: string; hash: string; ssh: string; bytes: number }>> = {
    P224: { openssl: "secp224r1", webcrypto: "P-224", hash: "SHA-256", ssh: "", bytes: 28 },
    P256: { openssl: "prime256v1", webcrypto: "P-256", hash: "SHA-256", ssh: "nistp256", bytes: 32 },
    P384: { openssl: "secp384r1", webcrypto: "P-384", hash: "SHA-384", ssh: "nistp384", bytes: 48 },
    P521: { openssl: "secp521r1", webcrypto: "P-521", hash: "SHA-512", ssh: "nistp521", bytes: 66 },
};

/** allowed_uses as the provider maps them (common_cert.go): Key Usage bits… */
const KEY_USAGES: Readonly<Record<string, x509.KeyUsageFlags>> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
    encipher_only: x509.KeyUsageFlags.encipherOnly,
    decipher_only: x509.KeyUsageFlags.decipherOnly,
};

/** …and Extended Key Usage OIDs (Go's ExtKeyUsage* constants). */
const EXT_KEY_USAGES: Readonly<Record<string, string>> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/** Subject attributes in the order Go's pkix.Name.ToRDNSequence writes them. */
const SUBJECT_ATTRIBUTES = [
    { key: "country", oid: "2.5.4.6" },
    { key: "province", oid: "2.5.4.8" },
    { key: "locality", oid: "2.5.4.7" },
    { key: "streetAddresses", oid: "2.5.4.9" },
    { key: "postalCode", oid: "2.5.4.17" },
    { key: "organization", oid: "2.5.4.10" },
    { key: "organizationalUnit", oid: "2.5.4.11" },
    { key: "commonName", oid: "2.5.4.3" },
    { key: "serialNumber", oid: "2.5.4.5" },
] as const;
const OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

const PRIVATE_KEY_KEYS = ["algorithm", "ecdsaCurve", "rsaBits"];
const SUBJECT_KEYS = ["commonName", "organization", "organizationalUnit", "streetAddresses", "locality", "province", "country", "postalCode", "serialNumber", "emailAddress"];
const CERT_REQUEST_KEYS = ["privateKeyPem", "privateKeyPemWo", "privateKeyPemWoVersion", "subject", "dnsNames", "ipAddresses", "uris"];
const CERT_KEYS = ["validityPeriodHours", "earlyRenewalHours", "allowedUses", "isCaCertificate", "maxPathLength", "setSubjectKeyId"];
const SELF_SIGNED_KEYS = [...CERT_REQUEST_KEYS, ...CERT_KEYS, "setAuthorityKeyId"];
const LOCALLY_SIGNED_KEYS = [...CERT_KEYS, "certRequestPem", "caCertPem", "caPrivateKeyPem", "caPrivateKeyPemWo", "caPrivateKeyPemWoVersion"];

const webcrypto = crypto.webcrypto;

// ------------------------------------------------------------ helpers

function secret(value: unknown): Record<string, unknown> {
    return { [SECRET_SIG]: SECRET_MARK, value };
}

function isUnset(v: unknown): boolean {
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

function rejectUnknown(what: string, inputs: object, known: readonly string[]): void {
    const extra = Object.entries(inputs).filter(([k, v]) => !known.includes(k) && !isUnset(v)).map(([k]) => k);
    if (extra.length > 0) {
        throw new Error(`${what} input(s) ${extra.join(", ")} not implemented by the mock engine; add them to test/support/engine-tls.ts`);
    }
}

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
    const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
    return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;
}

/** The first PEM block, as Go's pem.Decode finds it. */
function decodePem(text: string, what: string): { label: string; der: Buffer } {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text ?? "");
    if (!m) throw new Error(`${what}: no PEM block found`);
    return { label: m[1], der: Buffer.from(m[2].replace(/^[A-Za-z-]+:.*$/gm, "").replace(/\s+/g, ""), "base64") };
}

/** The provider's hashForState: hex SHA-1 of the value with surrounding whitespace trimmed (as Go's strings.TrimSpace). */
function hashForState(bytes: Buffer): string {
    let start = 0;
    let end = bytes.length;
    const space = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
    while (start < end && space(bytes[start])) start++;
    while (end > start && space(bytes[end - 1])) end--;
    return crypto.createHash("sha1").update(bytes.subarray(start, end)).digest("hex");
}

/** Go's time.MarshalText (RFC 3339 with trailing fractional zeros dropped), in UTC. */
function rfc3339(d: Date): string {
    return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

function nonNegativeInteger(v: unknown, what: string, fallback?: number): number {
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`${what} must be an integer >= 0, got ${JSON.stringify(v)}`);
    return v;
}

// ------------------------------------------------------------ keys

interface ParsedKey {
    readonly algorithm: Algorithm;
    readonly curve?: Curve;
    readonly privateKey: crypto.KeyObject;
    readonly publicKey: crypto.KeyObject;
}

function curveOf(key: crypto.KeyObject): Curve {
    const named = key.asymmetricKeyDetails?.namedCurve;
    const curve = (Object.keys(CURVES) as Curve[]).find((c) => CURVES[c].openssl === named);
    if (!curve) throw new Error(`unsupported elliptic curve ${named ?? "(unknown)"}; the provider supports P224, P256, P384, P521`);
    return curve;
}

function algorithmOf(key: crypto.KeyObject): Algorithm {
    switch (key.asymmetricKeyType) {
        case "rsa": return "RSA";
        case "ec": return "ECDSA";
        case "ed25519": return "ED25519";
        default: throw new Error(`unsupported private key type ${key.asymmetricKeyType ?? "(unknown)"}`);
    }
}

/** The provider's parsePrivateKeyPEM: the first block, "RSA PRIVATE KEY", "EC PRIVATE KEY" or "PRIVATE KEY". */
function parsePrivateKeyPem(text: string, what: string): ParsedKey {
    const block = decodePem(text, what);
    const type = ({ "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "PRIVATE KEY": "pkcs8" } as const)[block.label as "PRIVATE KEY"];
    if (!type) throw new Error(`${what}: unable to determine parser for PEM preamble: ${block.label}`);
    let privateKey: crypto.KeyObject;
    try {
        privateKey = crypto.createPrivateKey({ key: block.der, format: "der", type });
    } catch (e) {
        throw new Error(`${what}: failed to parse private key given PEM preamble '${block.label}': ${(e as Error).message}`);
    }
    const algorithm = algorithmOf(privateKey);
    return { algorithm, ...(algorithm === "ECDSA" ? { curve: curveOf(privateKey) } : {}), privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

function spkiOf(key: crypto.KeyObject): Buffer {
    return key.export({ type: "spki", format: "der" });
}

/** An EC public key's uncompressed point: the end of its SPKI (node exports named curves, uncompressed). */
function ecPoint(pub: crypto.KeyObject): Buffer {
    const spki = spkiOf(pub);
    return spki.subarray(spki.length - (1 + 2 * CURVES[curveOf(pub)].bytes));
}

/** The provider's generateSubjectKeyID: SHA-1 over the key as Go marshals it for each type. */
function subjectKeyId(pub: crypto.KeyObject): string {
    let bytes: Buffer;
    switch (pub.asymmetricKeyType) {
        // elliptic.Marshal: the uncompressed point.
        case "ec": bytes = ecPoint(pub); break;
        // asn1.Marshal(rsa.PublicKey): PKCS#1 RSAPublicKey.
        case "rsa": bytes = pub.export({ type: "pkcs1", format: "der" }); break;
        // asn1.Marshal(ed25519.PublicKey): the 32 bytes as an OCTET STRING.
        case "ed25519": bytes = Buffer.concat([Buffer.from([0x04, 0x20]), spkiOf(pub).subarray(-32)]); break;
        default: throw new Error(`unsupported public key type ${pub.asymmetricKeyType ?? "(unknown)"}`);
    }
    return crypto.createHash("sha1").update(bytes).digest("hex");
}

interface Signer {
    readonly keys: crypto.webcrypto.CryptoKeyPair;
    readonly signingAlgorithm: { readonly name: string; readonly hash: string };
}

/** The key as WebCrypto signing keys, with the signature algorithm Go picks for it. */
async function signerFor(key: ParsedKey, what: string): Promise<Signer> {
    let alg: { name: string; namedCurve?: string; hash?: string };
    let hash = "SHA-256";
    if (key.algorithm === "ECDSA") {
        const c = CURVES[key.curve ?? "P224"];
        if (key.curve === "P224") {
            throw new Error(`${what}: signing with an ECDSA P224 key is not implemented by the mock engine (WebCrypto has no P-224); use ecdsaCurve P256, P384 or P521`);
        }
        alg = { name: "ECDSA", namedCurve: c.webcrypto };
        hash = c.hash;
    } else if (key.algorithm === "RSA") {
        alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    } else {
        alg = { name: "Ed25519" };
    }
    const subtle = webcrypto.subtle;
    const privateKey = await subtle.importKey("pkcs8", key.privateKey.export({ type: "pkcs8", format: "der" }), alg, false, ["sign"]);
    const publicKey = await subtle.importKey("spki", spkiOf(key.publicKey), alg, true, ["verify"]);
    return { keys: { privateKey, publicKey }, signingAlgorithm: { name: alg.name, hash } };
}

function sshString(b: Buffer | string): Buffer {
    const body = typeof b === "string" ? Buffer.from(b, "utf8") : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
}

/** SSH mpint from unsigned big-endian bytes (base64url, as in a JWK). */
function sshMpint(b64url: string | undefined): Buffer {
    let b = Buffer.from(b64url ?? "", "base64url");
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    b = b.subarray(i);
    if (b.length > 0 && b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
}

/**
 * OpenSSH forms as golang.org/x/crypto/ssh writes them: the authorized_keys
 * line, both fingerprints, and the unencrypted "openssh-key-v1" private key.
 * Empty for ECDSA P224, which x/crypto/ssh does not support.
 */
function opensshForms(key: ParsedKey): { publicKeyOpenssh: string; publicKeyFingerprintMd5: string; publicKeyFingerprintSha256: string; privateKeyOpenssh: string } {
    if (key.algorithm === "ECDSA" && !CURVES[key.curve ?? "P224"].ssh) {
        return { publicKeyOpenssh: "", publicKeyFingerprintMd5: "", publicKeyFingerprintSha256: "", privateKeyOpenssh: "" };
    }
    const jwk = key.privateKey.export({ format: "jwk" });
    let type: string;
    let pubWire: Buffer;
    let privFields: Buffer;
    if (key.algorithm === "RSA") {
        type = "ssh-rsa";
        pubWire = Buffer.concat([sshString(type), sshMpint(jwk.e), sshMpint(jwk.n)]);
        privFields = Buffer.concat([sshString(type), sshMpint(jwk.n), sshMpint(jwk.e), sshMpint(jwk.d), sshMpint(jwk.qi), sshMpint(jwk.p), sshMpint(jwk.q)]);
    } else if (key.algorithm === "ECDSA") {
        const curve = CURVES[key.curve ?? "P224"].ssh;
        type = `ecdsa-sha2-${curve}`;
        const point = ecPoint(key.publicKey);
        pubWire = Buffer.concat([sshString(type), sshString(curve), sshString(point)]);
        privFields = Buffer.concat([sshString(type), sshString(curve), sshString(point), sshMpint(jwk.d)]);
    } else {
        type = "ssh-ed25519";
        const pub = Buffer.from(jwk.x ?? "", "base64url");
        pubWire = Buffer.concat([sshString(type), sshString(pub)]);
        privFields = Buffer.concat([sshString(type), sshString(pub), sshString(Buffer.concat([Buffer.from(jwk.d ?? "", "base64url"), pub]))]);
    }
    const check = crypto.randomBytes(4);
    let priv = Buffer.concat([check, check, privFields, sshString("")]);
    const pad = (8 - (priv.length % 8)) % 8;
    priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const blob = Buffer.concat([
        Buffer.from("openssh-key-v1\0", "latin1"), sshString("none"), sshString("none"), sshString(""),
        Buffer.from([0, 0, 0, 1]), sshString(pubWire), sshString(priv),
    ]);
    const md5 = crypto.createHash("md5").update(pubWire).digest("hex").match(/../g) ?? [];
    return {
        publicKeyOpenssh: `${type} ${pubWire.toString("base64")}\n`,
        publicKeyFingerprintMd5: md5.join(":"),
        publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(pubWire).digest("base64").replace(/=+$/, "")}`,
        privateKeyOpenssh: pem("OPENSSH PRIVATE KEY", blob),
    };
}

// ------------------------------------------------------------ names and extensions

/** Go's asn1 PrintableString test for a string without an explicit type. */
function isPrintable(s: string): boolean {
    return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
}

function attributeValue(oid: string, value: string): x509.JsonAttributeObject {
    if (oid === OID_EMAIL_ADDRESS) return { ia5String: value };
    return isPrintable(value) ? { printableString: value } : { utf8String: value };
}

/** One RDN holding every value of a type, its SET OF sorted by encoding as Go's DER marshalling does. */
function rdn(oid: string, values: readonly string[]): x509.JsonAttributeAndObjectValue {
    const encoded = values.map((v) => ({ attr: attributeValue(oid, v), der: Buffer.from(new x509.Name([{ [oid]: [attributeValue(oid, v)] }]).toArrayBuffer()) }));
    encoded.sort((a, b) => Buffer.compare(a.der, b.der));
    return { [oid]: encoded.map((e) => e.attr) };
}

/**
 * pkix.Name from the provider's subject block, marshalled as Go does:
 * one RDN per attribute type (several street addresses share one), in
 * ToRDNSequence order, emailAddress last as an extra name.
 */
function subjectName(subject: SubjectInputs | undefined): x509.Name {
    const s = (subject ?? {}) as Record<string, unknown>;
    rejectUnknown("subject", s, SUBJECT_KEYS);
    const rdns: x509.JsonAttributeAndObjectValue[] = [];
    for (const { key, oid } of SUBJECT_ATTRIBUTES) {
        const v = s[key];
        const values = (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(String);
        if (values.length > 0) rdns.push(rdn(oid, values));
    }
    if (typeof s.emailAddress === "string") rdns.push(rdn(OID_EMAIL_ADDRESS, [s.emailAddress]));
    return new x509.Name(rdns);
}

/**
 * A parsed subject (from a CSR) as Go re-marshals it into a certificate:
 * only the attributes pkix.Name has fields for, in its order. Go drops the
 * rest — including an emailAddress the CSR carried.
 */
function reencodedSubject(name: x509.Name): x509.Name {
    const rdns: x509.JsonAttributeAndObjectValue[] = [];
    for (const { key, oid } of SUBJECT_ATTRIBUTES) {
        // Go keeps one CN and one SERIALNUMBER (the last); the other fields are lists.
        const all = name.getField(oid);
        const values = key === "commonName" || key === "serialNumber" ? all.slice(-1) : all;
        if (values.length > 0) rdns.push(rdn(oid, values));
    }
    return new x509.Name(rdns);
}

function nameIsEmpty(name: x509.Name): boolean {
    return name.toJSON().length === 0;
}

/** net.ParseIP, then the 4- or 16-byte form Go puts in the SAN (To4 when it is an IPv4 address). */
function sanIp(text: string): string {
    const kind = net.isIP(text);
    if (kind === 4) return text.split(".").map((p) => String(Number(p))).join(".");
    if (kind !== 6) throw new Error(`Invalid IP address: failed to parse "${text}"`);
    // The URL parser normalises IPv6 (embedded IPv4 included) to hex groups.
    const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    const [head, tail] = host.includes("::") ? host.split("::") : [host, undefined];
    const left = head ? head.split(":") : [];
    const right = tail ? tail.split(":") : [];
    const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
    const words = groups.map((g) => parseInt(g, 16));
    if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
        return [words[6] >> 8, words[6] & 0xff, words[7] >> 8, words[7] & 0xff].join(".");
    }
    return words.map((w) => w.toString(16)).join(":");
}

interface SanInputs {
    readonly dnsNames?: readonly string[] | null;
    readonly ipAddresses?: readonly string[] | null;
    readonly uris?: readonly string[] | null;
}

/** Go's marshalSANs order: DNS names, (emails), IP addresses, URIs. */
function sanNames(inp: SanInputs): x509.JsonGeneralNames {
    for (const u of inp.uris ?? []) {
        try {
            new URL(u);
        } catch {
            // url.Parse accepts relative references too; only reject what cannot be a URI reference at all.
            if (/\s/.test(u)) throw new Error(`Invalid URI: failed to parse "${u}"`);
        }
    }
    return [
        ...(inp.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(inp.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value: sanIp(value) })),
        ...(inp.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ];
}

interface CertPlan {
    readonly validityPeriodHours: number;
    readonly earlyRenewalHours: number;
    readonly allowedUses: readonly string[];
    readonly isCaCertificate: boolean;
    readonly maxPathLength: number;
    readonly setSubjectKeyId: boolean;
}

function certPlan(inp: Partial<Record<keyof CertPlan, unknown>>): CertPlan {
    const allowedUses = (inp.allowedUses ?? []) as unknown[];
    if (!Array.isArray(allowedUses)) throw new Error("allowedUses must be a list");
    for (const u of allowedUses) {
        if (typeof u !== "string" || !(Object.hasOwn(KEY_USAGES, u) || Object.hasOwn(EXT_KEY_USAGES, u))) {
            throw new Error(`allowedUses: ${JSON.stringify(u)} is not one of ${[...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort().join(", ")}`);
        }
    }
    const maxPathLength = inp.maxPathLength === undefined || inp.maxPathLength === null ? 0 : inp.maxPathLength;
    if (typeof maxPathLength !== "number" || !Number.isInteger(maxPathLength) || maxPathLength < -1) throw new Error("maxPathLength must be an integer >= -1");
    return {
        validityPeriodHours: nonNegativeInteger(inp.validityPeriodHours, "validityPeriodHours"),
        earlyRenewalHours: nonNegativeInteger(inp.earlyRenewalHours, "earlyRenewalHours", 0),
        allowedUses: allowedUses as string[],
        isCaCertificate: inp.isCaCertificate === true,
        maxPathLength,
        setSubjectKeyId: inp.setSubjectKeyId === true,
    };
}

interface IssueArgs {
    readonly plan: CertPlan;
    readonly subject: x509.Name;
    readonly issuer: x509.Name;
    readonly sans: x509.JsonGeneralNames;
    /** The certified key. */
    readonly publicKey: crypto.KeyObject;
    readonly signer: Signer;
    /** Self-signed: AKID only when asked (setAuthorityKeyId). Otherwise the issuer's SKID, when it has one. */
    readonly authorityKeyId: string | undefined;
    readonly what: string;
}

interface Issued {
    readonly serial: bigint;
    readonly certPem: string;
    readonly validityStartTime: string;
    readonly validityEndTime: string;
}

/** The provider's createCertificate with Go's x509.CreateCertificate: extensions in Go's order and criticality. */
async function issue(a: IssueArgs): Promise<Issued> {
    const { plan } = a;
    if (plan.isCaCertificate && nameIsEmpty(a.subject)) {
        throw new Error(`${a.what}: Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)`);
    }
    const notBefore = new Date();
    const notAfter = new Date(notBefore.getTime() + plan.validityPeriodHours * 3600_000);
    const serialBytes = crypto.randomBytes(16); // rand.Int(rand.Reader, 2^128)
    const serial = BigInt(`0x${serialBytes.toString("hex")}`);

    let keyUsage = 0;
    const extKeyUsage: string[] = [];
    for (const use of plan.allowedUses) {
        if (Object.hasOwn(KEY_USAGES, use)) keyUsage |= KEY_USAGES[use];
        if (Object.hasOwn(EXT_KEY_USAGES, use)) extKeyUsage.push(EXT_KEY_USAGES[use]);
    }
    const skid = plan.isCaCertificate || plan.setSubjectKeyId ? subjectKeyId(a.publicKey) : undefined;
    const extensions: x509.Extension[] = [];
    if (keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
    if (extKeyUsage.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extKeyUsage, false));
    // BasicConstraintsValid is always set by the provider; the path length only on a CA and only when > 0 (Go's MaxPathLen 0 = unset).
    extensions.push(new x509.BasicConstraintsExtension(plan.isCaCertificate, plan.isCaCertificate && plan.maxPathLength > 0 ? plan.maxPathLength : undefined, true));
    if (skid) extensions.push(new x509.SubjectKeyIdentifierExtension(skid, false));
    if (a.authorityKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(a.authorityKeyId, false));
    // Critical only when the subject is empty (RFC 5280 4.2.1.6).
    if (a.sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(a.sans, nameIsEmpty(a.subject)));

    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialBytes.toString("hex"),
        subject: a.subject,
        issuer: a.issuer,
        notBefore,
        notAfter,
        publicKey: spkiOf(a.publicKey),
        signingKey: a.signer.keys.privateKey,
        signingAlgorithm: a.signer.signingAlgorithm,
        extensions,
    }, webcrypto);
    return {
        serial,
        certPem: pem("CERTIFICATE", cert.rawData),
        validityStartTime: rfc3339(notBefore),
        validityEndTime: rfc3339(notAfter),
    };
}

/** Exactly one of the key and its write-only form, the latter with a version (the provider's config validators). */
function keyPemOf(inp: Record<string, unknown>, field: string): string {
    const plain = inp[field];
    const wo = inp[`${field}Wo`];
    const given = [plain, wo].filter((v) => typeof v === "string" && v !== "").length;
    if (given !== 1) throw new Error(`exactly one of ${field} or ${field}Wo must be set`);
    if (typeof wo === "string" && wo !== "" && (inp[`${field}WoVersion`] === undefined || inp[`${field}WoVersion`] === null)) {
        throw new Error(`${field}Wo requires ${field}WoVersion`);
    }
    return (typeof plain === "string" && plain !== "" ? plain : wo) as string;
}

// ------------------------------------------------------------ resources

/**
 * tls.PrivateKey. ID: hex SHA-1 of the PKIX public key. privateKeyPem is
 * PKCS#1 for RSA, SEC1 for ECDSA and PKCS#8 for ED25519, as the provider
 * writes them.
 */
export function createTlsPrivateKey(inp: TlsPrivateKeyInputs): TlsCreated {
    rejectUnknown("tls.PrivateKey", inp, PRIVATE_KEY_KEYS);
    const algorithm = inp.algorithm as Algorithm;
    const ecdsaCurve = (inp.ecdsaCurve ?? "P224") as Curve;
    const rsaBits = inp.rsaBits ?? 2048;
    if (!["RSA", "ECDSA", "ED25519"].includes(algorithm)) throw new Error(`algorithm ${JSON.stringify(inp.algorithm)} is not one of RSA, ECDSA, ED25519`);
    if (!Object.hasOwn(CURVES, ecdsaCurve)) throw new Error(`ecdsaCurve ${JSON.stringify(inp.ecdsaCurve)} is not one of ${Object.keys(CURVES).join(", ")}`);
    if (!Number.isInteger(rsaBits) || rsaBits < 512) throw new Error(`rsaBits must be an integer of at least 512, got ${rsaBits}`);

    const pair = algorithm === "RSA" ? crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits })
        : algorithm === "ECDSA" ? crypto.generateKeyPairSync("ec", { namedCurve: CURVES[ecdsaCurve].openssl })
            : crypto.generateKeyPairSync("ed25519");
    const key: ParsedKey = { algorithm, ...(algorithm === "ECDSA" ? { curve: ecdsaCurve } : {}), privateKey: pair.privateKey, publicKey: pair.publicKey };
    const privateKeyPem = algorithm === "RSA" ? pair.privateKey.export({ type: "pkcs1", format: "pem" })
        : algorithm === "ECDSA" ? pair.privateKey.export({ type: "sec1", format: "pem" })
            : pair.privateKey.export({ type: "pkcs8", format: "pem" });
    const spki = spkiOf(pair.publicKey);
    const ssh = opensshForms(key);
    return {
        id: hashForState(spki),
        outputs: {
            algorithm,
            ecdsaCurve,
            rsaBits,
            // additionalSecretOutputs of the SDK: secret as the real engine makes them.
            privateKeyPem: secret(privateKeyPem as string),
            privateKeyPemPkcs8: secret(pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string),
            privateKeyOpenssh: secret(ssh.privateKeyOpenssh),
            publicKeyPem: pem("PUBLIC KEY", spki),
            publicKeyOpenssh: ssh.publicKeyOpenssh,
            publicKeyFingerprintMd5: ssh.publicKeyFingerprintMd5,
            publicKeyFingerprintSha256: ssh.publicKeyFingerprintSha256,
        },
    };
}

function certOutputs(plan: CertPlan, issued: Issued): Record<string, unknown> {
    return {
        certPem: issued.certPem,
        validityStartTime: issued.validityStartTime,
        validityEndTime: issued.validityEndTime,
        readyForRenewal: false,
        validityPeriodHours: plan.validityPeriodHours,
        earlyRenewalHours: plan.earlyRenewalHours,
        isCaCertificate: plan.isCaCertificate,
        maxPathLength: plan.maxPathLength,
        setSubjectKeyId: plan.setSubjectKeyId,
    };
}

/** tls.SelfSignedCert. ID: the serial number in decimal. */
export async function createTlsSelfSignedCert(inp: TlsSelfSignedCertInputs): Promise<TlsCreated> {
    rejectUnknown("tls.SelfSignedCert", inp, SELF_SIGNED_KEYS);
    const key = parsePrivateKeyPem(keyPemOf(inp as Record<string, unknown>, "privateKeyPem"), "privateKeyPem");
    const plan = certPlan(inp);
    const subject = subjectName(inp.subject);
    const skid = plan.isCaCertificate || plan.setSubjectKeyId ? subjectKeyId(key.publicKey) : undefined;
    if (inp.setAuthorityKeyId && !skid) {
        throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier (setAuthorityKeyId needs isCaCertificate or setSubjectKeyId)");
    }
    const issued = await issue({
        plan, subject, issuer: subject, sans: sanNames(inp), publicKey: key.publicKey,
        signer: await signerFor(key, "privateKeyPem"), authorityKeyId: inp.setAuthorityKeyId ? skid : undefined, what: "tls.SelfSignedCert",
    });
    return {
        id: issued.serial.toString(10),
        outputs: {
            ...certOutputs(plan, issued),
            keyAlgorithm: key.algorithm,
            setAuthorityKeyId: inp.setAuthorityKeyId === true,
            // Write-only: never kept in state.
            privateKeyPemWo: undefined,
        },
    };
}

/** tls.CertRequest. ID: hex SHA-1 of the DER request. SANs go in an extensionRequest attribute, non-critical (Go's CreateCertificateRequest). */
export async function createTlsCertRequest(inp: TlsCertRequestInputs): Promise<TlsCreated> {
    rejectUnknown("tls.CertRequest", inp, CERT_REQUEST_KEYS);
    const key = parsePrivateKeyPem(keyPemOf(inp as Record<string, unknown>, "privateKeyPem"), "privateKeyPem");
    const signer = await signerFor(key, "privateKeyPem");
    const sans = sanNames(inp);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: subjectName(inp.subject),
        keys: signer.keys,
        signingAlgorithm: signer.signingAlgorithm,
        ...(sans.length > 0 ? { extensions: [new x509.SubjectAlternativeNameExtension(sans, false)] } : {}),
    }, webcrypto);
    const der = Buffer.from(csr.rawData);
    return {
        id: hashForState(der),
        outputs: { certRequestPem: pem("CERTIFICATE REQUEST", der), keyAlgorithm: key.algorithm, privateKeyPemWo: undefined },
    };
}

/**
 * tls.LocallySignedCert. Subject and SANs come from the request (its other
 * extensions are ignored, as by the provider); issuer is the CA
 * certificate's subject; AKID is the CA's SKID. ID: the serial in decimal.
 */
export async function createTlsLocallySignedCert(inp: TlsLocallySignedCertInputs): Promise<TlsCreated> {
    rejectUnknown("tls.LocallySignedCert", inp, LOCALLY_SIGNED_KEYS);
    const plan = certPlan(inp);
    const reqBlock = decodePem(inp.certRequestPem, "certRequestPem");
    if (reqBlock.label !== "CERTIFICATE REQUEST") throw new Error(`certRequestPem: invalid PEM type - expected "CERTIFICATE REQUEST", got "${reqBlock.label}"`);
    const csr = new x509.Pkcs10CertificateRequest(reqBlock.der);
    const caBlock = decodePem(inp.caCertPem, "caCertPem");
    if (caBlock.label !== "CERTIFICATE") throw new Error(`caCertPem: invalid PEM type - expected "CERTIFICATE", got "${caBlock.label}"`);
    const ca = new x509.X509Certificate(caBlock.der);
    const caKey = parsePrivateKeyPem(keyPemOf(inp as Record<string, unknown>, "caPrivateKeyPem"), "caPrivateKeyPem");
    // Go's CreateCertificate refuses a key that does not belong to the parent certificate.
    if (!spkiOf(caKey.publicKey).equals(Buffer.from(ca.publicKey.rawData))) {
        throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
    }
    const publicKey = crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    algorithmOf(publicKey);
    const sanExt = csr.extensions.find((e) => e.type === "2.5.29.17");
    const san = sanExt ? new x509.SubjectAlternativeNameExtension(sanExt.rawData) : undefined;
    const fromCsr = { dnsNames: [] as string[], ipAddresses: [] as string[], uris: [] as string[] };
    for (const n of san?.names.items ?? []) {
        if (n.type === "dns") fromCsr.dnsNames.push(n.value);
        else if (n.type === "ip") fromCsr.ipAddresses.push(n.value);
        else if (n.type === "url") fromCsr.uris.push(n.value);
    }
    const subject = reencodedSubject(csr.subjectName);
    const issuer = ca.subjectName;
    const caSkid = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    // Go takes the parent's SKID as AKID unless issuer and subject are the same name.
    const sameName = Buffer.from(subject.toArrayBuffer()).equals(Buffer.from(issuer.toArrayBuffer()));
    const issued = await issue({
        plan, subject, issuer, sans: sanNames(fromCsr), publicKey,
        signer: await signerFor(caKey, "caPrivateKeyPem"), authorityKeyId: sameName ? undefined : caSkid, what: "tls.LocallySignedCert",
    });
    return {
        id: issued.serial.toString(10),
        outputs: { ...certOutputs(plan, issued), caKeyAlgorithm: caKey.algorithm, caPrivateKeyPemWo: undefined },
    };
}

/** Realizes a tls resource by type token, or returns undefined for any other type. */
export function realizeTls(type: string, inputs: Record<string, unknown>): Promise<TlsCreated> | undefined {
    switch (type) {
        case TLS_PRIVATE_KEY: return Promise.resolve(createTlsPrivateKey(inputs as TlsPrivateKeyInputs));
        case TLS_SELF_SIGNED_CERT: return createTlsSelfSignedCert(inputs as TlsSelfSignedCertInputs);
        case TLS_CERT_REQUEST: return createTlsCertRequest(inputs as TlsCertRequestInputs);
        case TLS_LOCALLY_SIGNED_CERT: return createTlsLocallySignedCert(inputs as TlsLocallySignedCertInputs);
        default: return undefined;
    }
}
