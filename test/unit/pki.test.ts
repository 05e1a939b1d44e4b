// The lab PKI as the program hands it to the gateways, under Pulumi mocks:
// the chain, its shape, where the keys go, and what a revocation changes.
import { expect } from "chai";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { RecordingMocks, Registered, TEST_SEED, filesOf, isSecret, runLab, stackLab } from "../support/recording-mocks";
import { parseLab } from "../../model/validate";
import { PKI_NOT_BEFORE, planLab } from "../../plan/plan";
import { CREDENTIAL_PATHS, SECRETS_CONF, SWANCTL_CONF } from "../../configs";
import { Pki, VpnTunnel } from "../../components";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */
type Json = any;

const nodeFiles = (mocks: RecordingMocks, container: string) => filesOf(mocks.container(container));
const certOf = (mocks: RecordingMocks, container: string, path: string) => new x509.X509Certificate(nodeFiles(mocks, container).get(path)!.content);
const revokedWith = (gateways: string[]) => {
    const lab = stackLab("site-to-site") as Json;
    lab.pki = { revoke: gateways };
    return lab;
};
const GATEWAYS = ["gateway-a", "gateway-b", "gateway-s"];
const OTHER_SEED = "another-seed-for-the-same-lab-fedcba9876543210";

describe("lab PKI (site-to-site, derived from the seed)", function () {
    this.timeout(30000);
    const plan = planLab(parseLab(stackLab("site-to-site"), "site-to-site"), "site-to-site");
    let mocks: RecordingMocks;
    before(async () => { mocks = await runLab(stackLab("site-to-site"), "site-to-site"); });

    it("chains each gateway's certificate to the intermediate and the intermediate to the root", async () => {
        const root = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.rootCa);
        const intermediate = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.intermediateCa);
        expect(root.subject).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Root CA");
        expect(root.issuer).to.equal(root.subject);
        expect(await root.verify({ publicKey: root.publicKey, signatureOnly: true })).to.equal(true);
        expect(intermediate.issuer).to.equal(root.subject);
        expect(intermediate.subject).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Intermediate CA");
        expect(await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true })).to.equal(true);
        const keyId = (c: x509.X509Certificate) => c.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
        expect(intermediate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).to.equal(keyId(root));
        for (const ca of [root, intermediate]) {
            expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca, ca.subject).to.equal(true);
            const usages = ca.getExtension(x509.KeyUsagesExtension)!.usages;
            expect(usages & x509.KeyUsageFlags.keyCertSign).to.not.equal(0);
            expect(usages & x509.KeyUsageFlags.cRLSign).to.not.equal(0);
        }
        for (const gw of GATEWAYS) {
            const cert = certOf(mocks, gw, CREDENTIAL_PATHS.certificate);
            expect(cert.issuer).to.equal(intermediate.subject);
            expect(await cert.verify({ publicKey: intermediate.publicKey, signatureOnly: true }), gw).to.equal(true);
            expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false).to.equal(false);
            expect(cert.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.digitalSignature).to.not.equal(0);
            expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).to.deep.equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
            expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).to.equal(keyId(intermediate));
        }
    });

    it("uses ECDSA P-384 keys and the configured validity, from the fixed start", () => {
        const cert = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.certificate);
        expect((cert.publicKey.algorithm as { namedCurve?: string }).namedCurve).to.equal("P-384");
        expect(cert.signatureAlgorithm).to.deep.include({ name: "ECDSA" });
        const key = crypto.createPrivateKey(nodeFiles(mocks, "gateway-a").get(CREDENTIAL_PATHS.privateKey)!.content);
        expect(key.asymmetricKeyDetails?.namedCurve).to.equal("secp384r1");
        expect(Buffer.from(crypto.createPublicKey(key).export({ type: "spki", format: "der" })).equals(Buffer.from(cert.publicKey.rawData))).to.equal(true);
        expect(cert.notBefore.toISOString()).to.equal(new Date(PKI_NOT_BEFORE).toISOString());
        const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86400000;
        expect(days).to.equal(3650);
        // Each CA outlives what it signs.
        const root = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.rootCa);
        const intermediate = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.intermediateCa);
        expect(intermediate.notAfter.getTime()).to.be.greaterThan(cert.notAfter.getTime());
        expect(root.notAfter.getTime()).to.be.greaterThan(intermediate.notAfter.getTime());
    });

    it("names each gateway in the seed's style with its IKE identity as SAN, the identity swanctl uses", () => {
        for (const tunnel of plan.tunnels) {
            for (const end of tunnel.ends) {
                const cert = certOf(mocks, end.gateway, CREDENTIAL_PATHS.certificate);
                expect(cert.subject).to.equal(`C=FI, O=vnetlab, CN=${end.gateway} ${end.address}`);
                const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
                expect(san).to.deep.equal([{ type: "ip", value: end.address }]);
                const swanctl: string = nodeFiles(mocks, end.gateway).get(SWANCTL_CONF)!.content;
                expect(swanctl).to.match(new RegExp(`local \\{\\s*auth = pubkey\\s*certs = gateway.pem\\s*id = ${end.address.replace(/\./g, "\\.")}`));
            }
        }
    });

    it("puts each gateway's own key, and no other, only inside its secret upload (0600); the CA keys nowhere", () => {
        for (const container of mocks.containers()) {
            const uploads = (container.inputs as Json).uploads;
            const keys = [...nodeFiles(mocks, container.name).values()].filter((f) => /PRIVATE KEY/.test(f.content));
            if (!GATEWAYS.includes(container.name)) {
                expect(keys, container.name).to.deep.equal([]);
                continue;
            }
            expect(isSecret(uploads), `${container.name}'s uploads are a Pulumi secret`).to.equal(true);
            expect(keys.map((k) => [k.path, k.mode]), container.name).to.deep.equal([[CREDENTIAL_PATHS.privateKey, "0600"]]);
            const own = crypto.createPublicKey(keys[0].content).export({ type: "spki", format: "der" });
            const cert = certOf(mocks, container.name, CREDENTIAL_PATHS.certificate);
            expect(Buffer.from(own).equals(Buffer.from(cert.publicKey.rawData)), container.name).to.equal(true);
        }
    });

    it("keeps what derives from the seed secret, even from a plain seed, and leaves certificates and CRLs public", async () => {
        pulumi.runtime.setMocks(new RecordingMocks(), "vnetlab", "site-to-site", false);
        const pki = new Pki("secrecy", { pki: plan.pki!, seed: TEST_SEED });
        const tunnel = new VpnTunnel("a-s", { tunnel: { ...plan.tunnels[0], auth: "psk" }, seed: TEST_SEED });
        for (const gw of GATEWAYS) {
            expect(await pulumi.isSecret(pki.gateways[gw].privateKeyPem), gw).to.equal(true);
            expect(await pulumi.isSecret(pki.gateways[gw].credentials), gw).to.equal(false);
        }
        expect(await pulumi.isSecret(tunnel.psk!)).to.equal(true);
    });

    it("registers identical inputs on a second run with the same seed, with nothing kept in between", async () => {
        const again = await runLab(stackLab("site-to-site"), "site-to-site");
        const view = (r: Registered[]) => r.map((x) => JSON.stringify([x.type, x.name, x.inputs])).sort();
        expect(view(again.resources)).to.deep.equal(view(mocks.resources));
    });

    it("installs an empty intermediate CRL until something is revoked", () => {
        const crl = new x509.X509Crl(nodeFiles(mocks, "gateway-s").get(CREDENTIAL_PATHS.intermediateCrl)!.content);
        expect(crl.issuer).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Intermediate CA");
        expect(crl.entries).to.deep.equal([]);
    });

    it("revokes a gateway: its serial in a CRL every gateway gets, and nothing else changes", async () => {
        const revoked = await runLab(revokedWith(["gateway-b"]), "site-to-site");
        const serial = certOf(revoked, "gateway-b", CREDENTIAL_PATHS.certificate).serialNumber;
        for (const gw of GATEWAYS) {
            const crl = new x509.X509Crl(nodeFiles(revoked, gw).get(CREDENTIAL_PATHS.intermediateCrl)!.content);
            expect(crl.entries.map((e) => e.serialNumber), gw).to.deep.equal([serial]);
            const issuer = certOf(revoked, gw, CREDENTIAL_PATHS.intermediateCa);
            expect(await crl.verify({ publicKey: issuer.publicKey }), gw).to.equal(true);
        }
        const key = (r: Registered) => `${r.type}/${r.name}`;
        const before = new Map(mocks.resources.map((r) => [key(r), JSON.stringify(r.inputs)]));
        const changed = revoked.resources.filter((r) => before.get(key(r)) !== JSON.stringify(r.inputs)).map((r) => r.name).sort();
        expect(changed).to.deep.equal(GATEWAYS);
        // Only the intermediate's CRL changed among those gateways' files.
        for (const gw of GATEWAYS) {
            const differing = [...nodeFiles(revoked, gw)].filter(([file, f]) => nodeFiles(mocks, gw).get(file)?.content !== f.content).map(([file]) => file);
            expect(differing, gw).to.deep.equal([CREDENTIAL_PATHS.intermediateCrl]);
        }

        // The same revocation again: byte-identical CRL, so no gateway changes.
        const again = await runLab(revokedWith(["gateway-b"]), "site-to-site");
        expect(again.resources.map((r) => JSON.stringify(r.inputs)).sort()).to.deep.equal(revoked.resources.map((r) => JSON.stringify(r.inputs)).sort());
    });

    it("generates no PKI for a lab whose tunnels all use PSK", async () => {
        const psk = await runLab(stackLab("dev"), "dev");
        for (const container of psk.containers()) {
            const contents = [...nodeFiles(psk, container.name).values()];
            expect(contents.filter((f) => f.path.includes("x509") || /PRIVATE KEY|BEGIN CERTIFICATE/.test(f.content)), container.name).to.deep.equal([]);
        }
    });

    it("changes every certificate, CRL, key and generated PSK with another seed", async () => {
        const other = await runLab(stackLab("site-to-site"), "site-to-site", {}, new RecordingMocks(), OTHER_SEED);
        for (const gw of GATEWAYS) {
            const mine = nodeFiles(mocks, gw);
            const theirs = nodeFiles(other, gw);
            for (const file of Object.values(CREDENTIAL_PATHS)) {
                expect(theirs.get(file)!.content, `${gw} ${file}`).to.not.equal(mine.get(file)!.content);
            }
        }
        const secretsOf = async (seed: string) => nodeFiles(await runLab(stackLab("dev"), "dev", {}, new RecordingMocks(), seed), "gateway-a").get(SECRETS_CONF)!.content;
        expect(await secretsOf(OTHER_SEED)).to.not.equal(await secretsOf(TEST_SEED));
    });
});
