// The image's unpacker (image/vnetlab-unpack), run for real with python3 into
// a temporary root: it writes every file of a bundle (configs/file-bundle.ts)
// with its mode, then becomes the command; a bundle it cannot read whole
// writes nothing and runs nothing.
import { expect } from "chai";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NodeFile, UNPACK_SCRIPT, renderFileBundle } from "../../configs";

const ROOT = path.join(__dirname, "../..");
const PROGRAM = path.join(ROOT, "image/vnetlab-unpack");

const FILES: NodeFile[] = [
    { path: "/etc/vnetlab/node.conf", content: "format vnetlab.node-conf/4\nnode gateway-a\n", mode: "0644" },
    { path: "/etc/swanctl/ecdsa/gateway.pem", content: "-----BEGIN EC PRIVATE KEY-----\nstand-in\n-----END EC PRIVATE KEY-----\n", mode: "0600" },
    { path: "/etc/swanctl/conf.d/secrets.conf", content: "secrets {\n}\nend\nfile 0644 3 /etc/passwd\n", mode: "0600" },
    { path: "/etc/vnetlab/utf8", content: "Grüße 😀, no newline at the end", mode: "0644" },
    { path: "/etc/vnetlab/empty", content: "", mode: "0644" },
    { path: "/usr/local/bin/tool", content: "#!/bin/sh\necho tool\n", mode: "0755" },
];

describe("the image's unpacker", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-unpack-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const root = () => path.join(dir, "root");
    const bundleFile = (text: string | Buffer, name = "files"): string => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
    };
    const unpack = (args: readonly string[]): SpawnSyncReturns<string> =>
        spawnSync("python3", [PROGRAM, ...args], { encoding: "utf8", timeout: 20000 });
    /** Every file under the root, relative to it, with its mode and content. */
    const tree = (): Record<string, [string, string]> => {
        const found: Record<string, [string, string]> = {};
        const walk = (relative: string): void => {
            for (const entry of fs.readdirSync(path.join(root(), relative), { withFileTypes: true })) {
                const file = path.posix.join(relative, entry.name);
                if (entry.isDirectory()) walk(file);
                else found[`/${file}`] = [(fs.statSync(path.join(root(), file)).mode & 0o777).toString(8).padStart(4, "0"), fs.readFileSync(path.join(root(), file), "utf8")];
            }
        };
        if (fs.existsSync(root())) walk("");
        return found;
    };
    const expected = (files: readonly NodeFile[]) => Object.fromEntries(files.map((f) => [f.path, [f.mode, f.content]]));

    it("writes every file with its content and mode, then runs the command in its own place, its output and exit status unchanged", () => {
        const bundle = bundleFile(renderFileBundle(FILES));
        const run = unpack(["--root", root(), bundle, "--", "/bin/sh", "-c", `cat "${root()}/etc/vnetlab/node.conf"; echo "started $$"; exit 7`]);
        expect(run.stderr).to.equal("");
        expect(run.stdout).to.equal(`${FILES[0].content}started ${run.pid}\n`, "the files are there before the command runs, and it has the unpacker's pid: exec, not a child");
        expect(run.status).to.equal(7);
        expect(tree()).to.deep.equal(expected(FILES), "every file, and no temporary one left behind");
    });

    it("unpacks again over the same files (a restarted container), taking new contents and modes", () => {
        const bundle = bundleFile(renderFileBundle(FILES));
        const command = ["--", "/bin/sh", "-c", "echo started"];
        expect(unpack(["--root", root(), bundle, ...command]).stdout).to.equal("started\n");
        expect(unpack(["--root", root(), bundle, ...command]).stdout).to.equal("started\n");
        expect(tree()).to.deep.equal(expected(FILES));
        const changed = FILES.map((f) => (f.path === "/etc/vnetlab/node.conf" ? { ...f, content: "changed\n", mode: "0600" } : f));
        const again = unpack(["--root", root(), bundleFile(renderFileBundle(changed)), ...command]);
        expect([again.status, again.stdout, again.stderr]).to.deep.equal([0, "started\n", ""]);
        expect(tree()).to.deep.equal(expected(changed));
    });

    it("refuses a bundle cut short, anywhere, with one line and no file written, and does not run the command", () => {
        const text = Buffer.from(renderFileBundle(FILES), "utf8");
        const headers = [...text.toString("utf8").matchAll(/^(file |end$)/gm)].map((m) => Buffer.byteLength(text.toString("utf8").slice(0, m.index)));
        const cuts = [0, 5, 16, 40, ...headers, ...headers.map((h) => h + 7), text.length - 4, text.length - 1].filter((c) => c < text.length);
        for (const cut of cuts) {
            const run = unpack(["--root", root(), bundleFile(text.subarray(0, cut)), "--", "/bin/sh", "-c", "echo started"]);
            expect(run.status, `cut at ${cut}`).to.equal(1);
            expect(run.stdout, `cut at ${cut}`).to.equal("");
            expect(run.stderr, `cut at ${cut}`).to.match(/^vnetlab-unpack: \S+: [^\n]+\n$/);
            expect(tree(), `cut at ${cut}`).to.deep.equal({});
        }
        const cutInContent = unpack(["--root", root(), bundleFile(text.subarray(0, text.indexOf("stand-in"))), "--", "/bin/true"]);
        expect(cutInContent.stderr).to.match(/: \/etc\/swanctl\/ecdsa\/gateway.pem: cut short: \d+ bytes and a newline announced, \d+ left\n$/);
    });

    it("names the problem of a missing or malformed bundle in one line", () => {
        const cases: [string | undefined, RegExp][] = [
            [undefined, /cannot read the bundle \S+: No such file or directory/],
            ["", /: is empty/],
            ["vnetlab.files/2\nend\n", /not a vnetlab.files\/1 bundle: its first line is 'vnetlab.files\/2'/],
            ["vnetlab.files/1\nfile 0644 1 /etc/../x\nx\nend\n", /path '\/etc\/..\/x' has a \.\. segment/],
            ["vnetlab.files/1\nfile 0644 1 etc/x\nx\nend\n", /path 'etc\/x' is not absolute/],
            ["vnetlab.files/1\nfile 4755 1 /etc/x\nx\nend\n", /\/etc\/x: mode '4755' is not four octal digits/],
            ["vnetlab.files/1\nfile 0644 one /etc/x\nx\nend\n", /\/etc\/x: length 'one' is not a number of bytes/],
            ["vnetlab.files/1\nfile 0644 2 /etc/x\nx\nend\n", /\/etc\/x: no newline after its 2 bytes/],
            ["vnetlab.files/1\nfile 0644 1 /etc/x\nx\nfile 0644 1 /etc/x\ny\nend\n", /\/etc\/x is given twice/],
            ["vnetlab.files/1\nfile 0644 1 /etc/x\nx\nend\nmore", /has 4 bytes after its 'end' line/],
            ["vnetlab.files/1\nfile0644 1 /etc/x\nx\nend\n", /file 1: expected 'file <mode> <bytes> <path>', found 'file0644 1 \/etc\/x'/],
        ];
        for (const [text, problem] of cases) {
            const bundle = text === undefined ? path.join(dir, "missing") : bundleFile(text);
            const run = unpack(["--root", root(), bundle, "--", "/bin/sh", "-c", "echo started"]);
            expect(run.status, String(text)).to.equal(1);
            expect(run.stdout, String(text)).to.equal("");
            expect(run.stderr, String(text)).to.match(/^vnetlab-unpack: [^\n]+\n$/).and.match(problem);
            expect(tree(), String(text)).to.deep.equal({});
        }
    });

    it("says how it is used when the command is missing, and names a command it cannot run", () => {
        const bundle = bundleFile(renderFileBundle(FILES));
        for (const args of [[bundle], [bundle, "--"], ["--root", root(), "--", "/bin/true"], [bundle, "extra", "--", "/bin/true"]]) {
            const run = unpack(args);
            expect([run.status, run.stdout], args.join(" ")).to.deep.equal([2, ""]);
            expect(run.stderr).to.equal("vnetlab-unpack: usage: vnetlab-unpack [--root DIR] <bundle> -- <command> [args...]\n");
        }
        const missing = unpack(["--root", root(), bundle, "--", path.join(dir, "no-such-program")]);
        expect([missing.status, missing.stderr]).to.deep.equal([127, `vnetlab-unpack: cannot run ${path.join(dir, "no-such-program")}: No such file or directory\n`]);
    });

    it("is Python, installed next to the image's other programs, executable", () => {
        const dockerfile = fs.readFileSync(path.join(ROOT, "image/Dockerfile"), "utf8");
        expect(dockerfile).to.match(new RegExp(`^COPY .*\\bvnetlab-unpack\\b.* ${path.posix.dirname(UNPACK_SCRIPT)}/$`, "m"));
        expect(dockerfile).to.match(new RegExp(`^RUN chmod 0755 .*${UNPACK_SCRIPT}\\b`, "m"));
        expect(fs.statSync(PROGRAM).mode & 0o111, "executable in the checkout too").to.not.equal(0);
        expect(fs.readFileSync(PROGRAM, "utf8").split("\n")[0]).to.match(/^#!\/usr\/bin\/python3\b/);
    });
});
