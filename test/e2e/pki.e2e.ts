// Certificates on a real engine: a revoked gateway's tunnels must not come up,
// everything else must, and no private key may show in outputs or logs.
import { expect } from "chai";
import { stackLab } from "../support/recording-mocks";
import Docker from "dockerode";
import { containerLogTail } from "../../host/logs";
import { CREDENTIAL_PATHS } from "../../configs";
import { execIn } from "../../verify/exec";
import { nodeLogs, CheckResult } from "../../verify";
import { htmlPage } from "../../verify/html";
import { deploy, destroy, verify, DeployedLab } from "./lab";

/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke into the raw YAML shape on purpose */

describe("site-to-site with gateway-b's certificate revoked", function () {
    this.timeout(10 * 60 * 1000);
    const docker = new Docker();
    let lab: DeployedLab;
    let results: CheckResult[];

    before(async () => {
        const raw = stackLab("site-to-site") as any;
        raw.pki = { revoke: ["gateway-b"] };
        lab = await deploy("site-to-site-revoked", { lab: raw, labName: "vnetlab-site-to-site" });
        results = await verify(lab);
    });

    after(async () => {
        if (lab) expect(await destroy(lab)).to.deep.equal([]);
    });

    it("fails exactly gateway-b's tunnel checks and nothing else", () => {
        expect(results.filter((r) => !r.pass).map((r) => r.id).sort()).to.deep.equal([
            "service web: client-b1 -> 10.2.0.99:8080",
            "service web: client-b2 -> 10.2.0.99:8080",
            "tunnel b-s: SAs on gateway-b",
            "tunnel b-s: SAs on gateway-s",
            "tunnel b-s: only ESP on the wire",
        ]);
        expect(results.filter((r) => r.id.startsWith("tunnel a-s")).every((r) => r.pass)).to.equal(true);
    });

    it("shows why in gateway-s's log: the certificate is revoked", async () => {
        expect(await nodeLogs(docker, lab.plan, "gateway-s", 200)).to.match(/certificate was revoked/);
    });

    it("says why in the SA checks: gateway-s found the certificate revoked, gateway-b was refused", () => {
        const observed = (id: string) => results.find((r) => r.id === id)!.observed;
        expect(observed("tunnel b-s: SAs on gateway-s")).to.match(/^no IKE SA — the peer's certificate is revoked, since .*\(AUTHENTICATION_FAILED\); charon: "certificate was revoked on /);
        expect(observed("tunnel b-s: SAs on gateway-b")).to.match(/^no IKE SA — the peer refused this end's authentication \(AUTHENTICATION_FAILED\)/);
        // The HTML report's row of that check says the same.
        const page = htmlPage({ plan: lab.plan, results, logs: new Map() }, "");
        const row = /<tr class="fail"[^>]*><td>tunnel b-s: SAs on gateway-s<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/.exec(page);
        expect(row?.[1]).to.match(/^no IKE SA — the peer&#39;s certificate is revoked/);
    });

    it("authenticated gateway-a with its ECDSA certificate and a CRL it checked", async () => {
        const logs = await nodeLogs(docker, lab.plan, "gateway-s", 400);
        expect(logs).to.match(/authentication of '172\.26\.26\.26' with ECDSA.* successful/);
        expect(logs).to.match(/certificate status is good/);
    });

    it("shows no private key in outputs, state, container logs or node logs", async () => {
        const gateways = lab.plan.nodes.filter((n) => n.role === "gateway");
        const keys = await Promise.all(gateways.map(async (g) => (await execIn(docker, g.containerName, ["cat", CREDENTIAL_PATHS.privateKey], 10)).stdout));
        expect(keys.filter((k) => k.includes("PRIVATE KEY"))).to.have.length(3);
        // A line from the middle of each key's base64 body: present only where the key is.
        const bodies = keys.map((pem) => pem.split("\n").filter((l) => l && !l.startsWith("-----"))[1]);
        const seen: string[] = [
            JSON.stringify(lab.plan),
            JSON.stringify(await lab.stack.stack.outputs()),
            JSON.stringify(await lab.stack.exportState()),
        ];
        for (const node of lab.plan.nodes) {
            seen.push(await containerLogTail(docker, node.containerName, 10000));
            seen.push((await execIn(docker, node.containerName, ["sh", "-c", "cat /var/log/*.log 2>/dev/null; true"], 10)).stdout);
        }
        const text = seen.join("\n");
        expect(text).to.not.match(/PRIVATE KEY/);
        for (const body of bodies) expect(text).to.not.include(body);
        // The key is where charon reads it, and only readable by root.
        const stat = await execIn(docker, lab.plan.nodes.find((n) => n.name === "gateway-a")!.containerName,
            ["stat", "-c", "%a", CREDENTIAL_PATHS.privateKey], 10);
        expect(stat.stdout.trim()).to.equal("600");
    });
});
