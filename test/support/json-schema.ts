// The stack file's JSON Schema as an editor would apply it, through a JSON
// Schema validator of its own (ajv, draft-07): the test that the schema
// vnetlab generates says what vnetlab means, without zod.
import Ajv, { type ErrorObject } from "ajv";
import * as fs from "fs";
import { STACK_SCHEMA_FILE } from "../../model/stack-schema";

// zod gives addresses and subnets a `format` and the `pattern` that checks
// it; the pattern is what counts, as in editors that know no such format.
const ajv = new Ajv({ strict: true, allErrors: true, formats: { ipv4: true, ipv6: true, cidrv4: true, cidrv6: true } });
const validate = ajv.compile(JSON.parse(fs.readFileSync(STACK_SCHEMA_FILE, "utf8")) as object);

/** What the committed schema finds wrong with a stack file's data: one line per error, none if it matches. */
export function schemaErrors(doc: unknown): string[] {
    if (validate(doc)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"}: ${e.message ?? e.keyword}`);
}
