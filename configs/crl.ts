// The lab's certificate revocation list, signed by the intermediate CA.
// Deterministic on purpose: ECDSA signing with RFC 6979 nonces and dates taken
// from the issuer certificate, so the same revocations give the same bytes,
// and an update that revokes nothing new changes no gateway.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as crypto from "crypto";
import * as x509 from "@peculiar/x509";
import { p384 } from "@noble/curves/p384";
import { p256 } from "@noble/curves/p256";
import { p521 } from "@noble/curves/p521";

export interface CrlInput {
    readonly issuerCertPem: string;
    /** The issuer's private key (PEM, SEC1 or PKCS#8). */
    readonly issuerKeyPem: string;
    readonly revokedCertPems: readonly string[];
}

const CURVES = {
    "P-256": { curve: p256, hash: "SHA-256" },
    "P-384": { curve: p384, hash: "SHA-384" },
    "P-521": { curve: p521, hash: "SHA-512" },
} as const;

/** WebCrypto whose ECDSA signatures are deterministic (RFC 6979) for one key. */
function deterministicSigner(secret: Uint8Array, namedCurve: keyof typeof CURVES): crypto.webcrypto.Crypto {
    const { curve } = CURVES[namedCurve];
    const subtle = crypto.webcrypto.subtle;
    const signing: crypto.webcrypto.SubtleCrypto = Object.create(subtle, {
        sign: {
            value: async (_alg: unknown, _key: unknown, data: ArrayBufferView | ArrayBuffer) => {
                const bytes = ArrayBuffer.isView(data)
                    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
                    : new Uint8Array(data);
                const signature = curve.sign(bytes, secret, { prehash: true, extraEntropy: false });
                return signature.toCompactRawBytes().buffer;
            },
        },
    });
    // x509 calls methods on the object it is given, so `this` must stay the real SubtleCrypto for the rest.
    for (const name of ["digest", "importKey", "exportKey", "verify"] as const) {
        Object.defineProperty(signing, name, { value: (subtle[name] as (...a: unknown[]) => unknown).bind(subtle) });
    }
    return { subtle: signing, getRandomValues: crypto.webcrypto.getRandomValues.bind(crypto.webcrypto), randomUUID: crypto.randomUUID } as unknown as crypto.webcrypto.Crypto;
}

export async function signCrl(input: CrlInput): Promise<string> {
    const issuer = new x509.X509Certificate(input.issuerCertPem);
    const jwk = crypto.createPrivateKey(input.issuerKeyPem).export({ format: "jwk" });
    const namedCurve = jwk.crv as keyof typeof CURVES | undefined;
    if (jwk.kty !== "EC" || !namedCurve || !(namedCurve in CURVES) || !jwk.d) {
        throw new Error("signCrl: the issuer key must be an ECDSA key on P-256, P-384 or P-521");
    }
    const { hash } = CURVES[namedCurve];
    const signingKey = await crypto.webcrypto.subtle.importKey(
        "jwk", jwk as crypto.webcrypto.JsonWebKey, { name: "ECDSA", namedCurve }, false, ["sign"],
    );
    const serials = [...new Set(input.revokedCertPems.map((pem) => new x509.X509Certificate(pem).serialNumber))].sort();
    const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
    const crl = await x509.X509CrlGenerator.create({
        issuer: issuer.subjectName,
        thisUpdate: issuer.notBefore,
        nextUpdate: issuer.notAfter,
        // A reason keeps each entry's extensions non-empty: an empty list is not valid DER and parsers reject it.
        entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: issuer.notBefore, reason: x509.X509CrlReason.keyCompromise })),
        ...(ski ? { extensions: [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] } : {}),
        signingKey,
        signingAlgorithm: { name: "ECDSA", hash },
    }, deterministicSigner(Buffer.from(jwk.d, "base64url"), namedCurve));
    // The label OpenSSL and strongSwan expect; the library writes "CRL".
    return `${crl.toString("pem").replace(/-----(BEGIN|END) CRL-----/g, "-----$1 X509 CRL-----")}\n`;
}
