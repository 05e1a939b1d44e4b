// The lab's PKI and PSKs as pure functions of the seed (configs/pki.ts,
// configs/psk.ts), without Pulumi: same seed same bytes, another seed other
// keys, no clock, and a chain and CRLs that OpenSSL accepts.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { TEST_SEED, stackLab } from "../support/recording-mocks";
import { parseLab } from "../../model/validate";
import { PKI_NOT_BEFORE, planLab } from "../../plan/plan";
import type { PkiPlan } from "../../plan/types";
import { LabPki, PSK_LENGTH, derivePki, derivePsk } from "../../configs";

const GATEWAYS = ["gateway-a", "gateway-b", "gateway-s"];
const OTHER_SEED = "another-seed-for-the-same-lab-fedcba9876543210";
const pkiPlanOf = (revoke: string[]): PkiPlan => {
    const lab = stackLab("site-to-site") as { pki?: unknown };
    lab.pki = { revoke };
    return planLab(parseLab(lab, "site-to-site"), "site-to-site").pki!;
};

describe("PKI and PSK derivation (configs/pki.ts, configs/psk.ts)", function () {
    this.timeout(30000);
    const pki = pkiPlanOf([]);
    const pems = (p: LabPki): string[] => [
        p.rootCaPem, p.intermediateCaPem, p.rootCrlPem, p.intermediateCrlPem,
        ...Object.values(p.gateways).flatMap((g) => [g.certificatePem, g.privateKeyPem]),
    ];
    let derived: LabPki;
    before(async () => { derived = await derivePki(TEST_SEED, pki); });

    it("gives byte-identical PEMs for the same seed and plan", async () => {
        expect(await derivePki(TEST_SEED, pki)).to.deep.equal(derived);
        expect(Object.keys(derived.gateways)).to.deep.equal(GATEWAYS);
    });

    it("gives another key, certificate, CRL signature and PSK for every other seed", async () => {
        const other = await derivePki(OTHER_SEED, pki);
        const mine = pems(derived);
        const theirs = pems(other);
        expect(theirs.filter((pem) => mine.includes(pem))).to.deep.equal([]);
        expect(derivePsk(OTHER_SEED, "a-s")).to.not.equal(derivePsk(TEST_SEED, "a-s"));
    });

    it("reads no clock: a clock two centuries ahead gives the same bytes", async () => {
        const realDate = globalThis.Date;
        const future = Date.UTC(2226, 0, 1);
        // Date.now and `new Date()` both answer from the future, the way a clock read inside any library would.
        globalThis.Date = new Proxy(realDate, {
            construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [future] : args, newTarget),
            apply: () => new realDate(future).toString(),
            get: (target, property, receiver) => (property === "now" ? () => future : Reflect.get(target, property, receiver)),
        });
        let later: LabPki;
        try {
            expect(Date.now()).to.equal(future);
            later = await derivePki(TEST_SEED, pki);
        } finally {
            globalThis.Date = realDate;
        }
        expect(pems(later)).to.deep.equal(pems(derived));
    });

    it("gives every certificate its own positive 16-byte serial number", () => {
        const certificates = [derived.rootCaPem, derived.intermediateCaPem, ...Object.values(derived.gateways).map((g) => g.certificatePem)]
            .map((pem) => new x509.X509Certificate(pem));
        const serials = certificates.map((c) => c.serialNumber);
        expect(new Set(serials).size).to.equal(serials.length);
        for (const serial of serials) expect(serial).to.match(/^[4-7][0-9a-f]{31}$/);
    });

    it("derives a PSK per tunnel: 48 base64url characters, the same every time", () => {
        const psk = derivePsk(TEST_SEED, "a-s");
        expect(psk).to.have.length(PSK_LENGTH).and.match(/^[A-Za-z0-9_-]+$/);
        expect(derivePsk(TEST_SEED, "a-s")).to.equal(psk);
        expect(derivePsk(TEST_SEED, "b-s")).to.not.equal(psk);
    });

    describe("as OpenSSL sees it", () => {
        let dir: string;
        const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        const write = (p: LabPki) => {
            fs.writeFileSync(path.join(dir, "root.pem"), p.rootCaPem);
            fs.writeFileSync(path.join(dir, "intermediate.pem"), p.intermediateCaPem);
            fs.writeFileSync(path.join(dir, "root.crl"), p.rootCrlPem);
            fs.writeFileSync(path.join(dir, "intermediate.crl"), p.intermediateCrlPem);
            for (const [gw, g] of Object.entries(p.gateways)) {
                fs.writeFileSync(path.join(dir, `${gw}.pem`), g.certificatePem);
                fs.writeFileSync(path.join(dir, `${gw}.key`), g.privateKeyPem);
            }
        };
        // OpenSSL checks validity against the clock: at a time inside the certificates' validity, whatever today is.
        const inValidity = () => `-attime=${Math.floor(new Date(PKI_NOT_BEFORE).getTime() / 1000) + 86400}`;
        const verify = (gateway: string, withCrls: boolean) => {
            try {
                return { ok: true, output: openssl("verify", inValidity(), ...(withCrls ? ["-crl_check_all", "-CRLfile", "root.crl", "-CRLfile", "intermediate.crl"] : []),
                    "-CAfile", "root.pem", "-untrusted", "intermediate.pem", `${gateway}.pem`) };
            } catch (e) {
                const failed = e as { stdout?: string; stderr?: string };
                return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
            }
        };

        before(() => {
            // OpenSSL is part of every machine this runs on; without it this fails, it does not skip.
            execFileSync("openssl", ["version"], { stdio: "ignore" });
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-pki-"));
        });
        after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

        it("verifies every gateway's chain, with both CRLs checked too, and reads the keys", () => {
            write(derived);
            for (const gw of GATEWAYS) {
                expect(verify(gw, false), gw).to.deep.equal({ ok: true, output: `${gw}.pem: OK\n` });
                expect(verify(gw, true), gw).to.deep.equal({ ok: true, output: `${gw}.pem: OK\n` });
                expect(openssl("ec", "-in", `${gw}.key`, "-noout", "-check"), gw).to.equal("");
            }
        });

        it("refuses a revoked gateway when the CRLs are checked, and only that one", async () => {
            write(await derivePki(TEST_SEED, pkiPlanOf(["gateway-b"])));
            const revoked = verify("gateway-b", true);
            expect(revoked.ok).to.equal(false);
            expect(revoked.output).to.match(/certificate revoked/);
            expect(verify("gateway-b", false).ok, "the chain itself is fine").to.equal(true);
            for (const gw of ["gateway-a", "gateway-s"]) expect(verify(gw, true).ok, gw).to.equal(true);
        });
    });
});
