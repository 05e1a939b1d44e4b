import { expect } from "chai";
import { formatTable, outputWidth, DEFAULT_WIDTH } from "../../verify/report";
import type { CheckResult } from "../../verify/run";

// Rows of the README's sample report (host-to-host, userspace dataplane).
const row = (id: string, expected: string, observed: string, pass = true, seconds = 0.1): CheckResult =>
    ({ id, kind: "probe", expected, observed, pass, seconds, nodes: [] });
const README_ROWS: CheckResult[] = [
    row("service web: client-a1 -> 10.1.0.99:8080", "HTTP answer from instance web@a",
        "vnetlab service=web instance=web@a port=30000 node=server-s1 peer=172.16.16.16", true, 1.1),
    row("tunnel a-s: SAs on gateway-a",
        "IKE ESTABLISHED AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384; CHILD INSTALLED AES_GCM_16-256 172.16.16.16/32 === 172.30.30.30/32",
        "IKE ESTABLISHED AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384; CHILD INSTALLED AES_GCM_16-256 172.16.16.16/32 === 172.30.30.30/32"),
    row("tunnel a-s: only ESP on the wire", "ESP between 172.16.16.16 and 172.30.30.30, no plaintext of port 8080",
        "22 ESP packet(s), 0 plaintext packet(s), marker absent; request answered", true, 1.4),
    row("isolation: client-a1 -> router 172.16.16.1 icmp",
        "cannot reach icmp 172.16.16.1 (the gateway lets LAN traffic out only through a tunnel)", "no reply", false, 3.1),
    row("firewall: router -> gateway-a 172.16.16.16 tcp",
        "cannot reach tcp 172.16.16.16 port 179 (a gateway's ISP side answers only IKE/ESP from its peers)", "timeout", true, 3.2),
];

/** The text of each cell of each row, read back from the grid. */
function cellTexts(table: string): string[][] {
    const rows: string[][] = [];
    let current: string[][] | undefined;
    for (const line of table.split("\n")) {
        if (!line.startsWith("│")) {
            if (current) rows.push(current.map((lines) => lines.filter((l) => l).join("\n")));
            current = undefined;
            continue;
        }
        const cells = line.slice(1, -1).split("│").map((c) => c.trim());
        current ??= cells.map(() => []);
        cells.forEach((c, i) => current![i]!.push(c));
    }
    return rows;
}

describe("verify table", () => {
    for (const width of [100, 80, 60, 172]) {
        it(`fits ${width} columns, wraps at word boundaries, keeps every cell inside the grid`, () => {
            const table = formatTable(README_ROWS, width);
            const lines = table.split("\n");
            for (const line of lines) expect(line.length, line).to.be.at.most(width);
            // Every line is a grid line: cells never spill out of their column.
            const bars = (l: string) => [...l].map((ch, i) => ("│┼┬┴├┤┌┐└┘".includes(ch) ? i : -1)).filter((i) => i >= 0).join(",");
            for (const line of lines) expect(bars(line), line).to.equal(bars(lines[0]!));

            const cells = cellTexts(table).slice(1);
            expect(cells).to.have.length(README_ROWS.length);
            const widthOf = (c: number) => lines[1]!.split("│")[c + 1]!.length - 2;
            README_ROWS.forEach((r, i) => {
                [r.id, r.expected, r.observed].forEach((text, c) => {
                    const shown = cells[i]![c]!;
                    // Nothing lost, nothing added: the same words in the same order.
                    expect(shown.replace(/\s+/g, ""), text).to.equal(text.replace(/\s+/g, ""));
                    // Only a word wider than its column may be split.
                    for (const word of text.split(" ").filter((w) => w.length <= widthOf(c))) {
                        expect(shown.split(/\s+/), `${word} in ${JSON.stringify(shown)}`).to.include(word);
                    }
                });
            });
        });
    }

    it("never splits node=server-s1, and PASS/FAIL and times stay whole", () => {
        for (const width of [172, 100, 80]) {
            const table = formatTable(README_ROWS, width);
            expect(table).to.match(/│ node=server-s1\s/);
            expect(table).to.match(/│ FAIL\s+│ 3\.1s\s+│/);
        }
    });

    it("breaks a word wider than its column after a separator inside it", () => {
        const table = formatTable(README_ROWS, 100);
        expect(table).to.include("│ AES_GCM_16-256/");
        expect(table).to.match(/│ PRF_HMAC_SHA2_384\/(ECP_384;)?\s/);
    });

    it("shows at most 20 lines of a huge observation, the first ones, and says how many more --json has", () => {
        // A failed check can observe a whole log; cli-table3 took hours over 20 KB like this, with the event loop blocked.
        const log = Array.from({ length: 5000 }, (_, i) => `line ${i}: charon retransmit 3 of request with message ID 0`).join("\n");
        const table = formatTable([row("tunnel a-s: SAs on gateway-a", "IKE ESTABLISHED", `${"x".repeat(50000)}\n${log}`, false)], 100);
        const [, observed] = cellTexts(table).slice(1)[0]!.slice(1);
        const lines = observed!.split("\n");
        expect(lines.length).to.be.at.most(20);
        expect(lines[0]).to.match(/^x+$/);
        const note = /\.\.\. (\d+) more lines \(all in --json\)$/.exec(observed!.replace(/\s+/g, " "));
        expect(note, observed).to.not.equal(null);
        // The log alone is 5000 lines, none of them shown.
        expect(Number(note![1])).to.be.greaterThan(5000);
    });

    it("is 100 columns wide when the output is no terminal, the terminal's width on one", () => {
        expect(outputWidth({ isTTY: false, columns: 300 })).to.equal(DEFAULT_WIDTH);
        expect(outputWidth({})).to.equal(100);
        expect(outputWidth({ isTTY: true, columns: 132 })).to.equal(132);
    });
});
