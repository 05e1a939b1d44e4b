// Small text helpers shared by the renderers. Pure functions only.

/** A file's text from its lines: "\n" between them and one at the end. */
export function fileText(lines: readonly string[]): string {
    return `${lines.join("\n")}\n`;
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A word for bash, quoted only when it needs it. */
export function shellQuote(word: string): string {
    if (SHELL_SAFE.test(word)) return word;
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A string as iptables-restore reads it between double quotes (comments). */
export function iptablesString(text: string): string {
    // iptables-restore knows "..." and backslash escapes; xt_comment keeps 255 bytes.
    const clean = text.replace(/[\\"]/g, "").replace(/[^\x20-\x7e]/g, "?").slice(0, 255);
    return `"${clean}"`;
}

/** A strongSwan settings tree (strongswan.conf, swanctl.conf). */
export type Setting = readonly [key: string, value: string | number | readonly Setting[]];

/** Renders settings as strongSwan's nested "key = value" / "name { ... }" syntax, four spaces per level. */
export function strongswanSettings(settings: readonly Setting[], depth = 0): string[] {
    const pad = "    ".repeat(depth);
    const out: string[] = [];
    for (const [key, value] of settings) {
        if (typeof value === "string" || typeof value === "number") {
            out.push(`${pad}${key} = ${value}`);
        } else {
            out.push(`${pad}${key} {`);
            out.push(...strongswanSettings(value as readonly Setting[], depth + 1));
            out.push(`${pad}}`);
        }
    }
    return out;
}
