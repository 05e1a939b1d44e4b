import type { CheckResult } from "./run";

const HEAD = ["check", "expected", "observed", "result", "time"] as const;
/** Columns that wrap; the others (result, time) always get their full width. */
const FLEXIBLE = [0, 1, 2] as const;
/** Width of a table when the output is no terminal (a log, a pipe, CI). */
export const DEFAULT_WIDTH = 100;
/** Space the grid takes per column: one padding space each side and one border. */
const CELL_OVERHEAD = 3;
const MIN_FLEXIBLE = 8;
/** Lines a cell shows at most (see capLines). */
const MAX_CELL_LINES = 20;

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
    const natural = HEAD.map((_, c) => rows.reduce((most, r) => r[c]!.split("\n").reduce((m, l) => Math.max(m, l.length), most), 0));
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
 * A word wider than its column (a proposal list or an id with no space in
 * it), in pieces that fit: each ends after its last separator that fits, else
 * at the column's edge.
 */
function breakLongWord(word: string, width: number): string[] {
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
    return [...pieces, rest];
}

/** A cell's text as the lines of a column `width` wide: wrapped at spaces, a word split only when it alone is wider. */
function wrapCell(text: string, width: number): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split("\n")) {
        let line = "";
        for (const word of paragraph.split(" ").filter((w) => w !== "")) {
            const pieces = word.length <= width ? [word] : breakLongWord(word, width);
            for (const piece of pieces) {
                if (line === "") line = piece;
                else if (line.length + 1 + piece.length <= width) line += ` ${piece}`;
                else { lines.push(line); line = piece; }
            }
        }
        lines.push(line);
    }
    return lines;
}

/**
 * At most MAX_CELL_LINES of a cell: a table is read on a terminal, and the
 * full text of every result is in `--json` and the HTML report.
 */
function capLines(lines: string[], width: number): string[] {
    if (lines.length <= MAX_CELL_LINES) return lines;
    const note = (kept: number) => wrapCell(`... ${lines.length - kept} more lines (all in --json)`, width);
    // The note itself may take two lines of a narrow column.
    const kept = MAX_CELL_LINES - note(MAX_CELL_LINES - 1).length;
    return [...lines.slice(0, kept), ...note(kept)];
}

/**
 * The results as a table that fits `width` columns: cells wrap at spaces
 * inside the grid, and a word is split only when it alone is wider than its
 * column. Drawn here, in time linear in the text: cli-table3, used before,
 * measures every line of a cell again for each line it draws, and one failed
 * check with a 3 KB observation took it 7.5 s (a 20 KB one: hours, with the
 * event loop blocked).
 */
export function formatTable(results: readonly CheckResult[], width: number = outputWidth()): string {
    const rows = [[...HEAD], ...results.map(cells)];
    const widths = contentWidths(rows, width);
    const rule = (left: string, middle: string, right: string) => left + widths.map((w) => "─".repeat(w + 2)).join(middle) + right;
    const out = [rule("┌", "┬", "┐")];
    rows.forEach((row, r) => {
        if (r > 0) out.push(rule("├", "┼", "┤"));
        const columns = row.map((cell, c) => capLines(wrapCell(cell, widths[c]!), widths[c]!));
        const height = Math.max(...columns.map((lines) => lines.length));
        for (let i = 0; i < height; i++) {
            out.push(`│${columns.map((lines, c) => ` ${(lines[i] ?? "").padEnd(widths[c]!)} `).join("│")}│`);
        }
    });
    out.push(rule("└", "┴", "┘"));
    return out.join("\n");
}

export function summary(results: readonly CheckResult[]): string {
    const passed = results.filter((r) => r.pass).length;
    return `${passed} passed, ${results.length - passed} failed`;
}
