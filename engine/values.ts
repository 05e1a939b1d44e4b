// Value handling shared by the Docker-backed mock engine: how Pulumi's mock
// monitor hands inputs over, and Go-style durations as the Docker provider
// parses them.

/** Key and value that mark a secret in the mock monitor's deserialized inputs. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";
/** What an unknown (preview-only) value looks like; a real create never sees one. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && !Array.isArray(value)
        && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_MARK;
}

/**
 * Strips secret wrappers at any depth. The engine needs plain values to talk
 * to Docker; the state it hands back keeps the original (wrapped) inputs so
 * that Pulumi keeps them secret, as the real engine does.
 */
export function unwrapSecrets(value: unknown, path = "inputs"): unknown {
    if (value === UNKNOWN_VALUE) {
        throw new Error(`DockerMockEngine: ${path} is unknown; the engine creates real things and needs preview=false`);
    }
    if (isSecretWrapper(value)) return unwrapSecrets(value.value, path);
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`));
    if (typeof value === "object" && value !== null && !Buffer.isBuffer(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = unwrapSecrets(v, `${path}.${k}`);
        return out;
    }
    return value;
}

const DURATION_UNITS_NS: Readonly<Record<string, number>> = {
    ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/**
 * Go's time.ParseDuration, which the provider uses for healthcheck timings:
 * "1m30s", "500ms", "2s", "0". Anything else is an error here, where the
 * provider would silently send 0 (Docker's default) — a typo should not pass.
 */
export function parseGoDuration(text: string): number {
    const s = text.trim();
    if (s === "0" || s === "") return 0;
    const sign = s.startsWith("-") ? -1 : 1;
    const body = s.replace(/^[-+]/, "");
    const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
    let total = 0;
    let pos = 0;
    while (pos < body.length) {
        re.lastIndex = pos;
        const m = re.exec(body);
        if (!m) throw new Error(`invalid duration "${text}" (expected Go syntax such as "2s", "500ms", "1m30s")`);
        total += parseFloat(m[1]) * DURATION_UNITS_NS[m[2]];
        pos = re.lastIndex;
    }
    return sign * Math.round(total);
}
