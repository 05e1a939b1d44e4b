// Reads `vnetlab:lab` from a stack file without the Pulumi CLI, for tools and
// tests that must see exactly what `pulumi up` would read.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const PROJECT_DIR = path.resolve(__dirname, "..");

export function loadStackLab(stack: string, dir: string = PROJECT_DIR): unknown {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return doc?.config?.["vnetlab:lab"];
}

