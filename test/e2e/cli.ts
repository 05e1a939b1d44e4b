import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { manifestOf } from "../../plan/summary";
import type { LabPlan } from "../../plan/types";
import { PROJECT_DIR } from "../../model/stack-file";

export interface CliRun {
    readonly exitCode: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** One of the project's commands (a script run by ts-node, as `npm run` does), from the project directory. */
async function runScript(script: string, args: readonly string[]): Promise<CliRun> {
    try {
        const { stdout, stderr } = await promisify(execFile)(
            process.execPath, [require.resolve("ts-node/dist/bin"), script, ...args],
            { cwd: PROJECT_DIR, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, maxBuffer: 16 * 1024 * 1024 },
        );
        return { exitCode: 0, stdout, stderr };
    } catch (e) {
        const failed = e as { code?: number; stdout?: string; stderr?: string };
        return { exitCode: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
}

/** `npm run verify -- --manifest <file> ...` as a user runs it, against a plan's manifest. */
export async function runVerifyCli(plan: LabPlan, args: readonly string[] = []): Promise<CliRun> {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-")), "manifest.json");
    fs.writeFileSync(file, JSON.stringify(manifestOf(plan)));
    try {
        return await runScript("verify/cli.ts", ["--manifest", file, ...args]);
    } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
}

/** `npm run lab -- <args>` as a user runs it. */
export function runLabCli(args: readonly string[]): Promise<CliRun> {
    return runScript("scripts/lab.ts", args);
}
