import Docker from "dockerode";
import type { LabPlan } from "../plan/types";
import { deriveChecks, CheckSpec } from "./derive";
import { runChecks, nodeLogs, CheckResult, RunOptions } from "./run";

export { deriveChecks, CheckSpec, runChecks, nodeLogs, CheckResult };
export { formatTable, summary } from "./report";
export { loadManifest } from "./load";

/** Every derived and configured check against a deployed lab. */
export async function verifyLab(plan: LabPlan, options: Partial<RunOptions> & { readonly only?: string } = {}): Promise<CheckResult[]> {
    const docker = options.docker ?? new Docker();
    const specs = deriveChecks(plan).filter((s) => !options.only || s.id.includes(options.only));
    return runChecks(plan, specs, { ...options, docker });
}
