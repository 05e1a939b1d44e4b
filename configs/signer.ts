// ECDSA signing for @peculiar/x509 that gives the same bytes for the same
// input. WebCrypto signs with a random nonce, so a certificate or CRL signed
// twice would differ and every `pulumi preview` would show a change; RFC 6979
// derives the nonce from the key and the message instead (@noble/curves).
// @peculiar/x509 resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as crypto from "crypto";
import { p384 } from "@noble/curves/p384";
import { p256 } from "@noble/curves/p256";
import { p521 } from "@noble/curves/p521";

const CURVES = {
    "P-256": { curve: p256, hash: "SHA-256" },
    "P-384": { curve: p384, hash: "SHA-384" },
    "P-521": { curve: p521, hash: "SHA-512" },
} as const;

type NamedCurve = keyof typeof CURVES;

export interface DeterministicSigner {
    /** The WebCrypto to hand to @peculiar/x509's generators: its `sign` is RFC 6979 for this signer's key. */
    readonly crypto: crypto.webcrypto.Crypto;
    /** The key as WebCrypto sees it: x509 reads the algorithm off it; the signature comes from `crypto`. */
    readonly signingKey: crypto.webcrypto.CryptoKey;
    readonly signingAlgorithm: { readonly name: "ECDSA"; readonly hash: string };
}

/** WebCrypto whose ECDSA signatures are deterministic (RFC 6979) for one key. */
function deterministicCrypto(secret: Uint8Array, namedCurve: NamedCurve): crypto.webcrypto.Crypto {
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

/** A deterministic signer for an ECDSA private key (PEM, SEC1 or PKCS#8) on P-256, P-384 or P-521. */
export async function deterministicSigner(privateKeyPem: string, what: string): Promise<DeterministicSigner> {
    const jwk = crypto.createPrivateKey(privateKeyPem).export({ format: "jwk" });
    const namedCurve = jwk.crv as NamedCurve | undefined;
    if (jwk.kty !== "EC" || !namedCurve || !(namedCurve in CURVES) || !jwk.d) {
        throw new Error(`${what}: the issuer key must be an ECDSA key on P-256, P-384 or P-521`);
    }
    const signingKey = await crypto.webcrypto.subtle.importKey(
        "jwk", jwk as crypto.webcrypto.JsonWebKey, { name: "ECDSA", namedCurve }, false, ["sign"],
    );
    return {
        crypto: deterministicCrypto(Buffer.from(jwk.d, "base64url"), namedCurve),
        signingKey,
        signingAlgorithm: { name: "ECDSA", hash: CURVES[namedCurve].hash },
    };
}
