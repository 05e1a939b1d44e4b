import * as pulumi from "@pulumi/pulumi";
import { parseLab } from "../model/validate";
import { checkSeed, requireSeed } from "../model/seed";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { PreflightOptions, checkDataplane, checkHosts } from "../host/preflight";
import type { EngineTls } from "../host/engines";
import type { HostTls } from "./hosts";
import { dockerMakesMacvlanParents } from "../host/links";
import { Lab } from "./lab";

export interface LabInputs {
    /** The raw `vnetlab:lab` object as the stack config holds it. */
    readonly lab: unknown;
    readonly stack: string;
    /** The stack secret `vnetlab:seed`; undefined when the stack has none, which is refused. */
    readonly seed: pulumi.Input<string> | undefined;
    /** Looks up an optional secret PSK for a tunnel (`vnetlab:psk-<tunnel>`). */
    readonly tunnelSecret?: (tunnel: string) => pulumi.Output<string> | undefined;
    /** See LabArgs.vethParents; deployLabOnHost asks the host. */
    readonly vethParents?: boolean;
    /** Looks up a tcp:// host's TLS secrets (`vnetlab:tls-<host>-ca`, `-cert`, `-key`); undefined unless all three are set. */
    readonly hostTls?: (host: string) => HostTls | undefined;
}

/**
 * Validates and plans the whole lab before registering anything: a broken
 * config stops here, with its config path, and leaves nothing half-deployed.
 * It does not ask the Docker host about its kernel (deployLabOnHost does):
 * the unit tests use it to see what the program registers for any lab.
 * A seed given as an Output is only checked once its value is there, when
 * the PKI and PSKs derive from it; deployLabOnHost checks it first.
 */
export function deployLab(inputs: LabInputs): Lab {
    const plan = planLab(parseLab(inputs.lab, inputs.stack), inputs.stack);
    const seed = requireSeed(inputs.seed, inputs.stack);
    const checked = typeof seed === "string"
        ? checkSeed(seed, inputs.stack)
        : pulumi.output(seed).apply((value) => checkSeed(value, inputs.stack));
    return register(plan, checked, inputs);
}

/**
 * deployLab, after asking the Docker host whether its kernel can carry the
 * lab's IPsec (host/preflight.ts): a lab it cannot carry (transport mode
 * without kernel ESP) is refused before anything is registered, as is a
 * missing or short seed. The program (index.ts) deploys this way.
 */
export async function deployLabOnHost(inputs: LabInputs, preflight: PreflightOptions = {}): Promise<Lab> {
    const plan = planLab(parseLab(inputs.lab, inputs.stack), inputs.stack);
    const seed = requireSeed(inputs.seed, inputs.stack);
    checkSeed(await valueOf(seed), inputs.stack);
    const tls: Record<string, EngineTls> = {};
    for (const [host, secrets] of Object.entries(hostTlsOf(plan, inputs))) {
        tls[host] = { ca: await valueOf(secrets.ca), cert: await valueOf(secrets.cert), key: await valueOf(secrets.key) };
    }
    await checkHosts(plan, (host) => tls[host.name]);
    await checkDataplane(plan, preflight);
    return register(plan, seed, { vethParents: !dockerMakesMacvlanParents(), ...inputs });
}

/** The TLS secrets of each host with tls that has them. */
function hostTlsOf(plan: LabPlan, inputs: LabInputs): Record<string, HostTls> {
    return Object.fromEntries((plan.hosts ?? []).flatMap((host) => {
        const secrets = host.tls ? inputs.hostTls?.(host.name) : undefined;
        return secrets ? [[host.name, secrets] as const] : [];
    }));
}

/** An Input's value. Config values are never unknown, not even in a preview, so this resolves. */
function valueOf(input: pulumi.Input<string>): Promise<string> {
    return new Promise((resolve) => pulumi.output(input).apply((value) => { resolve(value); return value; }));
}

function register(plan: LabPlan, seed: pulumi.Input<string>, inputs: LabInputs): Lab {
    const tunnelSecrets: Record<string, pulumi.Output<string>> = {};
    for (const t of plan.tunnels) {
        const psk = inputs.tunnelSecret?.(t.name);
        if (psk !== undefined) tunnelSecrets[t.name] = psk;
    }
    return withoutStackTraces(() => new Lab(plan.name, { plan, seed, tunnelSecrets, vethParents: inputs.vethParents ?? false, hostTls: hostTlsOf(plan, inputs) }));
}

/**
 * Runs `register` without stack traces. The Pulumi SDK records one for every
 * promise it makes (for its report of leaked promises) and every resource it
 * registers (the resource's source position, kept in state): a lab of 100
 * branches spent 2.5 of the program's 4.3 s making them, most of it through
 * ts-node's source maps. Errors the program throws still carry their
 * message; what is lost is the source position shown next to a resource.
 */
function withoutStackTraces<T>(register: () => T): T {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return register();
    } finally {
        Error.stackTraceLimit = limit;
    }
}
