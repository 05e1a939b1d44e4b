import * as fs from "fs";
import { deployedManifest } from "../automation/lab";
import { LabManifest, readManifest } from "../plan/summary";

/** The manifest from a file, or from the outputs of a deployed stack. */
export async function loadManifest(source: { readonly file?: string; readonly stack?: string }): Promise<LabManifest> {
    if (source.file) return readManifest(JSON.parse(fs.readFileSync(source.file, "utf8")), source.file);
    if (!source.stack) throw new Error("a manifest file or a stack is needed");
    return deployedManifest(source.stack);
}
