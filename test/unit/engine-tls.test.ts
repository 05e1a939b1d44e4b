// The mock engine's @pulumi/tls resources are real: a root CA, an
// intermediate and a gateway certificate declared with the SDK come out as
// a chain that OpenSSL verifies on the host, with the keys, extensions and
// validity asked for, and a second run under a new engine gives new keys.
// No Docker needed (the engine only talks to Docker for docker.* resources).
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DockerMockEngine } from "../../engine/docker-engine";

const LEAF_CN = "gateway-a 172.16.16.16";
const LEAF_IP = "172.16.16.16";
const LEAF_DNS = "gateway-a.vnetlab.test";
const HOURS = { root: 87600, intermediate: 43800, leaf: 720 };

function hasTool(name: string): boolean {
    try {
        execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

function run(cmd: string, args: string[], input?: string): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...(input !== undefined ? { input } : {}) });
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr ?? ""}${err.stdout ?? ""}${err.message}`);
    }
}

interface Pki {
    readonly rootKey: tls.PrivateKey;
    readonly root: tls.SelfSignedCert;
    readonly intKey: tls.PrivateKey;
    readonly intCsr: tls.CertRequest;
    readonly intermediate: tls.LocallySignedCert;
    readonly leafKey: tls.PrivateKey;
    readonly leafCsr: tls.CertRequest;
    readonly leaf: tls.LocallySignedCert;
}

/** The lab's PKI shape: the same program text every run. */
function declarePki(): Pki {
    const subject = (commonName: string) => ({ commonName, organization: "vnetlab", organizationalUnit: "lab PKI", country: "DE" });
    const rootKey = new tls.PrivateKey("root-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const root = new tls.SelfSignedCert("root", {
        privateKeyPem: rootKey.privateKeyPem,
        subject: subject("vnetlab root CA"),
        isCaCertificate: true,
        validityPeriodHours: HOURS.root,
        allowedUses: ["cert_signing", "crl_signing"],
    });
    const intKey = new tls.PrivateKey("intermediate-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const intCsr = new tls.CertRequest("intermediate-csr", { privateKeyPem: intKey.privateKeyPem, subject: subject("vnetlab intermediate CA") });
    const intermediate = new tls.LocallySignedCert("intermediate", {
        certRequestPem: intCsr.certRequestPem,
        caPrivateKeyPem: rootKey.privateKeyPem,
        caCertPem: root.certPem,
        isCaCertificate: true,
        validityPeriodHours: HOURS.intermediate,
        allowedUses: ["cert_signing", "crl_signing"],
    });
    const leafKey = new tls.PrivateKey("gateway-a-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const leafCsr = new tls.CertRequest("gateway-a-csr", {
        privateKeyPem: leafKey.privateKeyPem,
        subject: { commonName: LEAF_CN, organization: "vnetlab" },
        ipAddresses: [LEAF_IP],
        dnsNames: [LEAF_DNS],
    });
    const leaf = new tls.LocallySignedCert("gateway-a", {
        certRequestPem: leafCsr.certRequestPem,
        caPrivateKeyPem: intKey.privateKeyPem,
        caCertPem: intermediate.certPem,
        validityPeriodHours: HOURS.leaf,
        setSubjectKeyId: true,
        allowedUses: ["digital_signature", "server_auth", "client_auth"],
    });
    return { rootKey, root, intKey, intCsr, intermediate, leafKey, leafCsr, leaf };
}

interface PkiValues {
    readonly rootKeyPem: string;
    readonly rootKeyPkcs8: string;
    readonly rootPublicKeyPem: string;
    readonly rootOpenssh: string;
    readonly rootPrivateOpenssh: string;
    readonly rootFingerprintSha256: string;
    readonly rootFingerprintMd5: string;
    readonly rootKeyId: string;
    readonly rootPem: string;
    readonly rootId: string;
    readonly intPem: string;
    readonly intCsrPem: string;
    readonly leafKeyPem: string;
    readonly leafCsrPem: string;
    readonly leafPem: string;
    readonly leafId: string;
    readonly leafStart: string;
    readonly leafEnd: string;
    readonly rootStart: string;
    readonly rootEnd: string;
    readonly leafCaKeyAlgorithm: string;
    readonly csrKeyAlgorithm: string;
    readonly readyForRenewal: boolean;
}

async function valuesOf(engine: DockerMockEngine, p: Pki): Promise<PkiValues> {
    const o = <T>(out: pulumi.Output<T>): Promise<T> => engine.output(out);
    return {
        rootKeyPem: await o(p.rootKey.privateKeyPem),
        rootKeyPkcs8: await o(p.rootKey.privateKeyPemPkcs8),
        rootPublicKeyPem: await o(p.rootKey.publicKeyPem),
        rootOpenssh: await o(p.rootKey.publicKeyOpenssh),
        rootPrivateOpenssh: await o(p.rootKey.privateKeyOpenssh),
        rootFingerprintSha256: await o(p.rootKey.publicKeyFingerprintSha256),
        rootFingerprintMd5: await o(p.rootKey.publicKeyFingerprintMd5),
        rootKeyId: await o(p.rootKey.id),
        rootPem: await o(p.root.certPem),
        rootId: await o(p.root.id),
        intPem: await o(p.intermediate.certPem),
        intCsrPem: await o(p.intCsr.certRequestPem),
        leafKeyPem: await o(p.leafKey.privateKeyPem),
        leafCsrPem: await o(p.leafCsr.certRequestPem),
        leafPem: await o(p.leaf.certPem),
        leafId: await o(p.leaf.id),
        leafStart: await o(p.leaf.validityStartTime),
        leafEnd: await o(p.leaf.validityEndTime),
        rootStart: await o(p.root.validityStartTime),
        rootEnd: await o(p.root.validityEndTime),
        leafCaKeyAlgorithm: await o(p.leaf.caKeyAlgorithm),
        csrKeyAlgorithm: await o(p.leafCsr.keyAlgorithm),
        readyForRenewal: await o(p.leaf.readyForRenewal),
    };
}

describe("DockerMockEngine: @pulumi/tls for real (no Docker needed)", function () {
    this.timeout(30_000);
    let tmp = "";
    let engine: DockerMockEngine;
    let pki: Pki;
    let v: PkiValues;
    const file = (name: string, content: string): string => {
        const f = path.join(tmp, name);
        fs.writeFileSync(f, content, { mode: 0o600 });
        return f;
    };

    before(async function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-tls-"));
        engine = new DockerMockEngine();
        await pulumi.runtime.setMocks(engine, "vnetlab", "tls-unit", false);
        pki = declarePki();
        v = await valuesOf(engine, pki);
        await engine.settled();
    });

    after(function () {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("makes real ECDSA P-384 keys in the provider's PEM forms", function () {
        expect(v.rootKeyPem).to.match(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----\n$/);
        expect(v.rootKeyPkcs8).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
        expect(v.rootPublicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
        const key = crypto.createPrivateKey(v.rootKeyPem);
        expect(key.asymmetricKeyDetails?.namedCurve).to.equal("secp384r1");
        // All three forms are the same key.
        expect(crypto.createPrivateKey(v.rootKeyPkcs8).export({ format: "jwk" })).to.deep.equal(key.export({ format: "jwk" }));
        expect(crypto.createPublicKey(key).export({ type: "spki", format: "pem" })).to.equal(v.rootPublicKeyPem);
        // ID: SHA-1 of the PKIX public key, as the provider.
        const spki = crypto.createPublicKey(v.rootPublicKeyPem).export({ type: "spki", format: "der" });
        expect(v.rootKeyId).to.equal(crypto.createHash("sha1").update(spki).digest("hex"));
        expect(v.rootOpenssh).to.match(/^ecdsa-sha2-nistp384 AAAA[A-Za-z0-9+/=]+\n$/);
        expect(v.rootFingerprintSha256).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
        expect(v.rootFingerprintMd5).to.match(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
        expect(v.rootPrivateOpenssh).to.match(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    });

    it("keeps the private keys secret, as the real engine does with additionalSecretOutputs", async function () {
        expect(await pulumi.isSecret(pki.rootKey.privateKeyPem)).to.equal(true);
        expect(await pulumi.isSecret(pki.rootKey.privateKeyPemPkcs8)).to.equal(true);
        expect(await pulumi.isSecret(pki.rootKey.privateKeyOpenssh)).to.equal(true);
        expect(await pulumi.isSecret(pki.rootKey.publicKeyPem)).to.equal(false);
        // The SDK wraps the key inputs of the certificate resources itself.
        expect(await pulumi.isSecret(pki.root.privateKeyPem)).to.equal(true);
        expect(await pulumi.isSecret(pki.leaf.caPrivateKeyPem)).to.equal(true);
        expect(await pulumi.isSecret(pki.root.certPem)).to.equal(false);
        expect(await pulumi.isSecret(pki.leaf.certPem)).to.equal(false);
        // The engine's record holds plain values.
        expect(engine.find("tls:index/privateKey:PrivateKey", "root-key")?.outputs.privateKeyPem).to.equal(v.rootKeyPem);
    });

    it("has to: Pulumi's mock monitor ignores the SDK's additionalSecretOutputs", async function () {
        // Why the engine wraps those outputs itself: returned plainly, they would not be secret under mocks.
        await pulumi.runtime.setMocks({
            newResource: (a: pulumi.runtime.MockResourceArgs) => ({ id: "k", state: { ...a.inputs, privateKeyPem: "plain" } }),
            call: () => ({}),
        }, "vnetlab", "tls-unit", false);
        const key = new tls.PrivateKey("plain-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
        expect(await pulumi.isSecret(key.privateKeyPem)).to.equal(false);
    });

    it("reports the computed attributes the provider sets", function () {
        expect(v.rootId).to.match(/^\d+$/);
        expect(BigInt(v.rootId) < 2n ** 128n).to.equal(true);
        expect(new x509.X509Certificate(v.rootPem).serialNumber).to.equal(BigInt(v.rootId).toString(16).padStart(new x509.X509Certificate(v.rootPem).serialNumber.length, "0"));
        expect(v.leafCaKeyAlgorithm).to.equal("ECDSA");
        expect(v.csrKeyAlgorithm).to.equal("ECDSA");
        expect(v.readyForRenewal).to.equal(false);
        for (const t of [v.leafStart, v.leafEnd, v.rootStart, v.rootEnd]) expect(t).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(Date.parse(v.leafEnd) - Date.parse(v.leafStart)).to.equal(HOURS.leaf * 3600_000);
        expect(Date.parse(v.rootEnd) - Date.parse(v.rootStart)).to.equal(HOURS.root * 3600_000);
        expect(Math.abs(Date.parse(v.leafStart) - Date.now())).to.be.lessThan(60_000);
        const leafRec = engine.find("tls:index/locallySignedCert:LocallySignedCert", "gateway-a");
        expect(leafRec?.id).to.equal(v.leafId);
        expect(leafRec?.outputs).to.include({ isCaCertificate: false, earlyRenewalHours: 0, setSubjectKeyId: true, readyForRenewal: false });
    });

    it("builds a chain that verifies in JavaScript (signatures, issuer names, key ids)", async function () {
        const [root, int, leaf] = [v.rootPem, v.intPem, v.leafPem].map((p) => new x509.X509Certificate(p));
        expect(await root.verify({ publicKey: root.publicKey, signatureOnly: true }, crypto.webcrypto as never)).to.equal(true);
        expect(await int.verify({ publicKey: root.publicKey, signatureOnly: true }, crypto.webcrypto as never)).to.equal(true);
        expect(await leaf.verify({ publicKey: int.publicKey, signatureOnly: true }, crypto.webcrypto as never)).to.equal(true);
        expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true }, crypto.webcrypto as never)).to.equal(false);
        expect(leaf.issuer).to.equal(int.subject);
        expect(int.issuer).to.equal(root.subject);
        expect(root.issuer).to.equal(root.subject);
        const skid = (c: x509.X509Certificate) => c.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
        const akid = (c: x509.X509Certificate) => c.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
        expect(akid(leaf)).to.equal(skid(int)).and.to.be.a("string");
        expect(akid(int)).to.equal(skid(root)).and.to.be.a("string");
        expect(akid(root)).to.equal(undefined); // setAuthorityKeyId not asked for
        expect(skid(leaf)).to.be.a("string"); // setSubjectKeyId
        // The provider's key id: SHA-1 of the uncompressed point (elliptic.Marshal), the end of the SPKI.
        const point = crypto.createPublicKey(v.rootPublicKeyPem).export({ type: "spki", format: "der" }).subarray(-97);
        expect(point[0]).to.equal(4);
        expect(skid(root)).to.equal(crypto.createHash("sha1").update(point).digest("hex"));
        // The leaf certifies the key of its request.
        expect(Buffer.from(leaf.publicKey.rawData)).to.deep.equal(crypto.createPublicKey(v.leafKeyPem).export({ type: "spki", format: "der" }));
    });

    describe("checked by OpenSSL on the host", function () {
        before(function () {
            if (!hasTool("openssl")) this.skip();
        });

        it("verifies the chain root → intermediate → gateway, strictly", function () {
            const root = file("root.pem", v.rootPem);
            const int = file("intermediate.pem", v.intPem);
            const leaf = file("leaf.pem", v.leafPem);
            expect(run("openssl", ["verify", "-CAfile", root, "-untrusted", int, leaf]).trim()).to.equal(`${leaf}: OK`);
            expect(run("openssl", ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", root, "-untrusted", int, leaf]).trim()).to.equal(`${leaf}: OK`);
            expect(run("openssl", ["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", root, "-untrusted", int, leaf]).trim()).to.equal(`${leaf}: OK`);
            // Without the intermediate there is no path.
            expect(() => run("openssl", ["verify", "-CAfile", root, leaf])).to.throw(/unable to get local issuer certificate/);
        });

        it("shows the keys, constraints, usages and names asked for", function () {
            const text = (name: string, pemText: string) => run("openssl", ["x509", "-noout", "-text", "-nameopt", "RFC2253", "-in", file(name, pemText)]);
            const root = text("root.pem", v.rootPem);
            const int = text("intermediate.pem", v.intPem);
            const leaf = text("leaf.pem", v.leafPem);
            for (const t of [root, int, leaf]) {
                expect(t).to.include("Version: 3 (0x2)");
                expect(t).to.include("Public Key Algorithm: id-ecPublicKey");
                expect(t).to.include("Public-Key: (384 bit)");
                expect(t).to.include("ASN1 OID: secp384r1");
                expect(t).to.include("Signature Algorithm: ecdsa-with-SHA384");
            }
            for (const t of [root, int]) {
                expect(t).to.match(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
                expect(t).to.match(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
                expect(t).to.include("X509v3 Subject Key Identifier");
                expect(t).to.not.include("Extended Key Usage");
            }
            expect(root).to.include("Subject: CN=vnetlab root CA,OU=lab PKI,O=vnetlab,C=DE");
            expect(root).to.include("Issuer: CN=vnetlab root CA,OU=lab PKI,O=vnetlab,C=DE");
            expect(int).to.include("Subject: CN=vnetlab intermediate CA,OU=lab PKI,O=vnetlab,C=DE");
            expect(int).to.include("Issuer: CN=vnetlab root CA,OU=lab PKI,O=vnetlab,C=DE");
            expect(leaf).to.include(`Subject: CN=${LEAF_CN},O=vnetlab`);
            expect(leaf).to.include("Issuer: CN=vnetlab intermediate CA,OU=lab PKI,O=vnetlab,C=DE");
            expect(leaf).to.match(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
            expect(leaf).to.match(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
            expect(leaf).to.match(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
            // Not critical: the subject is not empty.
            expect(leaf).to.match(new RegExp(`X509v3 Subject Alternative Name: \\n\\s+DNS:${LEAF_DNS.replace(/\./g, "\\.")}, IP Address:${LEAF_IP.replace(/\./g, "\\.")}\\n`));
            expect(leaf).to.include("X509v3 Authority Key Identifier");
        });

        it("dates the certificates as asked", function () {
            const dates = (pemText: string) => {
                const out = run("openssl", ["x509", "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"], pemText);
                const start = /notBefore=(.*)/.exec(out)?.[1] ?? "";
                const end = /notAfter=(.*)/.exec(out)?.[1] ?? "";
                return { start: Date.parse(start.replace(" ", "T")), end: Date.parse(end.replace(" ", "T")) };
            };
            const leaf = dates(v.leafPem);
            expect(leaf.end - leaf.start).to.equal(HOURS.leaf * 3600_000);
            // The certificate holds whole seconds; the attribute keeps the fraction (as Go's time.MarshalText).
            expect(Math.floor(Date.parse(v.leafStart) / 1000) * 1000).to.equal(leaf.start);
            expect(Math.floor(Date.parse(v.leafEnd) / 1000) * 1000).to.equal(leaf.end);
            const root = dates(v.rootPem);
            expect(root.end - root.start).to.equal(HOURS.root * 3600_000);
            expect(run("openssl", ["x509", "-noout", "-checkend", "0"], v.rootPem)).to.match(/will not expire/);
        });

        it("writes requests signed with their key, SANs in the extension request", function () {
            const csr = file("leaf.csr", v.leafCsrPem);
            const out = run("openssl", ["req", "-in", csr, "-noout", "-verify", "-text", "-nameopt", "RFC2253"]);
            expect(out).to.include(`Subject: CN=${LEAF_CN},O=vnetlab`);
            expect(out).to.include("Requested Extensions:");
            expect(out).to.include(`DNS:${LEAF_DNS}, IP Address:${LEAF_IP}`);
            expect(out).to.include("ASN1 OID: secp384r1");
            const pub = run("openssl", ["req", "-in", csr, "-noout", "-pubkey"]);
            expect(pub).to.equal(crypto.createPublicKey(v.leafKeyPem).export({ type: "spki", format: "pem" }));
            // The intermediate's request has no SANs: no attributes at all, as Go writes it.
            expect(run("openssl", ["req", "-noout", "-text"], v.intCsrPem)).to.match(/Attributes:\n\s+(\(none\)|a0:00)/);
        });

        it("reads the keys: SEC1 and PKCS#8, the public key matching", function () {
            expect(run("openssl", ["ec", "-check", "-noout"], v.rootKeyPem)).to.equal("");
            expect(run("openssl", ["pkey", "-pubout"], v.rootKeyPem)).to.equal(v.rootPublicKeyPem);
            expect(run("openssl", ["pkey", "-pubout"], v.rootKeyPkcs8)).to.equal(v.rootPublicKeyPem);
        });
    });

    describe("checked by ssh-keygen on the host", function () {
        before(function () {
            if (!hasTool("ssh-keygen")) this.skip();
        });

        it("writes OpenSSH keys and fingerprints ssh-keygen agrees with", function () {
            const priv = file("id_ecdsa", v.rootPrivateOpenssh);
            expect(run("ssh-keygen", ["-y", "-f", priv]).trim()).to.equal(v.rootOpenssh.trim());
            const pub = file("id_ecdsa.pub", v.rootOpenssh);
            expect(run("ssh-keygen", ["-l", "-E", "sha256", "-f", pub])).to.include(v.rootFingerprintSha256);
            expect(run("ssh-keygen", ["-l", "-E", "md5", "-f", pub])).to.include(`MD5:${v.rootFingerprintMd5}`);
        });
    });

    it("makes new keys and certificates on a second run of the same program", async function () {
        const second = new DockerMockEngine();
        await pulumi.runtime.setMocks(second, "vnetlab", "tls-unit", false);
        const again = await valuesOf(second, declarePki());
        expect(again.rootKeyPem).to.not.equal(v.rootKeyPem);
        expect(again.rootPublicKeyPem).to.not.equal(v.rootPublicKeyPem);
        expect(again.leafKeyPem).to.not.equal(v.leafKeyPem);
        expect(again.rootId).to.not.equal(v.rootId);
        expect(again.leafId).to.not.equal(v.leafId);
        expect(again.leafPem).to.not.equal(v.leafPem);
        // Same program inputs: same names.
        const [a, b] = [v.leafPem, again.leafPem].map((p) => new x509.X509Certificate(p));
        expect(b.subject).to.equal(a.subject);
        expect(b.issuer).to.equal(a.issuer);
        // Registration order follows completion, which varies: compare by name.
        const inputs = (e: DockerMockEngine) => e.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey")
            .map((r) => [r.name, r.inputs] as const).sort(([a], [b]) => a.localeCompare(b));
        expect(inputs(second)).to.deep.equal(inputs(engine));
    });

    describe("other key types and the provider's refusals", function () {
        const create = (engine: DockerMockEngine, type: string, name: string, inputs: Record<string, unknown>) =>
            engine.newResource({ type, name, inputs, custom: true }).then((r) => r.state as Record<string, unknown>);
        const plain = (v: unknown): string => (typeof v === "object" && v !== null && "value" in v ? String((v as { value: unknown }).value) : String(v));

        it("self-signs with RSA (PKCS#1) and ED25519 (PKCS#8) keys", async function () {
            const e = new DockerMockEngine();
            for (const [algorithm, label, sigAlg] of [["RSA", "RSA PRIVATE KEY", "sha256WithRSAEncryption"], ["ED25519", "PRIVATE KEY", "ED25519"]] as const) {
                const key = await create(e, "tls:index/privateKey:PrivateKey", `k-${algorithm}`, { algorithm });
                const keyPem = plain(key.privateKeyPem);
                expect(keyPem.startsWith(`-----BEGIN ${label}-----\n`)).to.equal(true);
                const cert = await create(e, "tls:index/selfSignedCert:SelfSignedCert", `c-${algorithm}`, {
                    privateKeyPem: keyPem, subject: { commonName: "x" }, validityPeriodHours: 1, allowedUses: ["digital_signature"],
                    setSubjectKeyId: true, setAuthorityKeyId: true, uris: ["spiffe://vnetlab/x"], ipAddresses: ["fd00::1", "::ffff:10.0.0.1"],
                });
                expect(cert.keyAlgorithm).to.equal(algorithm);
                const c = new x509.X509Certificate(String(cert.certPem));
                expect(await c.verify({ signatureOnly: true }, crypto.webcrypto as never)).to.equal(true);
                expect(c.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).to.equal(c.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
                const san = c.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => `${n.type}:${n.value}`);
                expect(san).to.deep.equal(["ip:fd00::1", "ip:10.0.0.1", "url:spiffe://vnetlab/x"]);
                if (hasTool("openssl")) expect(run("openssl", ["x509", "-noout", "-text"], String(cert.certPem))).to.include(`Signature Algorithm: ${sigAlg}`);
            }
            expect(e.errors).to.deep.equal([]);
        });

        it("generates P224 keys but names the signing limit; refuses what the provider refuses", async function () {
            const e = new DockerMockEngine();
            const p224 = await create(e, "tls:index/privateKey:PrivateKey", "p224", { algorithm: "ECDSA" });
            expect(p224.ecdsaCurve).to.equal("P224");
            expect(crypto.createPrivateKey(plain(p224.privateKeyPem)).asymmetricKeyDetails?.namedCurve).to.equal("secp224r1");
            expect(p224.publicKeyOpenssh).to.equal(""); // x/crypto/ssh has no P-224
            const fail = (type: string, inputs: Record<string, unknown>) =>
                create(e, type, "bad", inputs).then(() => "created", (err: Error) => err.message);
            const cert = { validityPeriodHours: 1, allowedUses: ["digital_signature"] };
            expect(await fail("tls:index/selfSignedCert:SelfSignedCert", { ...cert, privateKeyPem: plain(p224.privateKeyPem), subject: { commonName: "x" } }))
                .to.match(/signing with an ECDSA P224 key is not implemented by the mock engine/);
            const p384 = plain((await create(e, "tls:index/privateKey:PrivateKey", "p384", { algorithm: "ECDSA", ecdsaCurve: "P384" })).privateKeyPem);
            expect(await fail("tls:index/selfSignedCert:SelfSignedCert", { ...cert, privateKeyPem: p384, allowedUses: ["certSigning"] }))
                .to.match(/allowedUses: "certSigning" is not one of any_extended, cert_signing/);
            expect(await fail("tls:index/selfSignedCert:SelfSignedCert", { ...cert, privateKeyPem: p384, isCaCertificate: true }))
                .to.match(/Must contain at least one Distinguished Name when creating Certificate Authority/);
            expect(await fail("tls:index/selfSignedCert:SelfSignedCert", { ...cert, privateKeyPem: p384, setAuthorityKeyId: true }))
                .to.match(/Could not determine Authority Key Identifier/);
            expect(await fail("tls:index/privateKey:PrivateKey", { algorithm: "DSA" })).to.match(/algorithm "DSA" is not one of RSA, ECDSA, ED25519/);
            expect(await fail("tls:index/certRequest:CertRequest", { privateKeyPem: p384, ipAddresses: ["172.16.16.300"] })).to.match(/Invalid IP address/);
            // A CA key that does not belong to the CA certificate.
            expect(await fail("tls:index/locallySignedCert:LocallySignedCert", {
                ...cert, certRequestPem: v.leafCsrPem, caCertPem: v.intPem, caPrivateKeyPem: v.rootKeyPem,
            })).to.match(/provided PrivateKey doesn't match parent's PublicKey/);
            expect(await fail("tls:index/locallySignedCert:LocallySignedCert", {
                ...cert, certRequestPem: v.leafPem, caCertPem: v.intPem, caPrivateKeyPem: v.rootKeyPem,
            })).to.match(/expected "CERTIFICATE REQUEST", got "CERTIFICATE"/);
            expect(await fail("tls:index/selfSignedCert:SelfSignedCert", { ...cert, privateKeyPem: p384, nameConstraintPermittedDnsNames: ["x"] }))
                .to.match(/input\(s\) nameConstraintPermittedDnsNames not implemented by the mock engine/);
        });
    });
});
