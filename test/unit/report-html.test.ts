import { expect } from "chai";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { deriveChecks, summary, CheckResult } from "../../verify";
import { checkStatus, htmlPage, involvedNodes, renderHtmlReport } from "../../verify/html";
import { progressReporter } from "../../verify/progress";

const planOf = (stack: string) => planLab(parseLab(loadStackLab(stack), stack), stack);

/** What a run would return: every derived check, passed, except those `failing` picks. */
function resultsFor(plan: LabPlan, failing: (r: CheckResult) => boolean = () => false): CheckResult[] {
    return deriveChecks(plan).map((spec) => {
        const r: CheckResult = {
            id: spec.id, kind: spec.kind, expected: "x", observed: "x", pass: true, seconds: 0.1,
            nodes: spec.kind === "sa" ? [spec.gateway] : [spec.from],
            ...("tunnel" in spec ? { tunnel: spec.tunnel } : {}),
            ...("target" in spec && spec.target ? { target: spec.target } : {}),
        };
        return failing(r) ? { ...r, pass: false, observed: "no IKE SA" } : r;
    });
}

/** The class attribute Graphviz gave the element with this id ("-" is "&#45;" in its SVG). */
const classOf = (html: string, id: string) =>
    new RegExp(`id="${id.replace(/-/g, "&#45;")}" class="([^"]*)"`).exec(html)?.[1]?.replace(/&#45;/g, "-");

describe("HTML report", function () {
    this.timeout(30000);

    it("colours a tunnel by the checks that prove it or travel through it, a node by the checks that involve it", () => {
        const plan = planOf("site-to-site");
        const results = resultsFor(plan, (r) => r.tunnel === "b-s" && r.kind === "sa");
        const status = checkStatus(plan, results);
        expect(status.tunnels.get("b-s")).to.equal("fail");
        expect(status.tunnels.get("a-s")).to.equal("pass");
        expect(status.nodes.get("gateway-b")).to.equal("fail");
        expect(status.nodes.get("gateway-s")).to.equal("fail");
        expect(status.nodes.get("gateway-a")).to.equal("pass");
        expect(status.nodes.get("client-b1")).to.equal("pass");
        // The server answers the service checks; the router is aimed at by isolation probes.
        expect(status.nodes.get("server-s1")).to.equal("pass");
        expect(status.nodes.get("router")).to.equal("pass");
        expect(checkStatus(plan, []).tunnels.get("a-s")).to.equal("unchecked");
        const service = results.find((r) => r.kind === "service" && r.id.includes("client-b1"))!;
        expect(involvedNodes(plan, service).sort()).to.deep.equal(["client-b1", "gateway-b", "gateway-s", "server-s1"]);
    });

    it("is one self-contained page: inline SVG and CSS, every node and tunnel by id, the table, escaped logs", async () => {
        const plan = planOf("host-to-host");
        const results = resultsFor(plan, (r) => r.tunnel === "a-s");
        const logs = new Map([["gateway-a", "--- /var/log/charon.log\n<script>alert(1)</script> & more"]]);
        const html = await renderHtmlReport({ plan, results, logs });

        expect(html).to.match(/^<!DOCTYPE html>/);
        expect(html).to.not.match(/https?:\/\//);
        expect(html).to.not.match(/<script|<link|\ssrc=|@import|url\(/i);
        expect(html).to.include("<style>");
        expect(html.match(/<svg /g)).to.have.length(1);

        for (const node of plan.nodes) expect(classOf(html, `node-${node.name}`), node.name).to.match(/\bstatus-(pass|fail|unchecked)\b/);
        expect(classOf(html, "tunnel-a-s")).to.include("status-fail");
        expect(classOf(html, "tunnel-b-s")).to.include("status-pass");
        expect(classOf(html, "node-gateway-a")).to.include("status-fail");
        expect(classOf(html, "node-client-b1")).to.include("status-pass");

        expect(html.match(/<tr class="(pass|fail)"/g)).to.have.length(results.length);
        expect(html.match(/<tr class="fail" data-tunnel="a-s">/g)).to.have.length(results.filter((r) => !r.pass).length);
        expect(html).to.include(`<p class="summary fail" id="summary">${summary(results)}</p>`);
        expect(html).to.include('id="logs-gateway-a"');
        expect(html).to.include("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    });

    it("is deterministic and pure: same input, same page", async () => {
        const plan = planOf("dev");
        const input = { plan, results: resultsFor(plan), logs: new Map<string, string>() };
        expect(await renderHtmlReport(input)).to.equal(await renderHtmlReport(input));
        expect(htmlPage(input, "<svg></svg>")).to.not.include("<h2>Logs</h2>");
    });
});

describe("verify progress", () => {
    const plan = planOf("dev");
    const specs = deriveChecks(plan).slice(0, 3);
    const results = resultsFor(plan).slice(0, 3);

    it("off a terminal: one plain line per finished check", () => {
        const out: string[] = [];
        const p = progressReporter({ isTTY: false, write: (t: string) => out.push(t) });
        specs.forEach((s, i) => p.onProgress(i, specs.length, s));
        results.forEach((r) => p.onResult(r));
        p.done();
        expect(out.join("")).to.equal(results.map((r, i) => `[${i + 1}/3] ${r.id} ... ok (0.1s)\n`).join(""));
        expect(out[0]).to.match(/^\[1\/3\] service web: client-a1 -> 10\.10\.0\.2:8080 \.\.\. ok/);
    });

    it("on a terminal: one line redrawn in place with the latest check, i of n, how many done and the time; failures stay", () => {
        const out: string[] = [];
        let now = 1000;
        const p = progressReporter({ isTTY: true, columns: 80, write: (t: string) => out.push(t) }, () => now);
        p.onProgress(0, 3, specs[0]!);
        now += 2500;
        p.onResult(results[0]!);
        p.onProgress(1, 3, specs[1]!);
        now += 1200;
        p.onResult({ ...results[1]!, pass: false });
        p.done();
        const text = out.join("");
        const frames = text.split("\r\x1b[K").filter((f) => f);
        expect(frames[0]).to.equal(`[1/3] ${specs[0]!.id} · 0 done · 0.0s`);
        expect(frames).to.include(`[1/3] ${specs[0]!.id} · 1 done · 2.5s`);
        expect(frames).to.include(`[2/3] ${specs[1]!.id} · 1 done · 2.5s`);
        expect(text).to.include(`[2/3] ${specs[1]!.id} ... FAIL (0.1s)\n`);
        expect(frames.at(-1)).to.equal("2 checks in 3.7s, 1 failed\n");
        for (const f of frames) expect(f.replace(/\n$/, "").length).to.be.at.most(79);
    });
});
