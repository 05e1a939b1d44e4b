// The verify report as one self-contained HTML page: the lab's diagram with
// every node and tunnel coloured by its checks, the results table, and the
// logs of the nodes of failed checks. Inline SVG and CSS, no script, no URL:
// the file can be mailed, attached to a CI run or opened offline.
import { DiagramStatus, labSvg, STATUS_COLOURS, Status } from "../diagram";
import type { LabPlan } from "../plan/types";
import type { CheckResult } from "./run";
import { summary } from "./report";

export interface ReportInput {
    readonly plan: LabPlan;
    readonly results: readonly CheckResult[];
    /** Logs by node, of the nodes involved in failed checks (nodeLogs). */
    readonly logs: ReadonlyMap<string, string>;
}

const worst = (statuses: readonly Status[]): Status =>
    statuses.length === 0 ? "unchecked" : statuses.includes("fail") ? "fail" : "pass";

/** The nodes a result speaks about: where it ran, whose logs explain it, what it aimed at, its tunnel's gateways. */
export function involvedNodes(plan: LabPlan, result: CheckResult): string[] {
    const tunnel = plan.tunnels.find((t) => t.name === result.tunnel);
    return [...new Set([...result.nodes, ...(result.target ? [result.target] : []), ...(tunnel ? tunnel.ends.map((e) => e.gateway) : [])])];
}

/**
 * A tunnel is failed if any check that proves it or travels through it
 * failed, passed if all passed, unchecked if none looked at it; a node
 * likewise over the checks that involve it.
 */
export function checkStatus(plan: LabPlan, results: readonly CheckResult[]): DiagramStatus {
    const of = (r: CheckResult): Status => (r.pass ? "pass" : "fail");
    return {
        nodes: new Map(plan.nodes.map((n) => [n.name, worst(results.filter((r) => involvedNodes(plan, r).includes(n.name)).map(of))])),
        tunnels: new Map(plan.tunnels.map((t) => [t.name, worst(results.filter((r) => r.tunnel === t.name).map(of))])),
    };
}

const escape = (text: string) =>
    text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Graphviz's SVG without the XML prolog, doctype, comments and namespace URLs, ready to sit in HTML. */
function inlineSvg(svg: string): string {
    return svg
        .replace(/<\?xml[^>]*\?>\s*/, "")
        .replace(/<!DOCTYPE[^>]*>\s*/, "")
        .replace(/<!--[\s\S]*?-->\s*/g, "")
        .replace(/\s+xmlns(:xlink)?="[^"]*"/g, "")
        .replace(/<svg /, '<svg role="img" aria-label="lab diagram" ')
        .trim();
}

function css(): string {
    const c = STATUS_COLOURS;
    return `
:root { font-family: Helvetica, Arial, sans-serif; color: #111827; }
body { margin: 1.5rem auto; max-width: 1400px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
.summary { font-size: 1.1rem; margin: 0.3rem 0 1rem; }
.summary.fail { color: ${c.fail.stroke}; } .summary.pass { color: ${c.pass.stroke}; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: 0.9rem; height: 0.9rem; border: 2px solid; vertical-align: -0.15rem; margin-right: 0.3rem; }
.legend .pass i { background: ${c.pass.fill}; border-color: ${c.pass.stroke}; }
.legend .fail i { background: ${c.fail.fill}; border-color: ${c.fail.stroke}; }
.legend .unchecked i { background: ${c.unchecked.fill}; border-color: ${c.unchecked.stroke}; }
figure { margin: 1rem 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.5rem; overflow-x: auto; }
figure svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
#diagram svg .status-fail text { font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { border: 1px solid #d1d5db; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
th:nth-child(1) { width: 24%; } th:nth-child(2) { width: 34%; } th:nth-child(3) { width: 32%; }
td.result { font-weight: bold; white-space: nowrap; }
tr.pass td.result { color: ${c.pass.stroke}; background: ${c.pass.fill}; }
tr.fail td.result { color: ${c.fail.stroke}; background: ${c.fail.fill}; }
tr.fail td { background: #fef2f2; }
td.time { white-space: nowrap; text-align: right; }
pre { background: #111827; color: #e5e7eb; padding: 0.7rem; overflow-x: auto; font-size: 0.8rem; border-radius: 4px; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; font-weight: bold; }
`;
}

/** The page from the plan, the results, the logs and the already coloured SVG. Pure. */
export function htmlPage(input: ReportInput, svg: string): string {
    const { plan, results, logs } = input;
    const failed = results.filter((r) => !r.pass).length;
    const rows = results.map((r) => {
        const attrs = [`class="${r.pass ? "pass" : "fail"}"`, ...(r.tunnel ? [`data-tunnel="${escape(r.tunnel)}"`] : [])].join(" ");
        return `<tr ${attrs}><td>${escape(r.id)}</td><td>${escape(r.expected)}</td><td>${escape(r.observed)}</td>` +
            `<td class="result">${r.pass ? "PASS" : "FAIL"}</td><td class="time">${r.seconds.toFixed(1)}s</td></tr>`;
    });
    const logSections = [...logs.entries()].map(([node, text]) =>
        `<details open id="logs-${escape(node)}"><summary>logs of ${escape(node)} (involved in a failed check)</summary><pre>${escape(text)}</pre></details>`);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vnetlab verify: ${escape(plan.name)} — ${escape(summary(results))}</title>
<style>${css()}</style>
</head>
<body>
<h1>vnetlab verify: ${escape(plan.name)} <small>(stack ${escape(plan.stack)})</small></h1>
<p class="summary ${failed ? "fail" : "pass"}" id="summary">${escape(summary(results))}</p>
<p class="legend"><span class="pass"><i></i>every check passed</span><span class="fail"><i></i>a check failed</span><span class="unchecked"><i></i>no check looked at it</span></p>
<figure id="diagram">
${inlineSvg(svg)}
</figure>
<h2>Checks</h2>
<table id="results">
<thead><tr><th>check</th><th>expected</th><th>observed</th><th>result</th><th>time</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
${logSections.length ? `<h2>Logs</h2>\n${logSections.join("\n")}` : ""}
</body>
</html>
`;
}

/** The whole page: the diagram coloured by the results, laid out by Graphviz. */
export async function renderHtmlReport(input: ReportInput): Promise<string> {
    return htmlPage(input, await labSvg(input.plan, checkStatus(input.plan, input.results)));
}
