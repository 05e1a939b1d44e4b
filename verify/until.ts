// Verify again and again until a lab passes: how long a lab takes to heal
// after a fault (npm run lab -- fault), measured from the fault to the first
// run in which every check passed.
import type Docker from "dockerode";
import type { CheckResult } from "./run";
import type { LabPlan } from "../plan/types";
import { verifyLab } from "./index";
import { DPD_DELAY_SECONDS, RETRANSMIT_GIVE_UP_SECONDS } from "../configs";

/**
 * How long a lab may take to heal by its own settings: a dead peer is found
 * within a DPD delay plus charon's retransmits, and a tunnel dialled while
 * its peer was still down is dialled again after one more round of
 * retransmits; on top, a container's start and one verify run (READY_SLACK_SECONDS).
 */
export const READY_SLACK_SECONDS = 15;
export const RECOVERY_BOUND_SECONDS = Math.ceil(DPD_DELAY_SECONDS + 2 * RETRANSMIT_GIVE_UP_SECONDS + READY_SLACK_SECONDS);

/** Long enough down that every peer's DPD has given up on a node: the "stop" fault of the heal tests and the bench. */
export const OUTLAST_DPD_SECONDS = Math.ceil(DPD_DELAY_SECONDS + RETRANSMIT_GIVE_UP_SECONDS + 5);

export interface UntilPass {
    readonly healed: boolean;
    /** From the start of the first run to the end of the one that passed (or of the last one). */
    readonly seconds: number;
    readonly runs: number;
    /** The last run's results. */
    readonly results: readonly CheckResult[];
    /** Why the last run gave no results: a node still stopped, or not ready in time. */
    readonly error?: string;
}

/**
 * Runs `verifyOnce` until every check passes or `seconds` have gone by (a
 * run that begins before the deadline still counts), `pause` between runs.
 */
export async function verifyUntilPass(
    verifyOnce: () => Promise<readonly CheckResult[]>,
    options: { readonly seconds: number; readonly pauseSeconds?: number; readonly onRun?: (run: number, outcome: { readonly results: readonly CheckResult[]; readonly error?: string }, seconds: number) => void; readonly since?: number },
): Promise<UntilPass> {
    const started = options.since ?? Date.now();
    const deadline = started + options.seconds * 1000;
    for (let runs = 1; ; runs++) {
        // A node that is down, or not ready yet, is part of what heals: a failed run, not the end.
        let results: readonly CheckResult[] = [];
        let error: string | undefined;
        try {
            results = await verifyOnce();
        } catch (e) {
            error = (e as Error).message.split("\n")[0];
        }
        const seconds = (Date.now() - started) / 1000;
        options.onRun?.(runs, { results, ...(error !== undefined ? { error } : {}) }, seconds);
        const healed = error === undefined && results.every((r) => r.pass);
        if (healed || Date.now() >= deadline) return { healed, seconds, runs, results, ...(error !== undefined ? { error } : {}) };
        await new Promise((resolve) => setTimeout(resolve, (options.pauseSeconds ?? 1) * 1000));
    }
}

/** A probe's bound while a lab heals: a path still down must not hold up a run for the usual 20 s. */
const HEALING_PROBE_SECONDS = 5;

/**
 * The whole lab's verify until it passes, by default within the recovery
 * bound, timed from `since` (the fault) or from now: how the heal tests and
 * the bench wait for a lab to heal.
 */
export function verifyUntilHealed(plan: LabPlan, docker: Docker, options: { readonly seconds?: number; readonly since?: number } = {}): Promise<UntilPass> {
    return verifyUntilPass(() => verifyLab(plan, { docker, timeoutSeconds: HEALING_PROBE_SECONDS }), {
        seconds: options.seconds ?? RECOVERY_BOUND_SECONDS,
        ...(options.since !== undefined ? { since: options.since } : {}),
    });
}
