import { labDocker } from "../host/engines";
import type { LabPlan } from "../plan/types";
import { deriveChecks, CheckSpec } from "./derive";
import { runChecks, nodeLogs, CheckResult, RunOptions } from "./run";
import { waitUntilReady } from "./ready";

export { deriveChecks, CheckSpec, runChecks, nodeLogs, CheckResult, waitUntilReady };
export type { ProbeDeadline } from "./checks/probe";
export { formatTable, summary } from "./report";
export { loadManifest } from "./load";

/** Every derived and configured check against a deployed lab, once its nodes are ready (at once, if they are). */
export async function verifyLab(plan: LabPlan, options: Partial<RunOptions> & { readonly only?: string } = {}): Promise<CheckResult[]> {
    const docker = options.docker ?? labDocker(plan);
    await waitUntilReady(plan, { docker });
    const specs = deriveChecks(plan).filter((s) => !options.only || s.id.includes(options.only));
    return runChecks(plan, specs, { ...options, docker });
}
