// What every check kind gets to work with, and what it reports per check.
import type Docker from "dockerode";
import type { LabPlan } from "../../plan/types";
import type { ExecResult } from "../exec";
import { NegotiatedSa, parseRawSas } from "../ipsec";

export { eachLimited } from "../exec";

export interface CheckContext {
    readonly plan: LabPlan;
    readonly docker: Docker;
    /** Upper bound for one check. */
    readonly timeoutSeconds: number;
    /** Runs a command in a node's container, bounded by `seconds` (default: timeoutSeconds). */
    exec(node: string, cmd: readonly string[], seconds?: number): Promise<ExecResult>;
    containerOf(node: string): string;
}

export interface Outcome {
    readonly expected: string;
    readonly observed: string;
    readonly pass: boolean;
    readonly seconds: number;
}

/** A check kind runs all its checks, in whatever batches suit it, and reports each as it completes. */
export type RunKind<S> = (specs: readonly S[], ctx: CheckContext, done: (spec: S, outcome: Outcome) => void) => Promise<void>;

/**
 * How many commands run in lab containers at once: enough to overlap their
 * waits, few enough that two cores and the Docker daemon keep up.
 */
export const EXEC_CONCURRENCY = 16;

/** Runs one check with an upper bound; an error or a timeout is a failed outcome, not a crash. */
export async function bounded(seconds: number, expected: string, check: () => Promise<Omit<Outcome, "seconds">>): Promise<Outcome> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
        const outcome = await Promise.race([
            check(),
            new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`check timed out after ${seconds}s`)), seconds * 1000); }),
        ]);
        return { ...outcome, seconds: (Date.now() - started) / 1000 };
    } catch (e) {
        return { expected, observed: `error: ${(e as Error).message}`, pass: false, seconds: (Date.now() - started) / 1000 };
    } finally {
        clearTimeout(timer);
    }
}

export const httpUrl = (address: string, port: number, path: string) => `http://${address.includes(":") ? `[${address}]` : address}:${port}/${path}`;


/** A node's IKE SA of one tunnel as `swanctl --list-sas --raw` lists it, with the command's own result for a report. */
export async function listSa(ctx: CheckContext, node: string, tunnel: string): Promise<{ readonly exec: ExecResult; readonly sa?: NegotiatedSa }> {
    const exec = await ctx.exec(node, ["swanctl", "--list-sas", "--ike", tunnel, "--raw"]);
    const sa = parseRawSas(exec.stdout);
    return sa ? { exec, sa } : { exec };
}
