import type { CheckResult } from "./run";

const COLUMNS = ["check", "expected", "observed", "result", "time"] as const;

function cells(r: CheckResult): string[] {
    return [r.id, r.expected, r.observed, r.pass ? "PASS" : "FAIL", `${r.seconds.toFixed(1)}s`];
}

/** A plain-text table; long cells wrap inside their column so it stays readable in a terminal. */
export function formatTable(results: readonly CheckResult[], widths: readonly number[] = [44, 52, 52, 6, 6]): string {
    const wrap = (text: string, width: number): string[] => {
        const out: string[] = [];
        for (let rest = text; rest.length > 0 || out.length === 0; rest = rest.slice(width)) out.push(rest.slice(0, width));
        return out;
    };
    const line = (row: readonly string[]) => {
        const wrapped = row.map((c, i) => wrap(c, widths[i]));
        const height = Math.max(...wrapped.map((w) => w.length));
        return Array.from({ length: height }, (_, k) => wrapped.map((w, i) => (w[k] ?? "").padEnd(widths[i])).join(" | ").trimEnd()).join("\n");
    };
    const rule = widths.map((w) => "-".repeat(w)).join("-+-");
    return [line(COLUMNS), rule, ...results.map((r) => line(cells(r)))].join("\n");
}

export function summary(results: readonly CheckResult[]): string {
    const passed = results.filter((r) => r.pass).length;
    return `${passed} passed, ${results.length - passed} failed`;
}
