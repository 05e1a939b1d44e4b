import { expect } from "chai";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { MockState, RecordingMocks, Registered, isSecret, runLab, stackLab } from "../support/recording-mocks";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { CREDENTIAL_PATHS, SWANCTL_CONF } from "../../configs";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */
type Json = any;

const reveal = (value: Json): Json => (isSecret(value) ? value.value : value);
const uploadsOf = (mocks: RecordingMocks, container: string): Map<string, Json> => {
    const c = mocks.containers().find((r) => r.name === container)!;
    return new Map(reveal((c.inputs as Json).uploads).map(reveal).map((u: Json) => [u.file, u]));
};
const certOf = (mocks: RecordingMocks, container: string, path: string) => new x509.X509Certificate(uploadsOf(mocks, container).get(path)!.content);
const revokedWith = (gateways: string[]) => {
    const lab = stackLab("site-to-site") as Json;
    lab.pki = { revoke: gateways };
    return lab;
};

describe("lab PKI (site-to-site, under mocks that make real keys)", function () {
    this.timeout(30000);
    const plan = planLab(parseLab(stackLab("site-to-site"), "site-to-site"), "site-to-site");
    const state: MockState = new Map();
    let mocks: RecordingMocks;
    before(async () => { mocks = await runLab(stackLab("site-to-site"), "site-to-site", {}, new RecordingMocks(state)); });

    it("chains each gateway's certificate to the intermediate and the intermediate to the root", async () => {
        const root = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.rootCa);
        const intermediate = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.intermediateCa);
        expect(root.subject).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Root CA");
        expect(root.issuer).to.equal(root.subject);
        expect(intermediate.issuer).to.equal(root.subject);
        expect(intermediate.subject).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Intermediate CA");
        expect(await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true })).to.equal(true);
        for (const ca of [root, intermediate]) {
            expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca, ca.subject).to.equal(true);
            const usages = ca.getExtension(x509.KeyUsagesExtension)!.usages;
            expect(usages & x509.KeyUsageFlags.keyCertSign).to.not.equal(0);
            expect(usages & x509.KeyUsageFlags.cRLSign).to.not.equal(0);
        }
        for (const gw of ["gateway-a", "gateway-b", "gateway-s"]) {
            const cert = certOf(mocks, gw, CREDENTIAL_PATHS.certificate);
            expect(cert.issuer).to.equal(intermediate.subject);
            expect(await cert.verify({ publicKey: intermediate.publicKey, signatureOnly: true }), gw).to.equal(true);
            expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false).to.equal(false);
            expect(cert.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.digitalSignature).to.not.equal(0);
        }
    });

    it("uses ECDSA P-384 keys and the configured validity", () => {
        for (const key of mocks.ofType("tls:index/privateKey:PrivateKey")) {
            expect(key.inputs).to.deep.include({ algorithm: "ECDSA", ecdsaCurve: "P384" });
        }
        const cert = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.certificate);
        expect((cert.publicKey.algorithm as { namedCurve?: string }).namedCurve).to.equal("P-384");
        expect(cert.signatureAlgorithm).to.deep.include({ name: "ECDSA" });
        const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86400000;
        expect(days).to.be.closeTo(3650, 0.01);
        const root = certOf(mocks, "gateway-a", CREDENTIAL_PATHS.rootCa);
        expect(root.notAfter.getTime()).to.be.greaterThan(cert.notAfter.getTime());
    });

    it("names each gateway in the seed's style with its IKE identity as SAN, the identity swanctl uses", () => {
        for (const tunnel of plan.tunnels) {
            for (const end of tunnel.ends) {
                const cert = certOf(mocks, end.gateway, CREDENTIAL_PATHS.certificate);
                expect(cert.subject).to.equal(`C=FI, O=vnetlab, CN=${end.gateway} ${end.address}`);
                const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
                expect(san).to.deep.equal([{ type: "ip", value: end.address }]);
                const swanctl: string = uploadsOf(mocks, end.gateway).get(SWANCTL_CONF)!.content;
                expect(swanctl).to.match(new RegExp(`local \\{\\s*auth = pubkey\\s*certs = gateway.pem\\s*id = ${end.address.replace(/\./g, "\\.")}`));
            }
        }
    });

    it("keeps private keys secret and out of every plain input", () => {
        for (const key of mocks.ofType("tls:index/certRequest:CertRequest").concat(mocks.ofType("tls:index/locallySignedCert:LocallySignedCert"))) {
            const pem = (key.inputs as Json).privateKeyPem ?? (key.inputs as Json).caPrivateKeyPem;
            expect(isSecret(pem), `${key.type} ${key.name}`).to.equal(true);
        }
        const gw = mocks.containers().find((r) => r.name === "gateway-a")!;
        expect(isSecret((gw.inputs as Json).uploads)).to.equal(true);
        expect(uploadsOf(mocks, "gateway-a").get(CREDENTIAL_PATHS.privateKey)).to.deep.include({ permissions: "0600" });
    });

    it("registers identical inputs on a second run with the same state", async () => {
        const again = await runLab(stackLab("site-to-site"), "site-to-site", {}, new RecordingMocks(state));
        const view = (r: Registered[]) => r.map((x) => JSON.stringify([x.type, x.name, x.inputs])).sort();
        expect(view(again.resources)).to.deep.equal(view(mocks.resources));
    });

    it("installs an empty intermediate CRL until something is revoked", () => {
        const crl = new x509.X509Crl(uploadsOf(mocks, "gateway-s").get(CREDENTIAL_PATHS.intermediateCrl)!.content);
        expect(crl.issuer).to.equal("C=FI, O=vnetlab, CN=vnetlab-site-to-site Intermediate CA");
        expect(crl.entries).to.deep.equal([]);
    });

    it("revokes a gateway: its serial in a CRL every gateway gets, and nothing else changes", async () => {
        const revoked = await runLab(revokedWith(["gateway-b"]), "site-to-site", {}, new RecordingMocks(state));
        const serial = certOf(revoked, "gateway-b", CREDENTIAL_PATHS.certificate).serialNumber;
        for (const gw of ["gateway-a", "gateway-b", "gateway-s"]) {
            const crl = new x509.X509Crl(uploadsOf(revoked, gw).get(CREDENTIAL_PATHS.intermediateCrl)!.content);
            expect(crl.entries.map((e) => e.serialNumber), gw).to.deep.equal([serial]);
            const issuer = certOf(revoked, gw, CREDENTIAL_PATHS.intermediateCa);
            expect(await crl.verify({ publicKey: issuer.publicKey }), gw).to.equal(true);
        }
        const key = (r: Registered) => `${r.type}/${r.name}`;
        const before = new Map(mocks.resources.map((r) => [key(r), JSON.stringify(r.inputs)]));
        const changed = revoked.resources.filter((r) => before.get(key(r)) !== JSON.stringify(r.inputs)).map((r) => r.name).sort();
        expect(changed).to.deep.equal(["gateway-a", "gateway-b", "gateway-s"]);

        // The same revocation again: byte-identical CRL, so no gateway changes.
        const again = await runLab(revokedWith(["gateway-b"]), "site-to-site", {}, new RecordingMocks(state));
        expect(again.resources.map((r) => JSON.stringify(r.inputs)).sort()).to.deep.equal(revoked.resources.map((r) => JSON.stringify(r.inputs)).sort());
    });

    it("generates no PKI for a lab whose tunnels all use PSK", async () => {
        const psk = await runLab(stackLab("dev"), "dev");
        expect(psk.resources.filter((r) => r.type.startsWith("tls:"))).to.deep.equal([]);
        expect([...uploadsOf(psk, "gateway-a").keys()].filter((f) => f.includes("x509"))).to.deep.equal([]);
    });
});
