// All of a node's files in one text, so that Docker copies them into the
// container in one upload: the provider makes one CopyToContainer call per
// upload, each mounting the container's filesystem, and a big lab's daemon
// spent most of `pulumi up` on them. The image's unpacker
// (image/vnetlab-unpack, the first word of the container's command) writes
// the files in place before the start program runs.
//
// Format (FILE_BUNDLE_FORMAT), plain text so that `pulumi preview --diff`
// stays readable:
//
//   vnetlab.files/1                  the first line
//   # ...                            comment lines, only here
//   file <mode> <bytes> <path>       per file, in path order: its mode (0644),
//   <exactly <bytes> bytes>          its length in UTF-8 bytes, its absolute path;
//                                    then its content and one newline
//   end                              the last line: a bundle cut short anywhere,
//                                    even between two files, lacks it
//
// A length, not a delimiter: no content can end a file early, whatever lines
// it holds. Pure: the same files give byte-identical text.
import type { NodeFile } from "./node-file";
import { fileText } from "./text";

/** The one format image/vnetlab-unpack reads; change both together. */
export const FILE_BUNDLE_FORMAT = "vnetlab.files/1";

const HEADER_COMMENT = [
    "# A node's files, rendered by vnetlab (configs/file-bundle.ts) and copied into its",
    "# container in one upload; image/vnetlab-unpack writes each to its path before the",
    "# start program runs. Per file: \"file <mode> <bytes> <path>\", that many bytes, a",
    "# newline. Do not edit.",
];
const END_LINE = "end";

/** Permission bits only: setuid, setgid and sticky have no business in a lab's config files. */
const MODE = /^0[0-7]{3}$/;
const SIZE = /^(0|[1-9][0-9]*)$/;
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f]/;
// With the u flag a surrogate pair is one code point, so only a lone half matches: text UTF-8 cannot carry.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Code-unit order, as renderNodeFiles sorts. */
const byPath = (a: NodeFile, b: NodeFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Why a path cannot be in a bundle, or undefined when it can. */
function pathProblem(path: string): string | undefined {
    if (!path.startsWith("/")) return "is not absolute";
    if (CONTROL.test(path)) return "holds a newline or another control character";
    if (LONE_SURROGATE.test(path)) return "is not valid Unicode text (a lone surrogate)";
    const segments = path.slice(1).split("/");
    if (segments.includes("..")) return "has a .. segment";
    if (segments.some((s) => s === "" || s === ".")) return "has an empty or . segment (a directory, or not in its plainest form)";
    return undefined;
}

function checkFile(file: NodeFile): void {
    const problem = pathProblem(file.path);
    if (problem !== undefined) throw new Error(`file bundle: path ${JSON.stringify(file.path)} ${problem}`);
    if (!MODE.test(file.mode)) throw new Error(`file bundle: ${file.path}: mode ${JSON.stringify(file.mode)} is not four octal digits with a leading 0, like 0644`);
    if (LONE_SURROGATE.test(file.content)) throw new Error(`file bundle: ${file.path}: content is not valid Unicode text (a lone surrogate), so it has no UTF-8 bytes`);
}

/** The bundle of these files, sorted by path. Throws on a path, mode or content it cannot carry, or a path given twice. */
export function renderFileBundle(files: readonly NodeFile[]): string {
    const sorted = [...files].sort(byPath);
    const parts = [fileText([FILE_BUNDLE_FORMAT, ...HEADER_COMMENT])];
    sorted.forEach((file, i) => {
        checkFile(file);
        if (i > 0 && sorted[i - 1].path === file.path) throw new Error(`file bundle: ${file.path} is given twice`);
        parts.push(`file ${file.mode} ${Buffer.byteLength(file.content, "utf8")} ${file.path}\n`, file.content, "\n");
    });
    parts.push(`${END_LINE}\n`);
    return parts.join("");
}

/** The files of a bundle, in its (path) order: renderFileBundle's inverse. Throws on anything else. */
export function parseFileBundle(text: string): NodeFile[] {
    // Such a text has no UTF-8 bytes; Buffer.from would quietly replace what it cannot encode.
    if (LONE_SURROGATE.test(text)) throw new Error("file bundle: not valid Unicode text (a lone surrogate)");
    const bytes = Buffer.from(text, "utf8");
    let at = 0;
    const nextLine = (): string | undefined => {
        const end = bytes.indexOf(0x0a, at);
        if (end < 0) return undefined;
        const line = bytes.toString("utf8", at, end);
        at = end + 1;
        return line;
    };
    const first = nextLine();
    if (first !== FILE_BUNDLE_FORMAT) throw new Error(`file bundle: the first line is ${JSON.stringify(first ?? text.slice(0, 40))}, not ${FILE_BUNDLE_FORMAT}`);
    let line = nextLine();
    while (line?.startsWith("#")) line = nextLine();
    const files: NodeFile[] = [];
    for (;;) {
        const where = `file ${files.length + 1}`;
        if (line === undefined) throw new Error(`file bundle: ends after ${files.length} files without its "${END_LINE}" line (cut short?)`);
        if (line === END_LINE) break;
        const header = /^file (\S+) (\S+) (.*)$/s.exec(line);
        if (!header) throw new Error(`file bundle: ${where}: expected "file <mode> <bytes> <path>", found ${JSON.stringify(line.slice(0, 80))}`);
        const [, mode, size, path] = header;
        if (!SIZE.test(size)) throw new Error(`file bundle: ${where} (${path}): length ${JSON.stringify(size)} is not a number of bytes`);
        const length = Number(size);
        if (at + length + 1 > bytes.length) {
            throw new Error(`file bundle: ${path}: cut short: ${length} bytes and a newline announced, ${bytes.length - at} left`);
        }
        // A length that ends inside a character is followed by the rest of it, never by a newline.
        if (bytes[at + length] !== 0x0a) throw new Error(`file bundle: ${path}: no newline after its ${length} bytes`);
        const file: NodeFile = { path, content: bytes.toString("utf8", at, at + length), mode };
        at += length + 1;
        checkFile(file);
        const previous = files[files.length - 1];
        if (previous !== undefined && byPath(previous, file) >= 0) throw new Error(`file bundle: ${path} comes after ${previous.path}: not in path order, or given twice`);
        files.push(file);
        line = nextLine();
    }
    if (at !== bytes.length) throw new Error(`file bundle: ${bytes.length - at} bytes after its "${END_LINE}" line`);
    return files;
}
