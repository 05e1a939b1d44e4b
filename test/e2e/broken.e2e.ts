// Checks that can fail do fail: each test breaks one thing on purpose and
// expects exactly the checks that guard it to fail, with logs that say why.
import { expect } from "chai";
import Docker from "dockerode";
import { stackLab } from "../support/recording-mocks";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { SECRETS_CONF, SWANCTL_CONF } from "../../configs";
import { verifyLab, CheckResult } from "../../verify";
import { execIn } from "../../verify/exec";
import { deploy, destroy, DeployedLab } from "./lab";
import { runVerifyCli } from "./cli";

/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke into the raw YAML shape on purpose */
const failed = (results: readonly CheckResult[]) => results.filter((r) => !r.pass).map((r) => r.id).sort();

describe("broken on purpose: the matching checks fail", function () {
    this.timeout(10 * 60 * 1000);
    let lab: DeployedLab | undefined;
    // What the user asked for: every test deploys something else and verifies against this, as
    // `npm run verify` does with the stack's manifest.
    const intended = planLab(parseLab(stackLab("dev"), "dev"), "dev");

    const docker = new Docker();
    // Every variant keeps the lab's name, so it is verified against the intended plan's containers.
    const variant = (name: string, lab: unknown) => deploy(`dev-${name}`, { lab, labName: intended.name });

    afterEach(async () => {
        if (lab) {
            const left = await destroy(lab);
            lab = undefined;
            expect(left).to.deep.equal([]);
        }
    });

    it("an open firewall on gateway-a: only the isolation and firewall checks around it fail", async () => {
        const raw = stackLab("dev") as any;
        raw.sites.a.gateway.firewall = "open";
        lab = await variant("open-firewall", raw);
        const results = await verifyLab(intended, { docker });
        expect(failed(results)).to.deep.equal([
            "firewall: router -> gateway-a 172.31.10.2 icmp",
            "firewall: router -> gateway-a 172.31.10.2 tcp",
            "isolation: client-a1 -> router 172.31.10.1 icmp",
            "isolation: client-a1 -> router 172.31.10.1 tcp",
        ]);
        expect(results.find((r) => r.id === "firewall: router -> gateway-a 172.31.10.2 tcp")!.observed).to.equal("refused");

        // The CLI a user runs: exit 1, the failing rows, and the logs of the nodes involved.
        const run = await runVerifyCli(intended);
        expect(run.exitCode).to.equal(1);
        // The row of that check, however its cells wrap: its first column reads the check's id, and it shows refused and FAIL.
        const rows = run.stdout.split(/^[├└].*$/m).map((row) => row.split("\n").filter((l) => l.startsWith("│")));
        const cell = (line: string, column: number) => line.split("│")[column + 1]?.trim() ?? "";
        const row = rows.find((lines) => lines.map((l) => cell(l, 0)).join(" ").trim() === "firewall: router -> gateway-a 172.31.10.2 tcp");
        expect(row, run.stdout).to.not.equal(undefined);
        expect(row!.map((l) => cell(l, 2)).join(" ").trim()).to.equal("refused");
        expect(cell(row![0], 3)).to.equal("FAIL");
        expect(run.stdout).to.include("logs of gateway-a (involved in a failed check):");
        expect(run.stdout.trimEnd().split("\n").at(-1)).to.equal(`${results.length - 4} passed, 4 failed`);
    });

    it("a wrong traffic selector on gateway-s: the tunnel, its service and its wire checks fail, and say which selector", async () => {
        // No config says this (the plan derives both ends' selectors from the
        // same LANs): gateway-s is broken by hand, as a user would, and its
        // tunnel dialled again.
        lab = await variant("wrong-selector", stackLab("dev"));
        const gatewayS = intended.nodes.find((n) => n.name === "gateway-s")!.containerName;
        const gatewayA = intended.nodes.find((n) => n.name === "gateway-a")!.containerName;
        const tamper = await execIn(docker, gatewayS, ["sh", "-c",
            `sed -i 's#local_ts = 10.20.0.0/24#local_ts = 10.99.0.0/24#' ${SWANCTL_CONF} && grep -q 10.99.0.0/24 ${SWANCTL_CONF} && swanctl --load-conns && swanctl --terminate --ike a-s --timeout 5`], 30);
        expect(tamper.exitCode, tamper.stdout + tamper.stderr).to.equal(0);
        await execIn(docker, gatewayA, ["swanctl", "--initiate", "--child", "a-s", "--timeout", "5"], 30);
        const results = await verifyLab(intended, { docker });
        expect(failed(results)).to.deep.equal([
            "service web: client-a1 -> 10.10.0.2:8080",
            "tunnel a-s: SAs on gateway-a",
            "tunnel a-s: SAs on gateway-s",
            "tunnel a-s: only ESP on the wire",
        ].sort());
        // The SA check shows the cause: the declared selectors against what the peers made of them.
        // Which of the two the broken tunnel is in when the check looks is a race: narrowed to
        // gateway-s's wrong selector, or torn down after a refused renegotiation.
        const sa = results.find((r) => r.id === "tunnel a-s: SAs on gateway-a")!;
        expect(sa.expected).to.include("10.10.0.0/24 === 10.20.0.0/24");
        expect(sa.observed).to.not.include("10.10.0.0/24 === 10.20.0.0/24");
        expect(sa.observed).to.match(/10\.10\.0\.0\/24 === 10\.99\.0\.0\/24|no IKE SA|no CHILD SA/);
    });
});

describe("a tunnel broken on purpose: its SA checks say why, in the words of IKE", function () {
    this.timeout(10 * 60 * 1000);
    // dev's a-s: PSK, started at boot by gateway-a, so each test dials it again by hand as a user would.
    const intended = planLab(parseLab(stackLab("dev"), "dev"), "dev");
    const docker = new Docker();
    const containerOf = (node: string) => intended.nodes.find((n) => n.name === node)!.containerName;
    let lab: DeployedLab | undefined;

    before(async () => {
        lab = await deploy("dev-sa-why", { lab: stackLab("dev"), labName: intended.name });
        for (const file of [SWANCTL_CONF, SECRETS_CONF]) {
            const saved = await execIn(docker, containerOf("gateway-s"), ["cp", file, `${file}.intended`], 10);
            expect(saved.exitCode).to.equal(0);
        }
    });

    after(async () => {
        if (lab) expect(await destroy(lab)).to.deep.equal([]);
    });

    /** Breaks gateway-s with a shell script, reloads it and dials a-s again from gateway-a; returns both ends' SA checks. */
    async function breakGatewayS(script: string): Promise<Record<string, string>> {
        const tamper = await execIn(docker, containerOf("gateway-s"), ["sh", "-c",
            `set -e; ${script}; swanctl --load-all >/dev/null; swanctl --terminate --ike a-s --timeout 5 >/dev/null || true`], 30);
        expect(tamper.exitCode, tamper.stdout + tamper.stderr).to.equal(0);
        await execIn(docker, containerOf("gateway-a"), ["swanctl", "--initiate", "--child", "a-s", "--timeout", "5"], 30);
        const results = await verifyLab(intended, { docker, only: "tunnel a-s: SAs" });
        expect(results.map((r) => r.pass)).to.deep.equal([false, false]);
        return Object.fromEntries(results.map((r) => [r.id.replace("tunnel a-s: SAs on ", ""), r.observed]));
    }

    afterEach(async () => {
        const restore = await execIn(docker, containerOf("gateway-s"), ["sh", "-c",
            `cp ${SWANCTL_CONF}.intended ${SWANCTL_CONF} && cp ${SECRETS_CONF}.intended ${SECRETS_CONF} && swanctl --load-all >/dev/null`], 30);
        expect(restore.exitCode, restore.stderr).to.equal(0);
        await execIn(docker, containerOf("gateway-a"), ["swanctl", "--initiate", "--child", "a-s", "--timeout", "5"], 30);
    });

    it("a mismatched IKE proposal: NO_PROPOSAL_CHOSEN, with what each side offered", async () => {
        const observed = await breakGatewayS(`sed -i 's/proposals = aes256gcm16-prfsha384-ecp384$/proposals = aes128-sha256-modp3072/' ${SWANCTL_CONF} && grep -q modp3072 ${SWANCTL_CONF}`);
        expect(observed["gateway-a"]).to.match(/^no IKE SA — the peer accepted none of the IKE proposals \(NO_PROPOSAL_CHOSEN\)/);
        expect(observed["gateway-s"]).to.match(/^no IKE SA — none of the peer's IKE proposals is acceptable here \(NO_PROPOSAL_CHOSEN\) \(received IKE:AES_GCM_16_256\/.*, configured IKE:AES_CBC_128\/.*MODP_3072\)/);
    });

    it("a wrong pre-shared key: AUTHENTICATION_FAILED, and the responder says the keys differ", async () => {
        const wrong = Buffer.from("not the tunnel's key").toString("base64");
        const observed = await breakGatewayS(`sed -i 's/secret = 0s.*/secret = 0s${wrong}/' ${SECRETS_CONF} && grep -q '0s${wrong}' ${SECRETS_CONF}`);
        expect(observed["gateway-s"]).to.match(/^no IKE SA — the pre-shared keys of the two ends differ.*\(AUTHENTICATION_FAILED\)/);
        expect(observed["gateway-a"]).to.match(/^no IKE SA — the peer refused this end's authentication \(AUTHENTICATION_FAILED\)/);
    });

    it("a narrowed selector: the SAs come up, and the check names the selector that differs from the plan", async () => {
        const observed = await breakGatewayS(`sed -i 's#local_ts = 10.20.0.0/24#local_ts = 10.20.0.0/25#' ${SWANCTL_CONF} && grep -q 10.20.0.0/25 ${SWANCTL_CONF}`);
        expect(observed["gateway-a"]).to.match(/ — differs from the plan: remote selectors 10\.20\.0\.0\/25, planned 10\.20\.0\.0\/24$/);
        expect(observed["gateway-s"]).to.match(/ — differs from the plan: local selectors 10\.20\.0\.0\/25, planned 10\.20\.0\.0\/24$/);
    });
});
