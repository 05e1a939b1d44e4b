import { execFileSync } from "child_process";
import * as fs from "fs";
import { LabManifest, MANIFEST_FORMAT } from "../plan/summary";

/** The manifest from a file, or from `pulumi stack output` of a deployed stack. */
export function loadManifest(source: { readonly file?: string; readonly stack?: string }): LabManifest {
    let json: unknown;
    if (source.file) {
        json = JSON.parse(fs.readFileSync(source.file, "utf8"));
    } else {
        const args = ["stack", "output", "--json", ...(source.stack ? ["--stack", source.stack] : [])];
        let text: string;
        try {
            text = execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
            throw new Error(`could not read the stack's outputs with 'pulumi ${args.join(" ")}': ${(e as Error).message}`);
        }
        json = (JSON.parse(text) as { manifest?: unknown }).manifest;
    }
    const manifest = json as Partial<LabManifest> | undefined;
    if (!manifest || manifest.format !== MANIFEST_FORMAT || !manifest.plan) {
        throw new Error(`not a vnetlab manifest (expected format "${MANIFEST_FORMAT}")`);
    }
    return manifest as LabManifest;
}
