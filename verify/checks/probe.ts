// Reach and must-not-reach probes (isolation, firewall, the stack's own
// checks). All probes of one node run in one batch inside it, each with its
// own deadline, so a node checks N targets in the time of one: verify stays
// linear in the number of nodes. A blocked probe waits out its deadline,
// which a round trip measured in this lab justifies (see probeDeadline).
import type { CheckSpec } from "../derive";
import { EXEC_CONCURRENCY, RunKind, eachLimited } from "./context";

export type ProbeSpec = Extract<CheckSpec, { kind: "probe" }>;

/** How long a probe that must reach may take: it returns as soon as it is answered. */
export const REACH_SECONDS = 3;

export interface ProbeDeadline {
    /** How long a must-not-reach probe waits for an answer that must not come. */
    readonly seconds: number;
    /** Where the figure comes from, for the report. */
    readonly why: string;
}

const MIN_DEADLINE = 0.5;
/** A reply later than this many round trips is not a slow reply but none. */
const ROUND_TRIPS = 100;

/**
 * The must-not-reach deadline: ROUND_TRIPS times the median connect time the
 * wire checks' requests measured through the lab's tunnels, at least MIN_DEADLINE,
 * at most REACH_SECONDS (the bound of old). Without a measurement, REACH_SECONDS.
 */
export function probeDeadline(connectSeconds: readonly number[]): ProbeDeadline {
    if (connectSeconds.length === 0) return { seconds: REACH_SECONDS, why: "no round trip measured" };
    const sorted = [...connectSeconds].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const seconds = Math.min(REACH_SECONDS, Math.max(MIN_DEADLINE, ROUND_TRIPS * median));
    return { seconds: Number(seconds.toFixed(2)), why: `${ROUND_TRIPS} x median round trip ${(median * 1000).toFixed(1)} ms, within ${MIN_DEADLINE}-${REACH_SECONDS} s` };
}

const REACHED = new Set(["open", "refused", "answered", "reply"]);

export const runProbeChecks = (deadline: ProbeDeadline): RunKind<ProbeSpec> => async (specs, ctx, done) => {
    const bySource = new Map<string, ProbeSpec[]>();
    for (const s of specs) {
        const batch = bySource.get(s.from);
        if (batch) batch.push(s); else bySource.set(s.from, [s]);
    }
    await eachLimited([...bySource.values()], EXEC_CONCURRENCY, async (batch) => {
        const waits = batch.map((s) => (s.expect === "reach" ? REACH_SECONDS : deadline.seconds));
        const tokens = batch.map((s, i) => `${s.protocol},${s.address},${s.port ?? ""},${waits[i]}`);
        const expectedOf = (s: ProbeSpec, i: number) => {
            const target = `${s.protocol} ${s.address}${s.port !== undefined ? ` port ${s.port}` : ""}`;
            return s.expect === "reach" ? `reaches ${target} (${s.why})` : `cannot reach ${target} within ${waits[i]}s (${s.why})`;
        };
        const started = Date.now();
        let words = new Map<number, { word: string; seconds: number }>();
        let failure = "";
        try {
            const r = await ctx.exec(batch[0].from, ["vnetlab-probe", "batch", ...tokens], Math.max(...waits) + 10);
            words = new Map([...r.stdout.matchAll(/^(\d+) (\S+) ([\d.]+)$/gm)].map((m) => [Number(m[1]), { word: m[2], seconds: Number(m[3]) }]));
            if (r.exitCode !== 0) failure = `probe exit ${r.exitCode}: ${r.stderr.trim()}`;
        } catch (e) {
            failure = `error: ${(e as Error).message}`;
        }
        batch.forEach((s, i) => {
            const got = words.get(i);
            const expected = expectedOf(s, i);
            if (!got) {
                done(s, { expected, observed: failure || "no answer from vnetlab-probe", pass: false, seconds: (Date.now() - started) / 1000 });
                return;
            }
            done(s, { expected, observed: got.word, pass: (s.expect === "reach") === REACHED.has(got.word), seconds: got.seconds });
        });
    });
};
