// Runs one of the project's commands as `npm run -s <command> | <reader>`
// would, with its stdout and its stderr each a real pipe (pipe(2), by bash)
// into a slow reader (./slow-reader.ts): what a command writes just before it
// ends arrives only if it waits for its pipes to drain.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../model/stack-file";

export interface PipedRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** bash: stderr into one reader, stdout (through fd 3) into the other; pipefail gives the command's own exit code. */
const PIPELINE = `set -o pipefail
out=$1 err=$2; shift 2
reader=(node -r ts-node/register test/support/slow-reader.ts)
{ "$@" 2>&1 1>&3 3>&- | "\${reader[@]}" "$err" 3>&-; } 3>&1 | "\${reader[@]}" "$out"`;

/** `script args...` (a .ts file of the project, run by ts-node as `npm run` does) with both outputs piped into slow readers. */
export async function runPiped(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PipedRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-pipes-"));
    const out = path.join(dir, "stdout");
    const err = path.join(dir, "stderr");
    try {
        const code = await new Promise<number>((resolve) => {
            execFile("bash", ["-c", PIPELINE, "pipes", out, err, process.execPath, "-r", "ts-node/register", script, ...args], {
                cwd: PROJECT_DIR,
                env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", ...env },
                timeout: 30 * 60 * 1000,
            }, (error) => resolve(error ? Number(error.code ?? -1) : 0));
        });
        return { code, stdout: fs.readFileSync(out, "utf8"), stderr: fs.readFileSync(err, "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
