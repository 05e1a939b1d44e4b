// What `npm run verify` shows while checks run. On a terminal: one line that
// keeps changing — the latest check, i of n, how many are done, the time so
// far — with failures left above it as they happen. Elsewhere (CI logs,
// pipes): one plain line per finished check, `[i/n] <id> ... ok (0.1s)`.
import type { CheckSpec } from "./derive";
import type { CheckResult } from "./run";

/** Where progress goes: stderr, or anything shaped like it (tests). */
export interface ProgressStream {
    readonly isTTY?: boolean;
    readonly columns?: number;
    write(text: string): unknown;
}

export interface Progress {
    readonly onProgress: (index: number, total: number, spec: CheckSpec) => void;
    readonly onResult: (result: CheckResult) => void;
    /** Ends the progress display (clears the live line on a terminal). */
    readonly done: () => void;
}

/** How often the live line is redrawn. */
const REDRAW_MS = 200;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function progressReporter(stream: ProgressStream, clock: () => number = Date.now): Progress {
    const started = clock();
    const indexOf = new Map<string, number>();
    let total = 0;
    const line = (r: CheckResult) => `[${(indexOf.get(r.id) ?? 0) + 1}/${total}] ${r.id} ... ${r.pass ? "ok" : "FAIL"} (${r.seconds.toFixed(1)}s)`;

    if (!stream.isTTY) {
        return {
            onProgress: (index, n, spec) => { indexOf.set(spec.id, index); total = n; },
            onResult: (r) => { stream.write(`${line(r)}\n`); },
            done: () => undefined,
        };
    }

    let finished = 0;
    let failed = 0;
    /** The check last reported by the runner: the one that started, or just finished, last. */
    let latest: CheckSpec | undefined;
    let timer: NodeJS.Timeout | undefined;
    const width = () => Math.max(20, (stream.columns || 80) - 1);
    const clear = () => stream.write("\r\x1b[K");
    const draw = () => {
        const head = latest ? `[${(indexOf.get(latest.id) ?? 0) + 1}/${total}] ` : "";
        const tail = ` · ${finished} done${failed ? `, ${failed} failed` : ""} · ${seconds(clock() - started)}`;
        const id = latest?.id ?? "";
        const room = width() - head.length - tail.length;
        const shown = id.length > room ? `${id.slice(0, Math.max(0, room - 1))}…` : id;
        clear();
        stream.write(`${head}${shown}${tail}`.slice(0, width()));
    };
    return {
        onProgress: (index, n, spec) => {
            indexOf.set(spec.id, index);
            total = n;
            latest = spec;
            if (!timer) {
                timer = setInterval(draw, REDRAW_MS);
                timer.unref();
            }
            draw();
        },
        onResult: (r) => {
            finished++;
            if (!r.pass) {
                failed++;
                clear();
                stream.write(`${line(r)}\n`);
            }
            draw();
        },
        done: () => {
            if (timer) clearInterval(timer);
            timer = undefined;
            clear();
            stream.write(`${finished} check${finished === 1 ? "" : "s"} in ${seconds(clock() - started)}${failed ? `, ${failed} failed` : ""}\n`);
        },
    };
}
