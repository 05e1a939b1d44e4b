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

/**
 * A lab refused before anything of it is made: a mistake in its config or
 * secrets, or a host that cannot carry it. Its message says all a user needs;
 * the program hands it to Pulumi as such (components/deploy.ts).
 */
export class LabRefusedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LabRefusedError";
    }
}

/** Thrown before any resource is registered, listing every problem found. */
export class LabConfigError extends LabRefusedError {
    constructor(readonly issues: readonly ConfigIssue[]) {
        super(
            `invalid lab config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
                issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join("\n"),
        );
        this.name = "LabConfigError";
    }
}
