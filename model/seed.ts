// The stack secret vnetlab:seed. The lab's keys, certificates and generated
// PSKs are pure functions of it (configs/seed.ts): nothing random is kept in
// state, and a new seed is a new lab PKI. Like a lab config error, a missing
// or weak seed stops the program before anything is registered.
import { LabRefusedError } from "./errors";

export const SEED_CONFIG_KEY = "vnetlab:seed";

/** The 128 bits of 32 hex characters at least: everything secret in the lab is only as hard to guess as the seed. */
export const SEED_MIN_LENGTH = 32;

const newSeedCommand = (stack: string) => `pulumi config set --stack ${stack} --secret ${SEED_CONFIG_KEY} "$(openssl rand -hex 32)"`;

/** The stack's seed is missing or too short. The message never holds the value. */
export class SeedConfigError extends LabRefusedError {
    constructor(message: string) {
        super(message);
        this.name = "SeedConfigError";
    }
}

/** Refuses a missing seed: an error that says how to make one. */
export function requireSeed<T>(seed: T | undefined, stack: string): T {
    if (seed === undefined) {
        throw new SeedConfigError([
            `${SEED_CONFIG_KEY} is not set; the lab's keys, certificates and generated PSKs derive from this stack secret.`,
            `  \`npm run lab -- up ${stack}\` creates one on first use, or set one yourself:`,
            `  ${newSeedCommand(stack)}`,
        ].join("\n"));
    }
    return seed;
}

/** Refuses a seed shorter than SEED_MIN_LENGTH. */
export function checkSeed(seed: string, stack: string): string {
    if (seed.length < SEED_MIN_LENGTH) {
        throw new SeedConfigError([
            `${SEED_CONFIG_KEY} is shorter than ${SEED_MIN_LENGTH} characters; the lab's keys, certificates and generated PSKs are only as hard to guess as this seed.`,
            `  Set a longer one (it replaces every key, certificate and generated PSK of the lab):`,
            `  ${newSeedCommand(stack)}`,
        ].join("\n"));
    }
    return seed;
}
