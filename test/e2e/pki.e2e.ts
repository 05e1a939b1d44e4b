// Certificates on a real engine: a revoked gateway's tunnels must not come up,
// everything else must, and no private key may show in outputs or logs.
import { expect } from "chai";
import { TEST_SEED, stackLab } from "../support/recording-mocks";
import { derivePki } from "../../configs";
import { containerLogTail } from "../../engine/docker-engine";
import { execIn } from "../../verify/exec";
import { nodeLogs, CheckResult } from "../../verify";
import { deploy, verify, DeployedLab } from "./lab";

/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke into the raw YAML shape on purpose */

describe("site-to-site with gateway-b's certificate revoked", function () {
    this.timeout(10 * 60 * 1000);
    let lab: DeployedLab;
    let results: CheckResult[];

    before(async () => {
        const raw = stackLab("site-to-site") as any;
        raw.pki = { revoke: ["gateway-b"] };
        // A known seed, so that the test can derive the keys it looks for.
        lab = await deploy("site-to-site", { lab: raw }, { seed: TEST_SEED });
        results = await verify(lab);
    });

    after(async () => {
        if (lab) {
            await lab.engine.destroyAll();
            expect(await lab.engine.leftovers()).to.deep.equal([]);
        }
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
        expect(await nodeLogs(lab.engine.docker, lab.plan, "gateway-s", 200)).to.match(/certificate was revoked/);
    });

    it("authenticated gateway-a with its ECDSA certificate and a CRL it checked", async () => {
        const logs = await nodeLogs(lab.engine.docker, lab.plan, "gateway-s", 400);
        expect(logs).to.match(/authentication of '172\.26\.26\.26' with ECDSA.* successful/);
        expect(logs).to.match(/certificate status is good/);
    });

    it("shows no private key in outputs, container logs or node logs", async () => {
        // The gateways' keys: the CA keys never leave the derivation.
        const keys = Object.values((await derivePki(TEST_SEED, lab.plan.pki!)).gateways).map((g) => g.privateKeyPem);
        expect(keys).to.have.length(3);
        // A line from the middle of each key's base64 body: present only where the key is.
        const bodies = keys.map((pem) => pem.split("\n").filter((l) => l && !l.startsWith("-----"))[1]);
        const seen: string[] = [JSON.stringify(lab.plan)];
        for (const node of lab.plan.nodes) {
            seen.push(await containerLogTail(lab.engine.docker, node.containerName, 10000));
            seen.push((await execIn(lab.engine.docker, node.containerName, ["sh", "-c", "cat /var/log/*.log 2>/dev/null; true"], 10)).stdout);
        }
        const text = seen.join("\n");
        expect(text).to.not.match(/PRIVATE KEY/);
        for (const body of bodies) expect(text).to.not.include(body);
        // The key is where charon reads it, and only readable by root.
        const stat = await execIn(lab.engine.docker, lab.plan.nodes.find((n) => n.name === "gateway-a")!.containerName,
            ["stat", "-c", "%a", "/etc/swanctl/ecdsa/gateway.pem"], 10);
        expect(stat.stdout.trim()).to.equal("600");
    });
});
