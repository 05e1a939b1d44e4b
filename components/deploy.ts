import * as pulumi from "@pulumi/pulumi";
import { LabRefusedError } from "../model/errors";
import { parseLab } from "../model/validate";
import { checkSeed, requireSeed } from "../model/seed";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { PreflightOptions, checkBridgeSegments, checkDataplane, checkHosts } from "../host/preflight";
import { EngineTls, requireHostTls } from "../host/engines";
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
    /** Looks up one part of a tcp:// host's TLS material, a stack secret (`vnetlab:tls-<host>-ca`, `-cert`, `-key`). */
    readonly hostTlsSecret?: (host: string, part: keyof EngineTls) => pulumi.Input<string> | undefined;
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
    const hostTls = hostTlsOf(plan, inputs);
    const checked = typeof seed === "string"
        ? checkSeed(seed, inputs.stack)
        : pulumi.output(seed).apply((value) => checkSeed(value, inputs.stack));
    return register(plan, checked, hostTls, inputs);
}

/**
 * deployLab, after asking the Docker host whether its kernel can carry the
 * lab's IPsec (host/preflight.ts): a lab it cannot carry (transport mode
 * without kernel ESP) is refused before anything is registered, as is a
 * missing or short seed, or a TLS host without its secrets (before any host
 * is asked). The program (index.ts) deploys this way.
 */
export async function deployLabOnHost(inputs: LabInputs, preflight: PreflightOptions = {}): Promise<Lab> {
    try {
        return await deployCheckedLab(inputs, preflight);
    } catch (e) {
        if (!(e instanceof LabRefusedError)) throw e;
        // Pulumi prints a RunError's message alone, which is all a refusal has to say. It also
        // describes every uncaught error for its trace with util.inspect in colour, which with a
        // stack to colour took 20 s here (Node 20.20, ts-node's source maps) before it gave up:
        // a preview of a lab with a config error took 39 s, 4 s without the stack.
        const refusal = new pulumi.RunError(e.message);
        refusal.stack = "";
        refusal.cause = e;
        throw refusal;
    }
}

async function deployCheckedLab(inputs: LabInputs, preflight: PreflightOptions): Promise<Lab> {
    const plan = planLab(parseLab(inputs.lab, inputs.stack), inputs.stack);
    const seed = requireSeed(inputs.seed, inputs.stack);
    checkSeed(await valueOf(seed), inputs.stack);
    const hostTls = hostTlsOf(plan, inputs);
    const tls: Record<string, EngineTls> = {};
    for (const [host, secrets] of Object.entries(hostTls)) {
        tls[host] = { ca: await valueOf(secrets.ca), cert: await valueOf(secrets.cert), key: await valueOf(secrets.key) };
    }
    await checkHosts(plan, (host) => tls[host.name]);
    checkBridgeSegments(plan);
    await checkDataplane(plan, preflight);
    return register(plan, seed, hostTls, { vethParents: !dockerMakesMacvlanParents(), ...inputs });
}

/** The TLS secrets of each host with tls; a host without all three stops the program here. */
function hostTlsOf(plan: LabPlan, inputs: LabInputs): Record<string, HostTls> {
    return requireHostTls(plan, inputs.stack, (host, part) => inputs.hostTlsSecret?.(host, part));
}

/** An Input's value. Config values are never unknown, not even in a preview, so this resolves. */
function valueOf(input: pulumi.Input<string>): Promise<string> {
    return new Promise((resolve) => pulumi.output(input).apply((value) => { resolve(value); return value; }));
}

function register(plan: LabPlan, seed: pulumi.Input<string>, hostTls: Record<string, HostTls>, inputs: LabInputs): Lab {
    const tunnelSecrets: Record<string, pulumi.Output<string>> = {};
    for (const t of plan.tunnels) {
        const psk = inputs.tunnelSecret?.(t.name);
        if (psk !== undefined) tunnelSecrets[t.name] = psk;
    }
    return new Lab(plan.name, { plan, seed, tunnelSecrets, vethParents: inputs.vethParents ?? false, hostTls });
}
