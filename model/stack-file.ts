// The stack files of the project, Pulumi.<stack>.yaml, read without the
// Pulumi CLI, for tools and tests that must see exactly what `pulumi up`
// would read.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The config key of the lab. */
export const LAB_KEY = "vnetlab:lab";

export const stackFile = (stack: string, dir: string = PROJECT_DIR) => path.join(dir, `Pulumi.${stack}.yaml`);

export interface StackDocument {
    config?: Record<string, unknown>;
    [key: string]: unknown;
}

/** A stack file as YAML data (comments dropped); an empty document if there is no file. */
export function readStackDocument(file: string): StackDocument {
    return fs.existsSync(file) ? ((parse(fs.readFileSync(file, "utf8")) as StackDocument | null) ?? {}) : {};
}

/** The `vnetlab:lab` of a stack; the stack file must exist. */
export function loadStackLab(stack: string, dir: string = PROJECT_DIR): unknown {
    const doc = parse(fs.readFileSync(stackFile(stack, dir), "utf8")) as StackDocument | null;
    return doc?.config?.[LAB_KEY];
}
