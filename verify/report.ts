import Table from "cli-table3";
import type { CheckResult } from "./run";

const HEAD = ["check", "expected", "observed", "result", "time"] as const;
/** Columns that wrap; the others (result, time) always get their full width. */
const FLEXIBLE = [0, 1, 2] as const;
/** Width of a table when the output is no terminal (a log, a pipe, CI). */
export const DEFAULT_WIDTH = 100;
/** Space the grid takes per column: one padding space each side and one border. */
const CELL_OVERHEAD = 3;
const MIN_FLEXIBLE = 8;

function cells(r: CheckResult): string[] {
    return [r.id, r.expected, r.observed, r.pass ? "PASS" : "FAIL", `${r.seconds.toFixed(1)}s`];
}

/** The width to fit: the terminal's on a TTY, DEFAULT_WIDTH otherwise. */
export function outputWidth(stream: { readonly isTTY?: boolean; readonly columns?: number } = process.stdout): number {
    return stream.isTTY && stream.columns ? stream.columns : DEFAULT_WIDTH;
}

/**
 * Content widths that fit `width`: fixed columns get what they need; the
 * flexible ones share the rest, none more than its longest cell needs
 * (water-filling, so that a short column leaves its share to the long ones).
 */
function contentWidths(rows: readonly string[][], width: number): number[] {
    const natural = HEAD.map((_, c) => Math.max(...rows.map((r) => Math.max(...r[c]!.split("\n").map((l) => l.length)))));
    const widths = [...natural];
    let left = width - 1 - HEAD.length * CELL_OVERHEAD - natural.filter((_, c) => !(FLEXIBLE as readonly number[]).includes(c)).reduce((a, b) => a + b, 0);
    let open: number[] = [...FLEXIBLE].sort((a, b) => natural[a]! - natural[b]!);
    while (open.length > 0) {
        const share = Math.floor(left / open.length);
        const c = open[0]!;
        if (natural[c]! <= share) {
            widths[c] = natural[c]!;
            left -= natural[c]!;
            open = open.slice(1);
            continue;
        }
        // Every remaining column wants more than its share: split evenly, the remainder to the widest.
        for (const k of open) widths[k] = Math.max(MIN_FLEXIBLE, share);
        widths[open.at(-1)!]! += Math.max(0, left - share * open.length);
        break;
    }
    return widths;
}

/** Where a word too long for its column breaks best: after a separator inside it. */
const BREAK_AFTER = /[/,;:=]/;

/**
 * Breaks only words longer than the column (a proposal list or an id with no
 * space in it): after its last separator that fits, else at the column's
 * edge. cli-table3's own wrapping breaks at spaces only and would cut such a
 * word off.
 */
function breakLongWord(word: string, width: number): string {
    const pieces: string[] = [];
    let rest = word;
    while (rest.length > width) {
        let at = width;
        for (let k = width - 1; k >= Math.ceil(width / 3); k--) {
            if (BREAK_AFTER.test(rest[k - 1]!)) { at = k; break; }
        }
        pieces.push(rest.slice(0, at));
        rest = rest.slice(at);
    }
    return [...pieces, rest].join("\n");
}

function breakLongWords(text: string, width: number): string {
    return text.split("\n").map((line) => line.split(" ").map((word) => (word.length <= width ? word : breakLongWord(word, width))).join(" ")).join("\n");
}

/**
 * The results as a table that fits `width` columns: cells wrap at spaces
 * inside the grid, and a word is split only when it alone is wider than its
 * column.
 */
export function formatTable(results: readonly CheckResult[], width: number = outputWidth()): string {
    const rows = [[...HEAD], ...results.map(cells)];
    const widths = contentWidths(rows, width);
    const table = new Table({
        head: [...HEAD],
        colWidths: widths.map((w) => w + 2),
        wordWrap: true,
        wrapOnWordBoundary: true,
        style: { head: [], border: [], "padding-left": 1, "padding-right": 1 },
    });
    for (const row of rows.slice(1)) table.push(row.map((cell, c) => breakLongWords(cell, widths[c]!)));
    return table.toString();
}

export function summary(results: readonly CheckResult[]): string {
    const passed = results.filter((r) => r.pass).length;
    return `${passed} passed, ${results.length - passed} failed`;
}
