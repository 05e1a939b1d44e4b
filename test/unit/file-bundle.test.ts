// The file bundle (configs/file-bundle.ts): a node's files in the one text
// Docker copies into its container. What renderFileBundle writes,
// parseFileBundle reads back unchanged, whatever the files hold.
import { expect } from "chai";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { FILE_BUNDLE_FORMAT, NodeFile, parseFileBundle, renderFileBundle, renderNodeFiles } from "../../configs";

const byPath = (a: NodeFile, b: NodeFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Contents a delimiter-based format would get wrong, in no particular order. */
const AWKWARD: NodeFile[] = [
    { path: "/etc/vnetlab/utf8", content: "Grüße, 日本語, emoji 😀 and a ZWJ 👩‍💻\n", mode: "0644" },
    { path: "/etc/vnetlab/no-newline", content: "last line without one", mode: "0644" },
    { path: "/etc/vnetlab/headers", content: "end\nfile 0644 3 /etc/passwd\nabc\nvnetlab.files/1\n# not a comment\nend\n", mode: "0600" },
    { path: "/etc/vnetlab/empty", content: "", mode: "0644" },
    { path: "/etc/vnetlab/newlines-only", content: "\n\n\n", mode: "0644" },
    { path: "/usr/local/bin/tool", content: "#!/bin/sh\necho hi\r\n", mode: "0755" },
    { path: "/etc/vnetlab/a dir/with spaces.conf", content: "x = 1\n", mode: "0644" },
    { path: "/etc/vnetlab/two-bytes", content: "é", mode: "0644" },
];

describe("the file bundle", () => {
    it("reads back exactly the files it was given, sorted by path", () => {
        const bundle = renderFileBundle(AWKWARD);
        expect(parseFileBundle(bundle)).to.deep.equal([...AWKWARD].sort(byPath));
    });

    it("reads back a real gateway's files, and none for an empty list", () => {
        const plan = planLab(parseLab(JSON.parse(JSON.stringify(loadStackLab("site-to-site"))), "site-to-site"), "site-to-site");
        for (const node of plan.nodes) {
            const files = renderNodeFiles(node, plan);
            expect(parseFileBundle(renderFileBundle(files)), node.name).to.deep.equal(files);
        }
        expect(parseFileBundle(renderFileBundle([]))).to.deep.equal([]);
    });

    it("is byte-identical for the same files, in whatever order they come", () => {
        const once = renderFileBundle(AWKWARD);
        expect(renderFileBundle([...AWKWARD].reverse())).to.equal(once);
        expect(renderFileBundle(AWKWARD.map((f) => ({ ...f })))).to.equal(once);
    });

    it("opens with its format and a comment saying what unpacks it, then one header per file with its UTF-8 length", () => {
        const bundle = renderFileBundle([
            { path: "/etc/b", content: "é\n", mode: "0600" },
            { path: "/etc/a", content: "x", mode: "0644" },
        ]);
        const lines = bundle.split("\n");
        expect(lines[0]).to.equal(FILE_BUNDLE_FORMAT);
        const comment = lines.slice(1, lines.findIndex((l, i) => i > 0 && !l.startsWith("#")));
        expect(comment).to.not.be.empty;
        expect(comment.join(" ")).to.include("image/vnetlab-unpack").and.include("configs/file-bundle.ts");
        expect(bundle.slice(bundle.indexOf("\nfile "))).to.equal("\nfile 0644 1 /etc/a\nx\nfile 0600 3 /etc/b\né\n\nend\n");
    });

    describe("refuses what it cannot carry, with the reason", () => {
        const one = (file: Partial<NodeFile>) => () => renderFileBundle([{ path: "/etc/x", content: "", mode: "0644", ...file }]);
        it("paths that are relative, climb, name a directory or hold a newline", () => {
            expect(one({ path: "etc/x" })).to.throw(/file bundle: path "etc\/x" is not absolute/);
            expect(one({ path: "/etc/../x" })).to.throw(/has a \.\. segment/);
            expect(one({ path: "/.." })).to.throw(/has a \.\. segment/);
            expect(one({ path: "/etc/x/" })).to.throw(/empty or \. segment/);
            expect(one({ path: "/etc//x" })).to.throw(/empty or \. segment/);
            expect(one({ path: "/etc/./x" })).to.throw(/empty or \. segment/);
            expect(one({ path: "/" })).to.throw(/empty or \. segment/);
            expect(one({ path: "/etc/x\nfile 0644 0 /etc/y" })).to.throw(/holds a newline/);
            expect(one({ path: "/etc/x\0" })).to.throw(/control character/);
            expect(one({ path: "/etc/x..y" })).to.not.throw();
        });
        it("modes that are not four octal digits", () => {
            for (const mode of ["644", "0648", "4755", "0o644", "rw-r--r--", "", "06444"]) {
                expect(one({ mode }), mode).to.throw(/file bundle: \/etc\/x: mode .* is not four octal digits/);
            }
            for (const mode of ["0644", "0600", "0755", "0000"]) expect(one({ mode }), mode).to.not.throw();
        });
        it("a path given twice, and text that has no UTF-8 form", () => {
            expect(() => renderFileBundle([{ path: "/etc/x", content: "a", mode: "0644" }, { path: "/etc/x", content: "b", mode: "0600" }]))
                .to.throw(/\/etc\/x is given twice/);
            expect(one({ content: "half a pair \uD83D" })).to.throw(/lone surrogate/);
        });
    });

    describe("reads nothing but a whole bundle", () => {
        const bundle = renderFileBundle(AWKWARD);
        it("cut short anywhere", () => {
            for (let length = 0; length < bundle.length; length++) {
                expect(() => parseFileBundle(bundle.slice(0, length)), `cut to ${length} characters`).to.throw(/^file bundle: /);
            }
        });
        it("another format, a bad header, a wrong length, trailing bytes, files out of order", () => {
            const body = "file 0644 2 /etc/x\nab\nend\n";
            const head = `${FILE_BUNDLE_FORMAT}\n`;
            expect(parseFileBundle(head + body)).to.deep.equal([{ path: "/etc/x", content: "ab", mode: "0644" }]);
            expect(() => parseFileBundle(`vnetlab.files/2\n${body}`)).to.throw(/the first line is "vnetlab.files\/2", not vnetlab.files\/1/);
            expect(() => parseFileBundle(head + body.replace("file", "fil"))).to.throw(/file 1: expected "file <mode> <bytes> <path>"/);
            expect(() => parseFileBundle(head + body.replace(" 2 ", " 1 "))).to.throw(/\/etc\/x: no newline after its 1 bytes/);
            expect(() => parseFileBundle(head + body.replace(" 2 ", " 3 "))).to.throw(/\/etc\/x: no newline after its 3 bytes/);
            expect(() => parseFileBundle(head + body.replace(" 2 ", " 02 "))).to.throw(/length "02" is not a number of bytes/);
            expect(() => parseFileBundle(head + body.replace(" 2 ", " 99 "))).to.throw(/\/etc\/x: cut short: 99 bytes and a newline announced/);
            expect(() => parseFileBundle(head + body.replace("0644", "644"))).to.throw(/mode "644"/);
            expect(() => parseFileBundle(head + body.replace("/etc/x", "/etc/../x"))).to.throw(/has a \.\. segment/);
            expect(() => parseFileBundle(`${head}${body}more`)).to.throw(/4 bytes after its "end" line/);
            expect(() => parseFileBundle(`${head}file 0644 0 /etc/y\n\n${body}`)).to.throw(/\/etc\/x comes after \/etc\/y: not in path order/);
            expect(() => parseFileBundle(`${head}file 0644 0 /etc/x\n\n${body}`)).to.throw(/or given twice/);
        });
        it("a length that ends inside a character", () => {
            const text = renderFileBundle([{ path: "/etc/x", content: "😀", mode: "0644" }]);
            expect(text).to.include("file 0644 4 /etc/x\n😀\n");
            expect(() => parseFileBundle(text.replace("file 0644 4 ", "file 0644 3 "))).to.throw(/no newline after its 3 bytes/);
        });
    });
});
