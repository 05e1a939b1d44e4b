// During requests that carry unique markers, a capture on the wire shows ESP
// (or ESP in UDP 4500) between each tunnel's gateways, no packet of the
// service port in clear and none of the markers. One capture on the router
// serves every tunnel that crosses it (a shared segment's tunnels are watched
// on the responder's outside): the requests run side by side and each is told
// apart by its gateways' addresses and its marker.
import * as crypto from "crypto";
import type { CheckSpec } from "../derive";
import { execDetached } from "../exec";
import { EXEC_CONCURRENCY, RunKind, bounded, eachLimited, httpUrl } from "./context";

export type WireSpec = Extract<CheckSpec, { kind: "wire" }>;

const PCAP = "/tmp/vnetlab-verify.pcap";
const PIDFILE = "/tmp/vnetlab-verify.pid";
/** tcpdump's closing words: how many packets the kernel dropped before it read them. */
const STATS = "/tmp/vnetlab-verify.stats";
/**
 * A router of a hundred links sees every tunnel's packets at once while the
 * host is busy; with the default 2 MiB ring the kernel dropped some (a wire
 * check saw 0 ESP packets of a tunnel whose request was answered).
 */
const CAPTURE_BUFFER_KIB = 32768;
/** Enough for the headers and the start of an HTTP request, where a marker would show. */
const SNAPLEN = 512;
/** Stops a capture left by an earlier run, and waits until it is gone (the image has no pkill). */
const STOP_CAPTURE = `[ -s ${PIDFILE} ] && kill -INT "$(cat ${PIDFILE})" 2>/dev/null; ` +
    `for i in $(seq 100); do [ -s ${PIDFILE} ] && kill -0 "$(cat ${PIDFILE})" 2>/dev/null || break; sleep 0.05; done; rm -f ${PIDFILE}`;
/** curl's -w line with the TCP connect time: what a round trip through the lab costs. */
const CONNECT_TIME = "\\nvnetlab-connect-seconds=%{time_connect}\\n";
const connectTimeOf = (curlStdout: string): number | undefined => {
    const seconds = Number(/^vnetlab-connect-seconds=([\d.]+)$/m.exec(curlStdout)?.[1]);
    return seconds > 0 ? seconds : undefined;
};
/** Packets still in flight when the last answer arrived (an ACK, a FIN) land in the capture within this. */
const SETTLE_SECONDS = 0.3;

const pointKey = (point: WireSpec["capture"]) => `${point.node}/${point.interface}`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A tcpdump line names an address followed by ".port", ":" or a space; a longer address must not match. */
const mentions = (line: string, address: string) => new RegExp(`(^|\\s)${escape(address)}([.:,\\s]|$)`).test(line);

/**
 * The wire's requests find their tunnels up, so their connect times are the
 * lab's round trip: each one that connected adds its time to `connectSeconds`.
 */
export const runWireChecks = (connectSeconds: number[]): RunKind<WireSpec> => async (specs, ctx, done) => {
    if (specs.length === 0) return;
    const started = Date.now();
    const markers = new Map(specs.map((s) => [s, `vnetlab-wire-${crypto.randomBytes(6).toString("hex")}`]));
    const answered = new Map<WireSpec, boolean>();
    const points = new Map(specs.map((s) => [pointKey(s.capture), s.capture]));

    // Every capture runs before the first request and stops after the last.
    const captures = await Promise.all([...points.values()].map(async (point) => {
        await ctx.exec(point.node, ["sh", "-c", `${STOP_CAPTURE}; rm -f ${PCAP}; true`]);
        await execDetached(ctx.docker, ctx.containerOf(point.node), ["sh", "-c",
            `echo $$ >${PIDFILE}; exec timeout ${ctx.timeoutSeconds} tcpdump -i ${point.interface} -nn -U --immediate-mode -B ${CAPTURE_BUFFER_KIB} -s ${SNAPLEN} -Z root -w ${PCAP} 2>${STATS}`]);
        // tcpdump writes the file's header once it captures.
        const started = await ctx.exec(point.node, ["sh", "-c", `for i in $(seq 100); do [ -s ${PCAP} ] && exit 0; sleep 0.05; done; exit 1`]);
        return { point, capturing: started.exitCode === 0 };
    }));
    try {
        await eachLimited(specs, EXEC_CONCURRENCY, async (s) => {
            const r = await ctx.exec(s.from, ["curl", "-sS", "-g", "-m", "10", "-w", CONNECT_TIME, httpUrl(s.address, s.port, markers.get(s)!)]);
            answered.set(s, r.exitCode === 0);
            const connect = connectTimeOf(r.stdout);
            if (r.exitCode === 0 && connect !== undefined) connectSeconds.push(connect);
        });
    } finally {
        await Promise.all(captures.map(({ point }) => ctx.exec(point.node, ["sh", "-c", `sleep ${SETTLE_SECONDS}; ${STOP_CAPTURE}`])));
    }
    const seen = new Map(await Promise.all(captures.map(async ({ point, capturing }) => {
        const read = await ctx.exec(point.node, ["sh", "-c",
            `tcpdump -nn -r ${PCAP} 2>/dev/null; for m in ${[...markers.values()].join(" ")}; do echo "marker $m $(grep -a -c $m ${PCAP})"; done; ` +
            `echo "dropped $(awk '/dropped by kernel/ { print $1 }' ${STATS})"; rm -f ${PCAP} ${STATS}`]);
        return [pointKey(point), {
            capturing,
            lines: read.stdout.split("\n").filter((l) => l.trim() && !l.startsWith("marker ") && !l.startsWith("dropped ")),
            dropped: Number(/^dropped (\d+)$/m.exec(read.stdout)?.[1] ?? 0),
            markers: new Set([...read.stdout.matchAll(/^marker (\S+) (\d+)$/gm)].filter((m) => m[2] !== "0").map((m) => m[1])),
        }] as const;
    })));
    const seconds = (Date.now() - started) / 1000;

    for (const s of specs) {
        const [a, b] = s.between;
        const where = s.capture.interface === "any" ? s.capture.node : `${s.capture.node} ${s.capture.interface}`;
        const expected = `ESP between ${a} and ${b}, no plaintext of port ${s.port} (seen on ${where})`;
        const capture = seen.get(pointKey(s.capture))!;
        done(s, await bounded(ctx.timeoutSeconds, expected, async () => {
            if (!capture.capturing) return { expected, observed: `the capture on ${where} did not start`, pass: false };
            const esp = capture.lines.filter((l) => /ESP\(spi=/.test(l) && mentions(l, a) && mentions(l, b)).length;
            // Any packet of the service port in clear counts, whichever tunnel it strayed from.
            const plaintext = capture.lines.filter((l) => new RegExp(`\\.${s.port}[ :]`).test(l) && !/ESP\(spi=/.test(l)).length;
            const markerSeen = capture.markers.has(markers.get(s)!);
            const ok = answered.get(s) === true;
            return {
                expected,
                observed: `${esp} ESP packet(s), ${plaintext} plaintext packet(s), marker ${markerSeen ? "SEEN" : "absent"}; request ${ok ? "answered" : "failed"}` +
                    (capture.dropped > 0 ? `; the capture lost ${capture.dropped} packet(s)` : ""),
                pass: ok && esp >= 2 && plaintext === 0 && !markerSeen,
            };
        }).then((o) => ({ ...o, seconds })));
    }
};
