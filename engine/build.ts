// Image builds for the Docker-backed mock engine: the build context as the
// provider sends it (a tar honouring .dockerignore, the Dockerfile added when
// it lives outside the context), and a readable log out of the daemon's
// build stream, BuildKit's protobuf progress included.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tar from "tar-stream";

// ---------------------------------------------------------------- .dockerignore

interface IgnoreRule {
    readonly re: RegExp;
    readonly negate: boolean;
    readonly depth: number;
}

function globToRegExp(pattern: string): RegExp {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "*") {
            if (pattern[i + 1] === "*") {
                // "**/" may match no directory at all, "**" at the end anything.
                if (pattern[i + 2] === "/") { re += "(?:.*/)?"; i += 2; } else { re += ".*"; i += 1; }
            } else {
                re += "[^/]*";
            }
        } else if (c === "?") {
            re += "[^/]";
        } else if (c === "[") {
            const end = pattern.indexOf("]", i + 1);
            if (end < 0) { re += "\\["; continue; }
            re += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
            i = end;
        } else if (c === "\\" && i + 1 < pattern.length) {
            re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        } else {
            re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        }
    }
    return new RegExp(`^${re}$`);
}

/**
 * Docker's .dockerignore semantics (moby/patternmatcher): the last matching
 * pattern wins, "!" re-includes, and a pattern with fewer path elements than
 * the file also matches the file's leading directories.
 */
export class DockerIgnore {
    private readonly rules: IgnoreRule[];
    readonly hasNegations: boolean;

    constructor(text: string) {
        this.rules = text.split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => l !== "" && !l.startsWith("#"))
            .map((l) => {
                const negate = l.startsWith("!");
                let p = path.posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, "").replace(/\/+$/, "");
                if (p === "" || p === ".") p = ".";
                return { re: globToRegExp(p), negate, depth: p.split("/").length };
            });
        this.hasNegations = this.rules.some((r) => r.negate);
    }

    ignores(relPath: string): boolean {
        const parts = relPath.split("/");
        let ignored = false;
        for (const rule of this.rules) {
            let match = rule.re.test(relPath);
            if (!match && rule.depth < parts.length) match = rule.re.test(parts.slice(0, rule.depth).join("/"));
            if (match) ignored = !rule.negate;
        }
        return ignored;
    }
}

// ---------------------------------------------------------------- build context

export interface BuildContext {
    readonly tarball: Buffer;
    /** Dockerfile path inside the tarball, as the daemon's `dockerfile` parameter. */
    readonly dockerfileInTar: string;
    /** The provider's `dockerfile` output: the Dockerfile relative to the context. */
    readonly relDockerfile: string;
}

/**
 * The provider resolves `build.dockerfile` against the program's working
 * directory, not against the context (filepath.Abs), and defaults it to
 * `<context>/Dockerfile`. A Dockerfile outside the context is added to the
 * tarball under a random name, as `docker build -f` does.
 */
export async function makeBuildContext(context: string, dockerfile: string | undefined, cwd: string): Promise<BuildContext> {
    const absContext = path.resolve(cwd, context);
    const absDockerfile = path.resolve(cwd, dockerfile ?? path.join(context, "Dockerfile"));
    const stat = await fs.promises.stat(absContext).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`build context ${absContext} is not a directory`);
    if (!fs.existsSync(absDockerfile)) {
        const hint = dockerfile !== undefined && !path.isAbsolute(dockerfile) && fs.existsSync(path.join(absContext, dockerfile))
            ? ` (the provider resolves build.dockerfile against the working directory ${cwd}, not against the context; use "${path.join(context, dockerfile)}")`
            : "";
        throw new Error(`Dockerfile ${absDockerfile} does not exist${hint}`);
    }
    const relDockerfile = path.relative(absContext, absDockerfile).split(path.sep).join("/");
    const inContext = !relDockerfile.startsWith("../") && !path.isAbsolute(relDockerfile);

    // A Dockerfile-specific ignore file (Dockerfile.dockerignore) takes precedence, as in BuildKit.
    const specificIgnore = path.join(absContext, `${path.basename(absDockerfile)}.dockerignore`);
    const ignoreFile = fs.existsSync(specificIgnore) ? specificIgnore : path.join(absContext, ".dockerignore");
    const ignore = new DockerIgnore(fs.existsSync(ignoreFile) ? await fs.promises.readFile(ignoreFile, "utf8") : "");
    const alwaysKeep = new Set([relDockerfile, path.relative(absContext, ignoreFile).split(path.sep).join("/")]);

    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on("data", (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve, reject) => { pack.on("end", resolve); pack.on("error", reject); });

    const addEntry = (header: tar.Headers, body?: Buffer): Promise<void> =>
        new Promise((resolve, reject) => { pack.entry(header, body, (err) => (err ? reject(err) : resolve())); });

    const walk = async (dirRel: string): Promise<void> => {
        const dirAbs = path.join(absContext, dirRel);
        const entries = (await fs.promises.readdir(dirAbs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
            const rel = dirRel === "" ? e.name : `${dirRel}/${e.name}`;
            const abs = path.join(absContext, rel);
            const ignored = ignore.ignores(rel) && !alwaysKeep.has(rel);
            const st = await fs.promises.lstat(abs);
            const base = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
            if (st.isDirectory()) {
                // An ignored directory may still hold a re-included ("!") file.
                if (ignored && !ignore.hasNegations) continue;
                if (!ignored) await addEntry({ ...base, type: "directory" });
                await walk(rel);
            } else if (ignored) {
                continue;
            } else if (st.isSymbolicLink()) {
                await addEntry({ ...base, type: "symlink", linkname: await fs.promises.readlink(abs) });
            } else if (st.isFile()) {
                await addEntry({ ...base, type: "file" }, await fs.promises.readFile(abs));
            }
        }
    };
    await walk("");

    let dockerfileInTar = relDockerfile;
    if (!inContext) {
        dockerfileInTar = `.dockerfile.${crypto.randomBytes(10).toString("hex")}`;
        await addEntry({ name: dockerfileInTar, mode: 0o600, uid: 0, gid: 0, type: "file" }, await fs.promises.readFile(absDockerfile));
    }
    pack.finalize();
    await ended;
    return { tarball: Buffer.concat(chunks), dockerfileInTar, relDockerfile };
}

// ---------------------------------------------------------------- build log

/** Keeps the last lines of a log. */
export class TailLog {
    private readonly lines: string[] = [];
    constructor(private readonly max: number, private readonly echo?: (line: string) => void) {}

    push(text: string): void {
        for (const raw of text.split(/\r?\n/)) {
            const line = raw.trimEnd();
            if (line === "") continue;
            this.echo?.(line);
            this.lines.push(line);
            if (this.lines.length > this.max) this.lines.shift();
        }
    }

    text(): string {
        return this.lines.join("\n");
    }
}

// Minimal protobuf reader for BuildKit's StatusResponse (moby.buildkit.v1),
// enough for vertex names, errors and the RUN steps' output.
class ProtoReader {
    private pos = 0;
    constructor(private readonly buf: Buffer) {}

    done(): boolean {
        return this.pos >= this.buf.length;
    }

    varint(): bigint {
        let result = 0n;
        let shift = 0n;
        for (;;) {
            if (this.pos >= this.buf.length) throw new Error("truncated varint");
            const b = this.buf[this.pos++];
            result |= BigInt(b & 0x7f) << shift;
            if ((b & 0x80) === 0) return result;
            shift += 7n;
        }
    }

    /** Yields [field number, wire type, payload for length-delimited fields]. */
    *fields(): Generator<[number, number, Buffer | undefined]> {
        while (!this.done()) {
            const key = Number(this.varint());
            const field = key >>> 3;
            const wire = key & 7;
            if (wire === 0) { this.varint(); yield [field, wire, undefined]; } else if (wire === 1) { this.pos += 8; yield [field, wire, undefined]; } else if (wire === 5) { this.pos += 4; yield [field, wire, undefined]; } else if (wire === 2) {
                const len = Number(this.varint());
                const payload = this.buf.subarray(this.pos, this.pos + len);
                this.pos += len;
                yield [field, wire, payload];
            } else {
                throw new Error(`unsupported protobuf wire type ${wire}`);
            }
        }
    }
}

interface VertexInfo { digest: string; name: string; error: string; cached: boolean; completed: boolean }

function decodeVertex(buf: Buffer): VertexInfo {
    const v: VertexInfo = { digest: "", name: "", error: "", cached: false, completed: false };
    const r = new ProtoReader(buf);
    for (const [field, wire, payload] of r.fields()) {
        if (wire === 2 && payload) {
            if (field === 1) v.digest = payload.toString("utf8");
            else if (field === 3) v.name = payload.toString("utf8");
            else if (field === 6) v.completed = true;
            else if (field === 7) v.error = payload.toString("utf8");
        } else if (field === 4 && wire === 0) {
            v.cached = true; // only written when true (proto3 default elision)
        }
    }
    return v;
}

function decodeBytesField(buf: Buffer, wanted: number): Buffer | undefined {
    const r = new ProtoReader(buf);
    for (const [field, wire, payload] of r.fields()) if (field === wanted && wire === 2) return payload;
    return undefined;
}

/**
 * Turns the daemon's JSON build stream (classic builder or BuildKit) into log
 * lines, the image ID and the error, if any.
 */
export class BuildStreamDecoder {
    imageId: string | undefined;
    error: string | undefined;
    private pending = "";
    private readonly announced = new Set<string>();

    constructor(private readonly log: TailLog) {}

    write(chunk: Buffer | string): void {
        this.pending += chunk.toString();
        let nl: number;
        while ((nl = this.pending.indexOf("\n")) >= 0) {
            const line = this.pending.slice(0, nl).trim();
            this.pending = this.pending.slice(nl + 1);
            if (line !== "") this.handle(line);
        }
    }

    end(): void {
        if (this.pending.trim() !== "") this.handle(this.pending.trim());
        this.pending = "";
    }

    private handle(line: string): void {
        let msg: Record<string, unknown>;
        try {
            msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
            this.log.push(line);
            return;
        }
        if (typeof msg.error === "string") {
            this.error = msg.error;
            this.log.push(`ERROR: ${msg.error}`);
        }
        if (typeof msg.stream === "string") this.log.push(msg.stream);
        if (typeof msg.status === "string") this.log.push(msg.status);
        const aux = msg.aux;
        if (msg.id === "moby.buildkit.trace" && typeof aux === "string") {
            this.handleTrace(Buffer.from(aux, "base64"));
        } else if (typeof aux === "object" && aux !== null && typeof (aux as Record<string, unknown>).ID === "string") {
            this.imageId = (aux as Record<string, string>).ID;
        }
    }

    private handleTrace(buf: Buffer): void {
        const r = new ProtoReader(buf);
        for (const [field, wire, payload] of r.fields()) {
            if (wire !== 2 || !payload) continue;
            if (field === 1) {
                const v = decodeVertex(payload);
                if (v.name && !this.announced.has(v.digest)) {
                    this.announced.add(v.digest);
                    this.log.push(`#${this.announced.size} ${v.name}`);
                }
                if (v.completed && v.cached) this.log.push(`CACHED ${v.name}`);
                if (v.error) this.log.push(`ERROR ${v.name}: ${v.error}`);
            } else if (field === 3) {
                const msg = decodeBytesField(payload, 4);
                if (msg) this.log.push(msg.toString("utf8"));
            } else if (field === 4) {
                const short = decodeBytesField(payload, 3);
                if (short) this.log.push(`WARNING: ${short.toString("utf8")}`);
            }
        }
    }
}
