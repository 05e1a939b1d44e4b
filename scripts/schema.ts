// Writes the JSON Schema of the stack file, generated from the zod schema
// (model/stack-schema.ts), to schema/stack.schema.json, which every stack
// file names for editors:
//   npm run schema            write it
//   npm run schema -- --check exit 1 if the committed file differs
import * as fs from "fs";
import * as path from "path";
import { parseCommandLine, runCommand } from "../cli/args";
import { STACK_SCHEMA_FILE, stackJsonSchemaText } from "../model/stack-schema";

const USAGE = "npm run schema [-- --check]";

async function main(): Promise<number> {
    const { values } = parseCommandLine({ options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
    if (values.help) {
        console.log(`usage: ${USAGE}`);
        return 0;
    }
    const text = stackJsonSchemaText();
    const relative = path.relative(process.cwd(), STACK_SCHEMA_FILE) || STACK_SCHEMA_FILE;
    const current = fs.existsSync(STACK_SCHEMA_FILE) ? fs.readFileSync(STACK_SCHEMA_FILE, "utf8") : undefined;
    if (values.check) {
        if (current === text) return 0;
        console.error(`${relative} is not the schema model/ generates: run npm run schema`);
        return 1;
    }
    if (current === text) {
        console.log(`${relative}: unchanged`);
        return 0;
    }
    fs.mkdirSync(path.dirname(STACK_SCHEMA_FILE), { recursive: true });
    fs.writeFileSync(STACK_SCHEMA_FILE, text);
    console.log(`wrote ${relative}`);
    return 0;
}

runCommand("vnetlab schema", main);
