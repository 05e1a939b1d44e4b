// Reading the logs of a lab's containers through the Docker API.
// Readiness, the ESP probe and the tests read them.
import Docker from "dockerode";

/**
 * Splits Docker's multiplexed stdout/stderr framing (non-TTY containers):
 * 8-byte header [stream, 0, 0, 0, size(4, big-endian)] then the payload.
 */
export function demuxDockerFrames(buf: Buffer): { stdout: string; stderr: string } {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let pos = 0;
    while (pos + 8 <= buf.length) {
        const kind = buf[pos];
        const size = buf.readUInt32BE(pos + 4);
        const payload = buf.subarray(pos + 8, pos + 8 + size);
        if (kind === 2) err.push(payload); else out.push(payload);
        pos += 8 + size;
    }
    if (pos === 0 && buf.length > 0 && buf[0] > 2) {
        // Not framed at all: a TTY container's log is the raw terminal output.
        return { stdout: buf.toString("utf8"), stderr: "" };
    }
    return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** The last `lines` lines of a container's stdout and stderr, interleaved as Docker stored them. */
export async function containerLogTail(docker: Docker, container: string, lines = 50): Promise<string> {
    try {
        const buf = await docker.getContainer(container).logs({ stdout: true, stderr: true, follow: false, tail: lines });
        const { stdout, stderr } = demuxDockerFrames(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
        const text = [stdout, stderr].filter((s) => s.trim() !== "").join("\n--- stderr ---\n");
        return text.trim() === "" ? "(no output)" : text.trimEnd();
    } catch (e) {
        return `(logs unavailable: ${(e as Error).message})`;
    }
}
