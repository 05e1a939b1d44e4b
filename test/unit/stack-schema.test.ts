// The stack file's JSON Schema, for editors: generated from the zod schema
// and committed (schema/stack.schema.json, `npm run schema`), named by every
// stack file, and as strict as zod is about each value on its own, checked by
// a validator of its own (ajv): what only relations between values forbid
// stays in validation (model/validate.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { writeStackLab } from "../../automation/lab";
import { knownStacks } from "../../cli/lab-name";
import { hubAndSpokeLab } from "../../model/hub-and-spoke";
import { labSchema } from "../../model/schema";
import { STACK_SCHEMA_FILE, schemaModeline, stackFileSchema, stackJsonSchema, stackJsonSchemaText } from "../../model/stack-schema";
import { PROJECT_DIR, stackFile } from "../../model/stack-file";
import { BROKEN_LABS, Raw } from "../support/broken-labs";
import { schemaErrors } from "../support/json-schema";
import { stackLab } from "../support/recording-mocks";

const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/;

/** The schema file a stack file's first line names, resolved from the stack file's folder. */
function namedSchema(file: string): string | undefined {
    const first = fs.readFileSync(file, "utf8").split("\n")[0]!;
    const target = MODELINE.exec(first)?.[1];
    return target === undefined ? undefined : path.resolve(path.dirname(file), target);
}

/** Both schemas' verdicts on a stack file's data: they must agree. */
function verdicts(doc: unknown): { readonly zod: boolean; readonly json: string[] } {
    return { zod: stackFileSchema.safeParse(doc).success, json: schemaErrors(doc) };
}

const withLab = (lab: unknown, more: Record<string, unknown> = {}) => ({ config: { "vnetlab:lab": lab, ...more } });
const SECURE = { secure: "v1:uUo4x2vDpvI=:v1:rWZrXLH2fbKdt9Co:972mXf3jZdhfNkD8FgthqRV08jj4TQ==" };

describe("the stack file's JSON Schema", () => {
    it("is the one the zod schema generates (regenerate with npm run schema), draft-07, with the descriptions of every lab setting", () => {
        expect(fs.readFileSync(STACK_SCHEMA_FILE, "utf8"), "schema/stack.schema.json is stale: npm run schema").to.equal(stackJsonSchemaText());
        const schema = stackJsonSchema() as { $schema: string; properties: { config: { allOf: { properties?: Record<string, unknown> }[] } } };
        expect(schema.$schema).to.equal("http://json-schema.org/draft-07/schema#");
        // Every setting of the lab says what it is, for an editor to show.
        const undescribed: string[] = [];
        const walk = (node: unknown, at: string) => {
            const s = node as { properties?: Record<string, { description?: string }>; additionalProperties?: unknown; items?: unknown };
            for (const [key, child] of Object.entries(s.properties ?? {})) {
                if (!child.description) undescribed.push(`${at}.${key}`);
                walk(child, `${at}.${key}`);
            }
            if (typeof s.additionalProperties === "object") walk(s.additionalProperties, `${at}.*`);
            if (s.items && !Array.isArray(s.items)) walk(s.items, `${at}[]`);
        };
        const lab = schema.properties.config.allOf[0]!.properties!["vnetlab:lab"];
        walk(lab, "vnetlab:lab");
        expect(undescribed).to.deep.equal([]);
        expect(JSON.stringify(lab)).to.include("trap: installs the tunnel on its first packet");
    });

    it("is named on the first line of every shipped stack, which it accepts", () => {
        expect(knownStacks()).to.have.length.greaterThan(10);
        for (const stack of knownStacks()) {
            const file = stackFile(stack);
            expect(namedSchema(file), `${stack}: its first line names the schema`).to.equal(STACK_SCHEMA_FILE);
            expect(verdicts(parse(fs.readFileSync(file, "utf8"))), stack).to.deep.equal({ zod: true, json: [] });
        }
    });

    it("is named by the stack files vnetlab writes, which it accepts", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-schema-"));
        try {
            writeStackLab("hub-and-spoke-3", hubAndSpokeLab(3), dir);
            const file = stackFile("hub-and-spoke-3", dir);
            expect(namedSchema(file)).to.equal(STACK_SCHEMA_FILE);
            expect(verdicts(parse(fs.readFileSync(file, "utf8")))).to.deep.equal({ zod: true, json: [] });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(schemaModeline()).to.equal("# yaml-language-server: $schema=./schema/stack.schema.json");
        expect(schemaModeline(PROJECT_DIR)).to.equal(fs.readFileSync(stackFile("dev"), "utf8").split("\n")[0]);
    });

    it("accepts what Pulumi adds on first use (the salt, the seed and a PSK as secrets) and other providers' keys; refuses plain secrets and unknown keys", () => {
        const lab = stackLab("dev");
        const used = { ...withLab(lab, { "vnetlab:seed": SECURE, "vnetlab:psk-a-s": SECURE, "docker:host": "unix:///var/run/docker.sock" }), encryptionsalt: "v1:uUo4x2vDpvI=:v1:abc" };
        expect(verdicts(used)).to.deep.equal({ zod: true, json: [] });
        const refused: [string, unknown][] = [
            ["a seed in plain text", withLab(lab, { "vnetlab:seed": "0123456789abcdef0123456789abcdef" })],
            ["a PSK in plain text", withLab(lab, { "vnetlab:psk-a-s": "a-secret-in-the-clear-1234" })],
            ["a secure value with another key", withLab(lab, { "vnetlab:seed": { secure: "v1:x", plain: "y" } })],
            ["an unknown vnetlab setting", withLab(lab, { "vnetlab:sed": SECURE })],
            ["no lab", { config: { "vnetlab:seed": SECURE } }],
            ["an unknown top-level key", { ...withLab(lab), encryptionsalts: "v1:x" }],
        ];
        for (const [what, doc] of refused) {
            const v = verdicts(doc);
            expect(v.zod, `${what}: zod`).to.equal(false);
            expect(v.json, `${what}: JSON Schema`).to.not.deep.equal([]);
        }
    });

    it("refuses every broken lab the zod schema refuses on its own, and accepts those that only validation's relations refuse", () => {
        // Zero host bits is arithmetic, not a pattern: validation says it, with the path.
        const REFINEMENT_ONLY = ["CIDR with host bits"];
        const extra: { rule: string; stack: string; change: (l: Raw) => void }[] = [
            { rule: "an unknown tunnel mode", stack: "host-to-host-transport", change: (l) => { l.tunnels["a-b"].mode = "beet"; } },
            { rule: "an unknown dataplane", stack: "dev", change: (l) => { l.dataplane = "vpp"; } },
            { rule: "a tunnel between three sites", stack: "site-to-site", change: (l) => { l.tunnels["a-s"].between = ["a", "s", "b"]; } },
            { rule: "a port out of range", stack: "dev", change: (l) => { l.services.web.port = 70000; } },
            { rule: "an unknown role", stack: "dev", change: (l) => { l.sites.a.hosts["client-a1"].role = "printer"; } },
            { rule: "IP version 5", stack: "dev", change: (l) => { l.tunnels["a-s"].ipVersion = 5; } },
            { rule: "a bad IPv6 address", stack: "site-to-site-ipv6", change: (l) => { l.sites.a.hosts["client-a1"].address.ipv6 = "fc00:4300:a::g"; } },
            { rule: "a proposal that is no proposal", stack: "dev", change: (l) => { l.tunnels["a-s"].ike = "aes256 sha256"; } },
        ];
        const rejectedByJson: string[] = [];
        for (const r of [...BROKEN_LABS, ...extra]) {
            const lab = stackLab(r.stack) as Raw;
            r.change(lab);
            const zod = labSchema.safeParse(lab).success;
            const json = schemaErrors(withLab(lab));
            if (json.length > 0) rejectedByJson.push(r.rule);
            if (zod) expect(json, `${r.rule}: zod accepts it, so must the JSON Schema`).to.deep.equal([]);
            else if (!REFINEMENT_ONLY.includes(r.rule)) expect(json, `${r.rule}: zod refuses it, so must the JSON Schema`).to.not.deep.equal([]);
            else expect(json, `${r.rule}: only validation can say this`).to.deep.equal([]);
        }
        expect(rejectedByJson).to.deep.equal([
            "bad CIDR", "bad address", "name Docker would reject", "site name too long for an interface name", "unknown config key", "unknown auth method",
            ...extra.map((r) => r.rule),
        ]);
    });
});
