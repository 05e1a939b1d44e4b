import { execFile, spawn } from "child_process";
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

const scriptArgs = (script: string, args: readonly string[]) => [require.resolve("ts-node/dist/bin"), script, ...args];
const scriptEnv = () => ({ ...process.env, TS_NODE_TRANSPILE_ONLY: "true" });

/** One of the project's commands (a script run by ts-node, as `npm run` does), from the project directory. */
async function runScript(script: string, args: readonly string[]): Promise<CliRun> {
    try {
        const { stdout, stderr } = await promisify(execFile)(
            process.execPath, scriptArgs(script, args),
            { cwd: PROJECT_DIR, env: scriptEnv(), maxBuffer: 16 * 1024 * 1024 },
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

/** `npm run verify -- --stack <stack> ...`: the manifest from the deployed stack's outputs. */
export function runVerifyStackCli(stack: string, args: readonly string[] = []): Promise<CliRun> {
    return runScript("verify/cli.ts", ["--stack", stack, ...args]);
}

/** `npm run lab -- <args>` as a user runs it. */
export function runLabCli(args: readonly string[]): Promise<CliRun> {
    return runScript("scripts/lab.ts", args);
}

/** Every process below `root`, from /proc's parent links. */
function descendants(root: number): number[] {
    const parentOf = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            // "pid (comm) state ppid ...": comm may hold spaces, so read after its last ")".
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            // Gone while listing.
        }
    }
    const found: number[] = [];
    const walk = (pid: number) => {
        for (const [child, parent] of parentOf) if (parent === pid) { found.push(child); walk(child); }
    };
    walk(root);
    return found;
}

/**
 * `npm run lab -- <args>` started in a process group of its own, to be killed
 * (SIGKILL, the whole group: the command, the pulumi CLI, its language host
 * and providers) once its output matches `when`, as a crash or `kill -9` would.
 */
export function startLabCli(args: readonly string[]): { killWhen(when: RegExp, timeoutSeconds?: number): Promise<CliRun> } {
    const child = spawn(process.execPath, scriptArgs("scripts/lab.ts", args), { cwd: PROJECT_DIR, env: scriptEnv(), detached: true });
    let stdout = "";
    let stderr = "";
    return {
        killWhen: (when, timeoutSeconds = 300) => new Promise<CliRun>((resolve, reject) => {
            const kill = () => {
                // The CLI starts its plugins in process groups of their own: killed
                // with the group they would outlive it, as after a real crash, and
                // keep running after the tests. Every descendant is killed too.
                for (const pid of [-child.pid!, ...descendants(child.pid!)]) {
                    try {
                        process.kill(pid, "SIGKILL");
                    } catch {
                        // Already gone.
                    }
                }
            };
            const timer = setTimeout(() => { kill(); reject(new Error(`lab ${args.join(" ")}: no output matching ${when} within ${timeoutSeconds} s:\n${stdout}\n${stderr}`)); }, timeoutSeconds * 1000);
            const look = () => { if (when.test(stdout) || when.test(stderr)) kill(); };
            child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); look(); });
            child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); look(); });
            child.on("close", (code) => { clearTimeout(timer); resolve({ exitCode: code ?? -1, stdout, stderr }); });
        }),
    };
}
