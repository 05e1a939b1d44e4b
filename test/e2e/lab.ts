// Deploys a lab through the Docker-backed mock engine: exactly what the
// program registers, realized on the local engine, then torn down.
import * as pulumi from "@pulumi/pulumi";
import { DockerMockEngine } from "../support/docker-engine";
import { Lab } from "../../components";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { verifyLab, formatTable, CheckResult } from "../../verify";

export interface DeployedLab {
    readonly engine: DockerMockEngine;
    readonly plan: LabPlan;
}

/** Deploys a lab from a raw config, or from a plan a test tampered with. */
export async function deploy(stack: string, source: { lab: unknown } | { plan: LabPlan }): Promise<DeployedLab> {
    const engine = new DockerMockEngine();
    pulumi.runtime.setMocks(engine, "vnetlab", stack, false);
    const plan = "plan" in source ? source.plan : planLab(parseLab(source.lab, stack), stack);
    const lab = new Lab(plan.name, { plan });
    try {
        const manifest = await engine.output(lab.manifest);
        return { engine, plan: manifest.plan };
    } catch (e) {
        await engine.destroyAll().catch(() => undefined);
        throw e;
    }
}

export async function verify(deployed: DeployedLab): Promise<CheckResult[]> {
    const results = await verifyLab(deployed.plan, { docker: deployed.engine.docker });
    if (process.env.VNETLAB_DEBUG || results.some((r) => !r.pass)) console.log(formatTable(results));
    return results;
}
