// A tunnel's generated pre-shared key, when the stack sets none
// (vnetlab:psk-<tunnel>): derived from the seed, so it is the same on every
// run and changes only with the seed.
import { seedBytes } from "./seed";

/** Characters of a generated PSK: 48 base64url characters carry 288 bits. */
export const PSK_LENGTH = 48;

export function derivePsk(seed: string, tunnel: string): string {
    // Three bytes make four base64 characters, without padding.
    return seedBytes(seed, `psk/${tunnel}`, (PSK_LENGTH / 4) * 3).toString("base64url");
}
