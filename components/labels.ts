import type * as docker from "@pulumi/docker";
import type { LabPlan } from "../plan/types";

/** Labels that tell a lab's Docker objects apart from everything else on the engine. */
export function labLabels(lab: LabPlan, extra: Record<string, string> = {}): docker.types.input.ContainerLabel[] {
    return Object.entries({ "vnetlab.lab": lab.name, "vnetlab.stack": lab.stack, ...extra })
        .map(([label, value]) => ({ label, value }));
}
