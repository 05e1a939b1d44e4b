// Every secret vnetlab makes — private keys, certificate serial numbers,
// PSKs — is HKDF (RFC 5869, SHA-384) of the stack's seed (vnetlab:seed), one
// `info` label per purpose and name: the same seed gives the same lab, a new
// seed a new one, and no two purposes share output. The version in the label
// changes only if the derivation does, which re-keys every lab on purpose.
import * as crypto from "crypto";

const LABEL_PREFIX = "vnetlab/v1";

/** `length` bytes of HKDF-SHA-384 of the seed, for the purpose `label` (e.g. "psk/a-s"). */
export function seedBytes(seed: string, label: string, length: number): Buffer {
    // The stack's config refuses short seeds (model/seed.ts); an empty one here is a caller's bug.
    if (seed.length === 0) throw new Error(`seedBytes(${label}): empty seed`);
    // No salt: the seed is already uniformly random, and a fixed salt would add nothing.
    return Buffer.from(crypto.hkdfSync("sha384", Buffer.from(seed, "utf8"), Buffer.alloc(0), `${LABEL_PREFIX}/${label}`, length));
}
