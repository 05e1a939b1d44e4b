export type ConfigPath = readonly (string | number)[];

export interface ConfigIssue {
    readonly path: ConfigPath;
    readonly message: string;
}

/** The config key the lab lives under; every message names a path below it. */
export const CONFIG_ROOT = "vnetlab:lab";

export function formatPath(path: ConfigPath): string {
    return path.reduce<string>(
        (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}.${key}`),
        CONFIG_ROOT,
    );
}

/** Thrown before any resource is registered, listing every problem found. */
export class LabConfigError extends Error {
    constructor(readonly issues: readonly ConfigIssue[]) {
        super(
            `invalid lab config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
                issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join("\n"),
        );
        this.name = "LabConfigError";
    }
}
