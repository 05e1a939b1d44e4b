// The whole stack file, Pulumi.<stack>.yaml, as zod: the lab vnetlab reads
// (`vnetlab:lab`, ./schema.ts) and what Pulumi adds beside it (the stack's
// secrets, its encryption salt). Its JSON Schema, generated from here by
// `npm run schema` into schema/stack.schema.json, is what editors read
// through the `yaml-language-server` line at the top of every stack file.
//
// The JSON Schema carries what zod can say of each value on its own: types,
// names, enums, address patterns, unknown keys. Relations between values (an
// address inside its subnet, a tunnel between known sites, ...) stay in
// ./validate.ts, which `npm run plan` and the program run.
import * as path from "path";
import { z } from "zod";
import { LAB_KEY, PROJECT_DIR } from "./stack-file";
import { NAME_PATTERN, labSchema } from "./schema";
import { SEED_CONFIG_KEY } from "./seed";

/** Where the generated JSON Schema is committed (`npm run schema` writes it). */
export const STACK_SCHEMA_FILE = path.join(PROJECT_DIR, "schema", "stack.schema.json");

/** The line that names the schema to YAML-language-server editors, for a stack file in `dir`. */
export function schemaModeline(dir: string = PROJECT_DIR): string {
    const relative = path.relative(dir, STACK_SCHEMA_FILE).split(path.sep).join("/");
    return `# yaml-language-server: $schema=${relative.startsWith(".") ? relative : `./${relative}`}`;
}

const secret = z.strictObject({
    secure: z.string().min(1).describe("The value, encrypted with the stack's key: Pulumi writes it."),
});

const PSK_KEY = new RegExp(`^vnetlab:psk-${NAME_PATTERN.source.slice(1, -1)}$`);
/** A key of vnetlab's namespace that is none of the above: a typo, which Pulumi would keep without a word. */
const OTHER_VNETLAB_KEY = new RegExp(`^vnetlab:(?!(lab|seed|psk-${NAME_PATTERN.source.slice(1, -1)})$)`);

const config = z.intersection(
    z.object({
        [LAB_KEY]: labSchema,
        [SEED_CONFIG_KEY]: secret.optional().describe(
            "The stack's secret seed: the lab's keys, certificates and generated PSKs derive from it. `npm run lab -- up` sets one on first use; " +
            "to set your own: pulumi config set --secret vnetlab:seed \"$(openssl rand -hex 32)\". A Pulumi secret, never plain text.",
        ),
    }),
    z.intersection(
        z.looseRecord(z.string().regex(PSK_KEY), secret.describe(
            "vnetlab:psk-<tunnel>: the pre-shared key of a tunnel with auth: psk, instead of the one derived from the seed. " +
            "Set it with pulumi config set --secret vnetlab:psk-<tunnel> <value>.",
        )),
        z.looseRecord(z.string().regex(OTHER_VNETLAB_KEY), z.never({ error: "is not a vnetlab setting (vnetlab:lab, vnetlab:seed, vnetlab:psk-<tunnel>)" })
            .describe("Not a vnetlab setting: vnetlab reads vnetlab:lab, vnetlab:seed and vnetlab:psk-<tunnel>.")),
    ),
).describe("The stack's configuration: the lab, and its secrets (which Pulumi writes). Keys of other namespaces (docker:host, ...) are their providers' own.");

export const stackFileSchema = z.strictObject({
    config,
    encryptionsalt: z.string().min(1).optional()
        .describe("Written by Pulumi on the stack's first use (passphrase secrets provider): the salt of the key that encrypts the stack's secrets. Do not edit it."),
    secretsprovider: z.string().min(1).optional().describe("Written by Pulumi when the stack uses another secrets provider than the passphrase."),
    encryptedkey: z.string().min(1).optional().describe("Written by Pulumi with a cloud secrets provider: the stack's data key, encrypted."),
}).describe("A vnetlab stack file, Pulumi.<stack>.yaml: one lab under config.vnetlab:lab. See README.md, \"The lab config\".");

/**
 * The JSON Schema of the stack file, from zod's own z.toJSONSchema: draft-07,
 * which YAML-language-server editors (VS Code's YAML extension among them)
 * support in full; of a newer draft they would misread a tuple's
 * `prefixItems`. `io: "input"` describes what a user writes: a setting with a
 * default may be left out.
 */
export function stackJsonSchema(): Record<string, unknown> {
    return {
        ...z.toJSONSchema(stackFileSchema, { target: "draft-07", io: "input" }),
        title: "vnetlab stack file (Pulumi.<stack>.yaml)",
    };
}

/** The committed file's text: `npm run schema` writes it, a unit test compares it. */
export function stackJsonSchemaText(): string {
    return `${JSON.stringify(stackJsonSchema(), null, 2)}\n`;
}
