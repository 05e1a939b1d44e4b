import * as pulumi from "@pulumi/pulumi";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { PreflightOptions, checkDataplane } from "../host/preflight";
import { dockerMakesMacvlanParents } from "../host/links";
import { Lab } from "./lab";

export interface LabInputs {
    /** The raw `vnetlab:lab` object as the stack config holds it. */
    readonly lab: unknown;
    readonly stack: string;
    /** Looks up an optional secret PSK for a tunnel (`vnetlab:psk-<tunnel>`). */
    readonly tunnelSecret?: (tunnel: string) => pulumi.Output<string> | undefined;
    /** See LabArgs.vethParents; deployLabOnHost asks the host. */
    readonly vethParents?: boolean;
}

/**
 * Validates and plans the whole lab before registering anything: a broken
 * config stops here, with its config path, and leaves nothing half-deployed.
 * It does not ask the Docker host about its kernel (deployLabOnHost does):
 * the unit tests use it to see what the program registers for any lab.
 */
export function deployLab(inputs: LabInputs): Lab {
    return register(planLab(parseLab(inputs.lab, inputs.stack), inputs.stack), inputs);
}

/**
 * deployLab, after asking the Docker host whether its kernel can carry the
 * lab's IPsec (host/preflight.ts): a lab it cannot carry (transport mode
 * without kernel ESP) is refused before anything is registered. The program
 * (index.ts) deploys this way.
 */
export async function deployLabOnHost(inputs: LabInputs, preflight: PreflightOptions = {}): Promise<Lab> {
    const plan = planLab(parseLab(inputs.lab, inputs.stack), inputs.stack);
    await checkDataplane(plan, preflight);
    return register(plan, { vethParents: !dockerMakesMacvlanParents(), ...inputs });
}

function register(plan: LabPlan, inputs: LabInputs): Lab {
    const tunnelSecrets: Record<string, pulumi.Output<string>> = {};
    for (const t of plan.tunnels) {
        const psk = inputs.tunnelSecret?.(t.name);
        if (psk !== undefined) tunnelSecrets[t.name] = psk;
    }
    return new Lab(plan.name, { plan, tunnelSecrets, vethParents: inputs.vethParents ?? false });
}
