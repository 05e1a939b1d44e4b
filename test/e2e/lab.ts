// Deploying and verifying labs in the end-to-end tests: the product's own
// driver of the real Pulumi engine (automation/lab.ts), each test lab in a
// stack of its own, `e2e-<name>`, whose stack file the test writes and
// removes again, and state in a backend of this test run only. The report is
// printed when a check fails.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import { LabStack } from "../../automation/lab";
import { stackFile } from "../../model/stack-file";
import type { LabPlan } from "../../plan/types";
import { verifyLab, formatTable, CheckResult } from "../../verify";
import { labLeftovers } from "../../host/leftovers";

/** One state backend per test run: nothing of a user's stacks is touched, nothing of ours is left. */
function testBackend(): string {
    if (!process.env.PULUMI_BACKEND_URL?.includes("vnetlab-e2e-state-")) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-e2e-state-"));
        process.env.PULUMI_BACKEND_URL = `file://${dir}`;
    }
    return process.env.PULUMI_BACKEND_URL;
}
testBackend();

export interface DeployedLab {
    readonly stack: LabStack;
    /** The plan as deployed: the stack's manifest output. */
    readonly plan: LabPlan;
}

/** The e2e stack of a lab config: its name keeps the lab's, so container names are the ones a user's stack would have. */
export async function openLab(name: string, lab: unknown, labName = `vnetlab-${name}`, secrets?: Readonly<Record<string, string>>): Promise<LabStack> {
    const config = { name: labName, ...(lab as Record<string, unknown>) };
    return LabStack.open(`e2e-${name}`, { lab: config, ...(secrets ? { secrets } : {}) });
}

/** Opens the lab's e2e stack and brings it up; ready when every node says so. */
export async function deploy(name: string, source: { readonly lab: unknown; readonly labName?: string; readonly secrets?: Readonly<Record<string, string>> }): Promise<DeployedLab> {
    const stack = await openLab(name, source.lab, source.labName, source.secrets);
    const up = await stack.up();
    return { stack, plan: up.plan };
}

/**
 * Destroys the lab, removes its stack (and so its stack file), and returns
 * what of it is left: on the Docker host, or as a resource in the stack.
 */
export async function destroy(lab: DeployedLab | LabStack): Promise<string[]> {
    const stack = lab instanceof LabStack ? lab : lab.stack;
    await stack.destroy();
    const inState = (await stack.exportState()).deployment.resources ?? [];
    await stack.stack.workspace.removeStack(stack.name);
    if (fs.existsSync(stackFile(stack.name))) fs.rmSync(stackFile(stack.name));
    return [...inState.map((r) => `in the stack: ${r.urn}`), ...await labLeftovers(new Docker(), stack.plan, stack.tls)];
}

export async function verify(deployed: DeployedLab): Promise<CheckResult[]> {
    const results = await verifyLab(deployed.plan, { docker: deployed.stack.docker() });
    if (process.env.VNETLAB_DEBUG || results.some((r) => !r.pass)) console.log(formatTable(results));
    return results;
}
