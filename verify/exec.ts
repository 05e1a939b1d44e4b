import Docker from "dockerode";
import { PassThrough } from "stream";

export interface ExecResult {
    readonly exitCode: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs a command in a lab container through the Docker API. The command is
 * wrapped in coreutils `timeout` so that a hung probe ends inside the
 * container too, not only in this process.
 */
export async function execIn(docker: Docker, container: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecResult> {
    const exec = await docker.getContainer(container).exec({
        Cmd: ["timeout", "-s", "KILL", String(timeoutSeconds), ...cmd],
        AttachStdout: true,
        AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
    out.on("data", (c: Buffer) => chunks.out.push(c));
    err.on("data", (c: Buffer) => chunks.err.push(c));
    docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`exec in ${container} did not finish in ${timeoutSeconds + 5}s: ${cmd.join(" ")}`)), (timeoutSeconds + 5) * 1000);
        stream.on("end", () => { clearTimeout(guard); resolve(); });
        stream.on("error", (e) => { clearTimeout(guard); reject(e); });
    });
    // The exit code can trail the end of the stream by a moment.
    for (let attempt = 0; attempt < 50; attempt++) {
        const info = await exec.inspect();
        if (!info.Running && info.ExitCode !== null) {
            return {
                exitCode: info.ExitCode,
                stdout: Buffer.concat(chunks.out).toString("utf8"),
                stderr: Buffer.concat(chunks.err).toString("utf8"),
            };
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`exec in ${container} gave no exit code: ${cmd.join(" ")}`);
}

/** Starts a command and returns at once; for captures that run alongside other checks. */
export async function execDetached(docker: Docker, container: string, cmd: readonly string[]): Promise<void> {
    const exec = await docker.getContainer(container).exec({ Cmd: [...cmd], AttachStdout: false, AttachStderr: false });
    const response = await exec.start({ Detach: true });
    // Docker answers a detached start with an empty body. Until that body is
    // read, its socket stays open, and with it this process: `npm run verify`
    // lingered five minutes after its last line.
    await new Promise<void>((resolve, reject) => {
        response.once("end", resolve);
        response.once("error", reject);
        response.resume();
    });
}

/** Runs `work` on every item, at most `limit` at once, in order of the items. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
