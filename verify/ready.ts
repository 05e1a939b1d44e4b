// Waits until every node of a deployed lab says it is configured. Each
// node's start script logs one line when it is ready (READY_MESSAGE) or one
// when it fails (FAILED_MESSAGE), so following the container's log answers
// at once: no healthcheck interval, no polling, whichever engine made the lab.
import { PassThrough } from "stream";
import Docker from "dockerode";
import type { LabPlan } from "../plan/types";
import { FAILED_MESSAGE, READY_MESSAGE } from "../configs/paths";
import { containerLogTail } from "../host/logs";

export interface ReadyOptions {
    readonly docker: Docker;
    readonly timeoutSeconds?: number;
    /** Called once per node, as it becomes ready. */
    readonly onReady?: (node: string, done: number, total: number) => void;
}

export class NodeNotReadyError extends Error {
    constructor(readonly node: string, why: string, readonly log: string) {
        super(`${node} ${why}\n--- its start log ---\n${log}`);
    }
}

/** Resolves when every node is ready; rejects with the first node that failed, exited or timed out, and its log. */
export async function waitUntilReady(plan: LabPlan, options: ReadyOptions): Promise<void> {
    let done = 0;
    await Promise.all(plan.nodes.map(async (node) => {
        await waitForNode(options.docker, node.containerName, node.name, options.timeoutSeconds ?? 120);
        options.onReady?.(node.name, ++done, plan.nodes.length);
    }));
}

/** Follows one container's log from its start until the ready or failed line, or the stream's end (the container exited). */
export function waitForNode(docker: Docker, container: string, node: string, timeoutSeconds: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
        const lines: string[] = [];
        let partial = "";
        let settled = false;
        let source: NodeJS.ReadableStream | undefined;
        const finish = (error?: Error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            (source as { destroy?: () => void } | undefined)?.destroy?.();
            if (error) reject(error); else resolve();
        };
        const timer = setTimeout(
            () => finish(new NodeNotReadyError(node, `was not ready within ${timeoutSeconds} s`, lines.slice(-30).join("\n"))),
            timeoutSeconds * 1000,
        );
        const onText = (chunk: Buffer) => {
            const text = partial + chunk.toString("utf8");
            const parts = text.split("\n");
            partial = parts.pop() ?? "";
            for (const line of parts) {
                lines.push(line);
                if (line.endsWith(`] ${READY_MESSAGE}`)) finish();
                else if (line.includes(`] ${FAILED_MESSAGE}`)) finish(new NodeNotReadyError(node, "failed to start", lines.slice(-30).join("\n")));
            }
        };
        // The container's latest run only: a restarted node's earlier run may
        // have said ready, or failed, and says nothing about now. That run's
        // lines end when it finished (StartedAt is no bound: Docker records
        // it after the process has started, and a quick node may be ready by then).
        const logs = (since: string) => docker.getContainer(container)
            // Docker reads "seconds.nanoseconds"; the typings only know whole seconds.
            .logs({ follow: true, stdout: true, stderr: true, since: since as unknown as number });
        docker.getContainer(container).inspect().then(async (info) => {
            // Its latest run is over: whatever an earlier one said, it is not ready now.
            if (info.State.Running) return logs(previousRunEnd(info.State));
            finish(new NodeNotReadyError(node, `is not running (exit code ${info.State.ExitCode})`, await containerLogTail(docker, container, 30)));
            return undefined;
        }).then((stream) => {
            if (!stream) return;
            source = stream;
            // Timed out while Docker was still answering: nothing reads this log, and its open socket would keep the command alive.
            if (settled) (stream as { destroy?: () => void }).destroy?.();
            const out = new PassThrough();
            out.on("data", onText);
            docker.modem.demuxStream(stream, out, out);
            stream.on("end", () => finish(new NodeNotReadyError(node, "stopped before it was ready", lines.slice(-30).join("\n"))));
            stream.on("error", (e: Error) => finish(e));
        }, (e: Error) => finish(new NodeNotReadyError(node, `has no log to follow: ${e.message}`, "")));
    });
}

/**
 * Where a running container's log of its latest run begins: where the
 * previous run finished, or its first line if there was none (Docker's zero
 * time, year 1).
 */
export function previousRunEnd(state: { readonly FinishedAt: string }): string {
    const finished = dockerTimestamp(state.FinishedAt);
    return Number(finished) > 0 ? finished : "0";
}

/** An RFC 3339 time with nanoseconds, as Docker reports it, in the "seconds.nanoseconds" form its API takes. */
export function dockerTimestamp(rfc3339: string): string {
    const m = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
    if (!m) throw new Error(`not an RFC 3339 time: ${rfc3339}`);
    const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
    return `${seconds}.${(m[2] ?? "").padEnd(9, "0")}`;
}
