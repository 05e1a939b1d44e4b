// The lab's certificate revocation list, signed by the intermediate CA.
// Deterministic on purpose: ECDSA signing with RFC 6979 nonces and dates taken
// from the issuer certificate, so the same revocations give the same bytes,
// and an update that revokes nothing new changes no gateway.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { deterministicSigner } from "./signer";

export interface CrlInput {
    readonly issuerCertPem: string;
    /** The issuer's private key (PEM, SEC1 or PKCS#8). */
    readonly issuerKeyPem: string;
    readonly revokedCertPems: readonly string[];
}

export async function signCrl(input: CrlInput): Promise<string> {
    const issuer = new x509.X509Certificate(input.issuerCertPem);
    const signer = await deterministicSigner(input.issuerKeyPem, "signCrl");
    const serials = [...new Set(input.revokedCertPems.map((pem) => new x509.X509Certificate(pem).serialNumber))].sort();
    const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
    const crl = await x509.X509CrlGenerator.create({
        issuer: issuer.subjectName,
        thisUpdate: issuer.notBefore,
        nextUpdate: issuer.notAfter,
        // A reason keeps each entry's extensions non-empty: an empty list is not valid DER and parsers reject it.
        entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: issuer.notBefore, reason: x509.X509CrlReason.keyCompromise })),
        ...(ski ? { extensions: [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] } : {}),
        signingKey: signer.signingKey,
        signingAlgorithm: signer.signingAlgorithm,
    }, signer.crypto);
    // The label OpenSSL and strongSwan expect; the library writes "CRL".
    return `${crl.toString("pem").replace(/-----(BEGIN|END) CRL-----/g, "-----$1 X509 CRL-----")}\n`;
}
