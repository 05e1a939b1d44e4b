// Reading `swanctl --list-sas --raw` and the stack's proposals into the same
// terms, so a check can say "configured X, negotiated Y".

export interface NegotiatedSa {
    readonly ike: {
        readonly state: string; readonly algorithms: readonly string[];
        /** Where each side met the other: a NAT router shows as the remote address and port. */
        readonly localHost?: string; readonly localPort?: number; readonly remoteHost?: string; readonly remotePort?: number;
        /** Virtual IPs this side got from its peer. */
        readonly localVips: readonly string[];
    };
    readonly children: readonly {
        readonly state: string;
        /** TUNNEL or TRANSPORT, as swanctl says; undefined where it says nothing. */
        readonly mode?: string;
        readonly algorithms: readonly string[];
        readonly localTs: readonly string[];
        readonly remoteTs: readonly string[];
    }[];
}

const field = (text: string, key: string) => new RegExp(`(?:^|[\\s{])${key}=([^\\s{}]+)`).exec(text)?.[1];
const list = (text: string, key: string) => (new RegExp(`${key}=\\[([^\\]]*)\\]`).exec(text)?.[1] ?? "").split(/\s+/).filter(Boolean);

function algorithms(text: string): string[] {
    const encr = field(text, "encr-alg");
    const keysize = field(text, "encr-keysize");
    return [
        encr && (keysize ? `${encr}-${keysize}` : encr),
        field(text, "integ-alg"),
        field(text, "prf-alg"),
        field(text, "dh-group"),
    ].filter((a): a is string => a !== undefined);
}

export function parseRawSas(raw: string): NegotiatedSa | undefined {
    const start = raw.indexOf("list-sa event");
    if (start < 0) return undefined;
    const body = raw.slice(start);
    const childAt = body.indexOf("child-sas {");
    const ikePart = childAt >= 0 ? body.slice(0, childAt) : body;
    const childPart = childAt >= 0 ? body.slice(childAt) : "";
    // Each child SA is a "<name>-<n> {...}" block inside child-sas.
    const children = childPart
        .split(/[\s{][\w.-]+-\d+ \{/)
        .slice(1)
        .map((block) => {
            const mode = field(block, "mode");
            return {
                state: field(block, "state") ?? "?",
                ...(mode !== undefined ? { mode } : {}),
                algorithms: algorithms(block),
                localTs: list(block, "local-ts"),
                remoteTs: list(block, "remote-ts"),
            };
        });
    const port = (key: string) => {
        const value = field(ikePart, key);
        return value === undefined ? undefined : Number(value);
    };
    const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
    return {
        ike: {
            state: field(ikePart, "state") ?? "?", algorithms: algorithms(ikePart),
            ...optional("localHost", field(ikePart, "local-host")), ...optional("localPort", port("local-port")),
            ...optional("remoteHost", field(ikePart, "remote-host")), ...optional("remotePort", port("remote-port")),
            localVips: list(ikePart, "local-vips"),
        },
        children,
    };
}

/** The algorithm names strongSwan reports for the keywords of a proposal; unknown keywords are left out. */
export function expectedAlgorithms(proposal: string, kind: "ike" | "esp"): string[] {
    const out: string[] = [];
    for (const token of proposal.split("-")) {
        let m: RegExpExecArray | null;
        if ((m = /^aes(\d+)gcm(\d+)$/.exec(token))) out.push(`AES_GCM_${m[2]}-${m[1]}`);
        else if ((m = /^aes(\d+)$/.exec(token))) out.push(`AES_CBC-${m[1]}`);
        else if (token === "chacha20poly1305") out.push("CHACHA20_POLY1305-256");
        else if ((m = /^prfsha(\d+)$/.exec(token))) out.push(`PRF_HMAC_SHA2_${m[1]}`);
        else if ((m = /^sha(\d+)$/.exec(token))) out.push(`HMAC_SHA2_${m[1]}_${Number(m[1]) / 2}`);
        // ESP's DH group only shows after a rekey with PFS, so it is not expected of a fresh CHILD SA.
        else if ((m = /^ecp(\d+)$/.exec(token)) && kind === "ike") out.push(`ECP_${m[1]}`);
        else if ((m = /^modp(\d+)$/.exec(token)) && kind === "ike") out.push(`MODP_${m[1]}`);
        else if ((token === "x25519" || token === "curve25519") && kind === "ike") out.push("CURVE_25519");
    }
    return out;
}
