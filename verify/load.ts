import * as fs from "fs";
import { LabManifest, readManifest } from "../plan/summary";

/** The manifest from a file that `npm run lab -- up` wrote (a deployed stack's is read by automation/lab.ts deployedLab). */
export async function loadManifest(file: string): Promise<LabManifest> {
    return readManifest(JSON.parse(fs.readFileSync(file, "utf8")), file);
}
