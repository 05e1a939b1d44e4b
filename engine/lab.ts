// Runs a lab program on the local Docker engine: the program registers its
// resources under Pulumi's mock runtime and DockerMockEngine realizes each one
// (see docker-engine.ts for why there is no Pulumi CLI here). Used by
// `npm run lab`, `npm run bench` and the end-to-end tests.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { DockerMockEngine } from "./docker-engine";
import { Lab, nodeImage } from "../components";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { waitUntilReady } from "../verify/ready";
import { checkDataplane } from "./preflight";
import type { LabProgress } from "./progress";

export interface DeployedLab {
    readonly engine: DockerMockEngine;
    readonly plan: LabPlan;
}

export interface DeployOptions {
    /** The engine's own lines (every resource, every build line), for debugging. */
    readonly log?: (line: string) => void;
    /** Steps as they complete: resources made, build lines, nodes ready. */
    readonly progress?: (plan: LabPlan) => LabProgress;
    /**
     * The lab's seed (vnetlab:seed). By default a fresh one per deploy: this
     * engine keeps no state between runs, so each `up` makes a new PKI and
     * new PSKs, as it did when it generated keys itself.
     */
    readonly seed?: string;
}

/**
 * Deploys a lab from a raw config, or from a plan a test tampered with, and
 * returns once every node is ready. A failure removes what was made.
 */
export async function deploy(stack: string, source: { lab: unknown } | { plan: LabPlan }, options: DeployOptions = {}): Promise<DeployedLab> {
    const plan = "plan" in source ? source.plan : planLab(parseLab(source.lab, stack), stack);
    const progress = options.progress?.(plan);
    const engine = new DockerMockEngine({
        ...(options.log ? { log: options.log } : {}),
        ...(progress ? { onCreated: progress.created, onBuildLine: progress.buildLine } : {}),
    });
    try {
        // Nothing is registered yet: a lab this host cannot carry leaves nothing behind.
        await checkDataplane(plan, { docker: engine.docker, ...(options.log ? { log: options.log } : {}), ...(progress ? { onBuildLine: progress.buildLine } : {}) });
    } catch (e) {
        progress?.done();
        throw e;
    }
    pulumi.runtime.setMocks(engine, "vnetlab", stack, false);
    // A failed registration also rejects promises inside Pulumi's runtime that
    // nobody awaits; Node would end the process on them before the teardown
    // below has removed what the engine made. The failure itself is thrown here.
    const registrationFailed = (reason: unknown) => {
        if (!/failed to register new resource|DockerMockEngine/.test(String((reason as Error)?.message ?? reason))) throw reason;
    };
    process.on("unhandledRejection", registrationFailed);
    const seed = pulumi.secret(options.seed ?? crypto.randomBytes(32).toString("hex"));
    const lab = withPlainStackTraces(() => new Lab(plan.name, { plan, seed }));
    try {
        const manifest = await engine.output(lab.manifest);
        await waitUntilReady(manifest.plan, { docker: engine.docker, ...(progress ? { onReady: progress.ready } : {}) });
        return { engine, plan: manifest.plan };
    } catch (e) {
        await engine.destroyAll().catch(() => undefined);
        throw e;
    } finally {
        progress?.done();
        // Late rejections of a failed run arrive after the throw; keep swallowing those.
        if (engine.errors.length === 0) process.off("unhandledRejection", registrationFailed);
    }
}

/**
 * Runs `register` with V8's own stack formatting. Pulumi records a stack
 * trace for every promise it makes while resources register (for its report
 * of leaked promises), and under ts-node each one goes through
 * source-map-support: that took 2.6 s of CPU, before anything was created,
 * for a 100-node lab. The traces keep their frames, with the transpiled
 * file's positions.
 */
function withPlainStackTraces<T>(register: () => T): T {
    // Node's typings declare the hook always set; unset is what selects V8's formatting.
    const errorClass = Error as { prepareStackTrace?: unknown };
    const sourceMapped = errorClass.prepareStackTrace;
    errorClass.prepareStackTrace = undefined;
    try {
        return register();
    } finally {
        errorClass.prepareStackTrace = sourceMapped;
    }
}

/**
 * An empty stack's up: the engine's cost that does not depend on the lab
 * (Pulumi's runtime, checking the node image against Docker's build cache),
 * in seconds. The bench reports it on its own line.
 */
export async function upEmpty(stack: string, image: LabPlan["image"]): Promise<number> {
    const started = Date.now();
    const engine = new DockerMockEngine();
    pulumi.runtime.setMocks(engine, "vnetlab", stack, false);
    await engine.output(nodeImage(`${stack}-node-image`, image).repoDigest);
    await engine.destroyAll();
    return (Date.now() - started) / 1000;
}
