import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { knownStacks } from "../../cli/lab-name";
import { PROJECT_DIR } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { IPV6_SYSCTLS, NODE_SYSCTLS } from "../../components/node-container";
import { RecordingMocks, Registered, STACKS, TEST_SEED, filesOf, isSecret, runLab, stackLab, uploadsOf } from "../support/recording-mocks";
import { BUNDLE_PATH, CREDENTIAL_PATHS, NODE_CONF, SECRETS_CONF, START_COMMAND, derivePsk } from "../../configs";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */
type Json = any;

const byName = (list: Registered[]) => new Map(list.map((r) => [r.name, r]));
const secretFree = (value: unknown): unknown => {
    // Replaces every secret by a marker, so that what is left is what a reader of state could see in plain.
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(secretFree);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretFree(v)]));
    return value;
};

describe("stacks under Pulumi mocks", function () {
    this.timeout(30000);

    for (const stack of STACKS) {
        describe(stack, () => {
            const plan = planLab(parseLab(stackLab(stack), stack), stack);
            let mocks: RecordingMocks;
            before(async () => { mocks = await runLab(stackLab(stack), stack); });

            it("creates one isolated network per segment, as planned", () => {
                const networks = byName(mocks.networks());
                expect([...networks.keys()].sort()).to.deep.equal(plan.segments.map((s) => s.key).sort());
                for (const segment of plan.segments) {
                    const inputs: Json = networks.get(segment.key)!.inputs;
                    expect(inputs.name).to.equal(segment.networkName);
                    expect(inputs.driver).to.equal("macvlan");
                    expect(inputs.internal).to.equal(true);
                    expect(inputs.ipv6).to.equal(segment.subnets.ipv6 !== undefined);
                    expect(inputs.ipamConfigs.map((c: Json) => c.subnet)).to.deep.equal(
                        [segment.docker.ipv4.subnet, ...(segment.docker.ipv6 ? [segment.docker.ipv6.subnet] : [])]);
                    expect(inputs.labels).to.deep.include({ label: "vnetlab.stack", value: stack });
                    expect(inputs.options).to.deep.equal({}, "no parent unless configured: never the host's NIC");
                }
            });

            it("creates one least-privilege container per node with its addresses", () => {
                const containers = byName(mocks.containers());
                expect([...containers.keys()].sort()).to.deep.equal(plan.nodes.map((n) => n.name).sort());
                const networkNames = new Map(mocks.networks().map((n) => [n.name, (n.inputs as Json).name]));
                for (const node of plan.nodes) {
                    const inputs: Json = containers.get(node.name)!.inputs;
                    expect(inputs.name).to.equal(node.containerName);
                    expect(inputs.hostname).to.equal(node.name);
                    expect(inputs.privileged ?? false).to.equal(false);
                    expect(inputs.capabilities).to.deep.equal({ adds: ["CAP_NET_ADMIN"] });
                    expect(inputs.devices).to.deep.equal([{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun", permissions: "rwm" }]);
                    const ipv6 = node.interfaces.some((i) => i.addresses.ipv6) ||
                        plan.tunnels.some((t) => t.ends.some((e) => e.gateway === node.name) && (t.inner ?? [t.ipVersion]).includes(6));
                    // Loose reverse-path filtering only where the plan says why.
                    const loose = node.gateway?.looseReversePath ? { "net.ipv4.conf.all.rp_filter": "2" } : {};
                    expect(inputs.sysctls).to.deep.equal({ ...NODE_SYSCTLS, ...(ipv6 ? IPV6_SYSCTLS : {}), ...loose });
                    expect(inputs.networkMode ?? "").to.not.equal("host");
                    expect(inputs.networksAdvanced.map((n: Json) => [n.name, n.ipv4Address, n.ipv6Address])).to.deep.equal(
                        node.interfaces.map((i) => [networkNames.get(i.segment), i.docker.ipv4, i.docker.ipv6]));
                    expect(inputs.networksAdvanced.map((n: Json) => n.name), "no lab node on Docker's default bridge").to.not.include("bridge");
                    expect(inputs.healthcheck, "readiness comes from the start log; a health exec per node per interval loads the host").to.equal(undefined);
                    expect(inputs.labels).to.deep.include({ label: "vnetlab.role", value: node.role });
                    expect(filesOf(containers.get(node.name)!).has(NODE_CONF), node.name).to.equal(true);
                    expect(inputs.command).to.deep.equal([...START_COMMAND]);
                }
            });

            it("gives every container exactly one upload, its files' bundle (0600), secret only where a key or PSK is in it", () => {
                for (const container of mocks.containers()) {
                    const uploads = uploadsOf(container);
                    expect(uploads.map((u) => [u.file, u.permissions]), container.name).to.deep.equal([[BUNDLE_PATH, "0600"]]);
                    // Each tunnel's ends get its PSK or their keys; a node that ends none (router, client, server) gets nothing secret, so its diff stays readable.
                    const endsTunnel = plan.tunnels.some((t) => t.ends.some((e) => e.gateway === container.name));
                    expect(isSecret((container.inputs as Json).uploads), container.name).to.equal(endsTunnel);
                }
            });

            it("keeps every PSK and private key secret: Pulumi secret inputs, never plain anywhere", () => {
                const pskTunnels = plan.tunnels.filter((t) => t.auth === "psk");
                const psks = pskTunnels.map((t) => derivePsk(TEST_SEED, t.name));
                for (const gw of plan.nodes.filter((n) => n.role === "gateway")) {
                    const inputs: Json = byName(mocks.containers()).get(gw.name)!.inputs;
                    // A secret inside a list makes the whole input secret in state.
                    expect(isSecret(inputs.uploads), `${gw.name}'s uploads are a Pulumi secret`).to.equal(true);
                    const files = filesOf(byName(mocks.containers()).get(gw.name)!);
                    for (const t of pskTunnels.filter((t) => t.ends.some((e) => e.gateway === gw.name))) {
                        expect(files.get(SECRETS_CONF)?.content).to.include(Buffer.from(derivePsk(TEST_SEED, t.name)).toString("base64"));
                        expect(files.get(SECRETS_CONF)?.mode).to.equal("0600");
                    }
                    const certified = plan.pki?.certificates.some((c) => c.gateway === gw.name) ?? false;
                    expect(files.get(CREDENTIAL_PATHS.privateKey)?.content ?? "", gw.name).to.match(certified ? /BEGIN EC PRIVATE KEY/ : /^$/);
                    expect(files.get(CREDENTIAL_PATHS.privateKey)?.mode ?? "0600").to.equal("0600");
                }
                const plain = JSON.stringify(mocks.resources.map((r) => secretFree(r.inputs)));
                expect(plain).to.not.match(/PRIVATE KEY/);
                for (const psk of psks) {
                    expect(plain).to.not.include(psk);
                    expect(plain).to.not.include(Buffer.from(psk).toString("base64"));
                }
            });

            it("registers identical inputs on a second run (a quiet `pulumi preview`)", async () => {
                const again = await runLab(stackLab(stack), stack);
                expect(again.resources.map((r) => [r.type, r.name, r.inputs]).sort())
                    .to.deep.equal(mocks.resources.map((r) => [r.type, r.name, r.inputs]).sort());
            });
        });
    }

    it("changing one tunnel's proposal changes only its two gateways", async () => {
        const before = await runLab(stackLab("site-to-site"), "site-to-site");
        const lab = stackLab("site-to-site") as Json;
        lab.tunnels["b-s"].ike = "aes128gcm16-prfsha256-ecp256";
        const after = await runLab(lab, "site-to-site");
        const key = (r: Registered) => `${r.type}/${r.name}`;
        const old = new Map(before.resources.map((r) => [key(r), r]));
        const changed = after.resources.filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(old.get(key(r))?.inputs)).map((r) => r.name);
        expect(changed.sort()).to.deep.equal(["gateway-b", "gateway-s"]);
    });

    it("takes a PSK from config instead of deriving one, still secret", async () => {
        const mocks = await runLab(stackLab("dev"), "dev", { "a-s": "configured-secret-1234567890" });
        const gw = mocks.container("gateway-a");
        expect(isSecret((gw.inputs as Json).uploads)).to.equal(true);
        expect(filesOf(gw).get(SECRETS_CONF)!.content).to.include(Buffer.from("configured-secret-1234567890").toString("base64"))
            .and.not.include(Buffer.from(derivePsk(TEST_SEED, "a-s")).toString("base64"));
        expect(JSON.stringify(mocks.resources.map((r) => secretFree(r.inputs)))).to.not.include("configured-secret-1234567890");
    });

    it("puts the router on Docker's default bridge only when the uplink is opted in", async () => {
        const off: Json = byName((await runLab(stackLab("dev"), "dev")).containers()).get("router")!.inputs;
        expect(off.networksAdvanced.map((n: Json) => n.name)).to.not.include("bridge");
        const lab = stackLab("dev") as Json;
        lab.router = { uplink: true };
        const on: Json = byName((await runLab(lab, "dev")).containers()).get("router")!.inputs;
        expect(on.networksAdvanced.map((n: Json) => n.name)).to.include("bridge");
    });

    it("uses a configured macvlan parent for its segment only", async () => {
        const lab = stackLab("dev") as Json;
        lab.network = { parents: { "lan-a": "vlab-lan-a" } };
        const networks = byName((await runLab(lab, "dev")).networks());
        expect((networks.get("lan-a")!.inputs as Json).options).to.deep.equal({ parent: "vlab-lan-a" });
        expect((networks.get("lan-s")!.inputs as Json).options).to.deep.equal({});
    });
});

describe("the shipped stack files", () => {
    it("hold no secret, salt or seed: each machine's first `up` adds its own, encrypted with its own passphrase", () => {
        for (const stack of knownStacks()) {
            const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
            expect(text, stack).to.not.match(/encryptionsalt|secure:|vnetlab:seed|vnetlab:psk-/);
        }
        expect(knownStacks()).to.include.members([...STACKS]);
    });
});
