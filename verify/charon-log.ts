// Why a tunnel is not up, in the words charon logged it: the lines of its
// latest IKE attempt, read as a network engineer reads them. charon prefixes
// each line of an IKE_SA with "<name|id>" once a connection matched, and with
// "<id>" before that (a responder's IKE_SA_INIT), so an attempt is found by its
// connection's name or, unnamed, by the peer it came from.

export interface LogLine {
    readonly id: number;
    readonly name?: string;
    readonly text: string;
}

const LINE = /^\S+ \d+\[\w+\] <(?:([^|>]+)\|)?(\d+)> (.*)$/;

export function parseCharonLog(log: string): LogLine[] {
    return log.split("\n").flatMap((line) => {
        const m = LINE.exec(line);
        return m ? [{ id: Number(m[2]), ...(m[1] !== undefined ? { name: m[1] } : {}), text: m[3]!.trim() }] : [];
    });
}

/** The lines of the IKE_SAs of one tunnel: named after it, or, unnamed, begun by a packet from its peer. */
export function tunnelLines(lines: readonly LogLine[], tunnel: string, peer: string): LogLine[] {
    const ids = new Set<number>();
    for (const l of lines) {
        if (l.name === tunnel) ids.add(l.id);
        else if (l.name === undefined && l.text.startsWith(`received packet: from ${peer}[`)) ids.add(l.id);
    }
    return lines.filter((l) => ids.has(l.id) && (l.name === undefined || l.name === tunnel));
}

interface Cause {
    readonly match: RegExp;
    /** Why, in a network engineer's words; $1.. are the match's groups. */
    readonly says: string;
    /** The attempt's "received proposals" and "configured proposals" lines say what did not meet. */
    readonly proposals?: true;
}

// Most telling first: an attempt's last line is often only its consequence
// ("failed to establish CHILD_SA" after TS_UNACCEPTABLE).
const CAUSES: readonly Cause[] = [
    { match: /^received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built/, says: "the peer accepted none of the ESP proposals (NO_PROPOSAL_CHOSEN)" },
    { match: /^no acceptable proposal found/, says: "none of the peer's ESP proposals is acceptable here (NO_PROPOSAL_CHOSEN)", proposals: true },
    { match: /^received NO_PROPOSAL_CHOSEN notify error/, says: "the peer accepted none of the IKE proposals (NO_PROPOSAL_CHOSEN)" },
    { match: /^received proposals unacceptable/, says: "none of the peer's IKE proposals is acceptable here (NO_PROPOSAL_CHOSEN)", proposals: true },
    { match: /^received TS_UNACCEPTABLE notify, no CHILD_SA built/, says: "the peer refused the traffic selectors (TS_UNACCEPTABLE)" },
    { match: /^traffic selectors (.*) unacceptable/, says: "the peer's traffic selectors $1 are unacceptable here (TS_UNACCEPTABLE)" },
    { match: /^certificate was revoked on (.*)/, says: "the peer's certificate is revoked, since $1 (AUTHENTICATION_FAILED)" },
    { match: /^tried \d+ shared keys? for (.*), but MAC mismatched/, says: "the pre-shared keys of the two ends differ, tried for $1 (AUTHENTICATION_FAILED)" },
    { match: /^received AUTHENTICATION_FAILED notify error/, says: "the peer refused this end's authentication (AUTHENTICATION_FAILED)" },
    { match: /^no trusted \S+ public key found for (.*)/, says: "no trusted public key for $1: the peer's certificate did not verify (AUTHENTICATION_FAILED)" },
    { match: /^constraint check failed: (.*)/, says: "the peer's certificate failed a check: $1 (AUTHENTICATION_FAILED)" },
    { match: /^giving up after (\d+) retransmits/, says: "no answer from the peer: gave up after $1 retransmits" },
    { match: /^retransmit (\d+) of request with message ID (\d+)/, says: "no answer from the peer yet (retransmit $1 of request $2)" },
    { match: /^failed to establish CHILD_SA/, says: "the CHILD_SA failed to establish" },
    { match: /^received DELETE for IKE_SA/, says: "the peer deleted the IKE_SA" },
];

/**
 * The cause of the tunnel's latest failed attempt, with the log line it
 * comes from, or undefined when its lines say nothing that explains one.
 */
export function explainTunnel(lines: readonly LogLine[], tunnel: string, peer: string): string | undefined {
    const mine = tunnelLines(lines, tunnel, peer);
    if (mine.length === 0) return `charon logged no IKE exchange of ${tunnel} with ${peer}`;
    const lastId = mine[mine.length - 1]!.id;
    const attempt = mine.filter((l) => l.id === lastId);
    for (const cause of CAUSES) {
        for (let i = attempt.length - 1; i >= 0; i--) {
            const line = attempt[i]!.text;
            const m = cause.match.exec(line);
            if (!m) continue;
            const says = cause.says.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? "");
            const offered = (which: string) => attempt.map((l) => new RegExp(`^${which} proposals: (.*)`).exec(l.text)?.[1]).filter(Boolean).at(-1);
            const met = cause.proposals && offered("received") && offered("configured")
                ? ` (received ${offered("received")}, configured ${offered("configured")})` : "";
            return `${says}${met}; charon: "${line}"`;
        }
    }
    return undefined;
}
