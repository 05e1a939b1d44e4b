// The HTML report of a real verify run, opened in headless Chromium: every
// node, segment and tunnel of the plan is drawn, nothing is fetched from
// anywhere, and a failed tunnel shows in the failure colour.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { STATUS_COLOURS } from "../../diagram";
import type { LabPlan } from "../../plan/types";
import { CheckResult, nodeLogs } from "../../verify";
import { renderHtmlReport } from "../../verify/html";
import { stackLab } from "../support/recording-mocks";
import { runVerifyCli } from "./cli";
import Docker from "dockerode";
import { deploy, destroy, DeployedLab } from "./lab";

const CHROMIUM = process.env.VNETLAB_CHROMIUM ?? "/usr/bin/chromium";
/** Nothing but the page itself: no sync, no updates, no network of its own. */
const CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** "#dc2626" → "rgb(220, 38, 38)", as getComputedStyle reports colours. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;

interface Drawn {
    readonly id: string;
    readonly className: string;
    readonly width: number;
    readonly height: number;
    /** Stroke and fill of the element's first shape: the line of an edge, the outline and body of a node. */
    readonly stroke: string;
    readonly fill: string;
}

/** The little of the DOM the page function below uses (the project compiles without the DOM library). */
interface DomElement {
    getBoundingClientRect(): { readonly width: number; readonly height: number };
    getAttribute(name: string): string | null;
    querySelector(selector: string): DomElement | null;
}
interface BrowserGlobals {
    readonly document: { getElementById(id: string): DomElement | null };
    getComputedStyle(element: DomElement): { readonly stroke: string; readonly fill: string };
}

async function drawn(page: Page, ids: readonly string[]): Promise<Drawn[]> {
    return page.evaluate((wanted: string[]) => {
        const browser = globalThis as unknown as BrowserGlobals;
        return wanted.map((id): Drawn => {
            const el = browser.document.getElementById(id);
            if (!el) return { id, className: "", width: 0, height: 0, stroke: "", fill: "" };
            const box = el.getBoundingClientRect();
            const shape = el.querySelector("path, polygon, ellipse");
            const style = shape ? browser.getComputedStyle(shape) : undefined;
            return { id, className: el.getAttribute("class") ?? "", width: box.width, height: box.height, stroke: style?.stroke ?? "", fill: style?.fill ?? "" };
        });
    }, [...ids]);
}

/**
 * The dev stack under a name and subnets of its own: Docker refuses a network
 * whose subnet another lab's network (the dev lab of another test) holds.
 */
function ownDevLab(): Record<string, unknown> {
    const raw = stackLab("dev") as { sites: Record<string, { lan: { ipv4: string }; gateway: { isp: { subnet: { ipv4: string } } } }> };
    raw.sites.a!.lan.ipv4 = "10.110.0.0/24";
    raw.sites.a!.gateway.isp.subnet.ipv4 = "172.31.110.0/24";
    raw.sites.s!.lan.ipv4 = "10.120.0.0/24";
    raw.sites.s!.gateway.isp.subnet.ipv4 = "172.31.120.0/24";
    return { ...raw, name: "vnetlab-report" };
}

const idsOf = (plan: LabPlan) => ({
    nodes: plan.nodes.map((n) => `node-${n.name}`),
    segments: plan.segments.map((s) => `segment-${s.key}`),
    tunnels: plan.tunnels.map((t) => `tunnel-${t.name}`),
});

describe("verify --html: the report in a real browser", function () {
    this.timeout(10 * 60 * 1000);
    let lab: DeployedLab | undefined;
    let browser: BrowserContext | undefined;
    let dir: string;
    let results: CheckResult[];
    let requests: string[];

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run scripts/setup-browser.sh`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-report-"));
        lab = await deploy("report", { lab: ownDevLab(), labName: "vnetlab-report" });
        browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(dir, "profile-")), {
            executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 },
        });
        requests = [];
        browser.on("request", (r) => requests.push(r.url()));
    });

    after(async () => {
        await browser?.close();
        if (lab) expect(await destroy(lab)).to.deep.equal([]);
        if (process.env.VNETLAB_KEEP_REPORT) console.log(`report files kept in ${dir}`);
        else if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes the page from a real verify run: every node, segment and tunnel drawn, coloured by a passing lab", async () => {
        const html = path.join(dir, "report.html");
        const run = await runVerifyCli(lab!.plan, ["--json", "--html", html]);
        expect(run.exitCode, run.stderr).to.equal(0);
        results = (JSON.parse(run.stdout) as { results: CheckResult[] }).results;
        expect(results.filter((r) => r.tunnel === "a-s").map((r) => r.kind).sort()).to.deep.equal(["sa", "sa", "service", "wire"]);

        const page = await browser!.newPage();
        await page.goto(`file://${html}`);
        const ids = idsOf(lab!.plan);
        for (const d of await drawn(page, [...ids.nodes, ...ids.segments, ...ids.tunnels])) {
            expect(d.width * d.height, `${d.id} is drawn`).to.be.greaterThan(0);
        }
        for (const d of await drawn(page, ids.tunnels)) {
            expect(d.className, d.id).to.include("status-pass");
            expect(d.stroke, d.id).to.equal(rgb(STATUS_COLOURS.pass.stroke));
        }
        for (const d of await drawn(page, ids.nodes)) expect(d.className, d.id).to.include("status-pass");
        expect(await page.locator("#results tbody tr").count()).to.equal(results.length);
        expect(await page.locator("#summary").textContent()).to.equal(`${results.length} passed, 0 failed`);
        await page.screenshot({ path: path.join(dir, "report.png"), fullPage: true });
        expect(fs.statSync(path.join(dir, "report.png")).size).to.be.greaterThan(20000);
        // Self-contained: the browser asked for the page and nothing else.
        expect(requests).to.deep.equal([`file://${html}`]);
        await page.close();
    });

    it("shows a failed tunnel, its gateways and its checks in the failure colour, with the logs", async () => {
        // The same run with tunnel a-s's checks turned to failures: what is tested is how a failure is drawn.
        const broken = results.map((r) => (r.tunnel === "a-s" ? { ...r, pass: false, observed: "no IKE SA" } : r));
        const failedNodes = [...new Set(broken.filter((r) => !r.pass).flatMap((r) => r.nodes))];
        const logs = new Map<string, string>();
        for (const node of failedNodes) logs.set(node, await nodeLogs(new Docker(), lab!.plan, node));
        const html = path.join(dir, "broken.html");
        fs.writeFileSync(html, await renderHtmlReport({ plan: lab!.plan, results: broken, logs }));

        const page = await browser!.newPage();
        await page.goto(`file://${html}`);
        const [tunnel] = await drawn(page, ["tunnel-a-s"]);
        expect(tunnel!.className).to.include("status-fail");
        expect(tunnel!.stroke).to.equal(rgb(STATUS_COLOURS.fail.stroke));
        for (const d of await drawn(page, ["node-gateway-a", "node-gateway-s", "node-client-a1", "node-server-s1"])) {
            expect(d.className, d.id).to.include("status-fail");
            expect(d.fill, d.id).to.equal(rgb(STATUS_COLOURS.fail.fill));
        }
        // The router only sees probes that still pass.
        const [router] = await drawn(page, ["node-router"]);
        expect(router!.fill).to.equal(rgb(STATUS_COLOURS.pass.fill));
        expect(await page.locator('#results tr.fail[data-tunnel="a-s"]').count()).to.equal(broken.filter((r) => !r.pass).length);
        expect(await page.locator("#summary").textContent()).to.match(/ passed, 4 failed$/);
        for (const node of failedNodes) expect(await page.locator(`#logs-${node} pre`).textContent(), node).to.match(/--- \/\S+\.log/);
        await page.screenshot({ path: path.join(dir, "broken.png"), fullPage: true });
        await page.close();
    });
});
