// Proves the Docker-backed mock engine on the local Docker engine: a tiny
// Pulumi program (image, two macvlan networks, a secret, one container)
// is really built, created and started, inspected from outside and inside,
// and torn down without leftovers. Run:
//   npx mocha -r ts-node/register test/engine/docker-engine.e2e.ts
// Every address used is lab-only (198.18.0.0/15, fd00::/8); nothing is sent
// anywhere but between the lab's own interfaces.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DockerMockEngine, assertNoLeftovers, execIn, purgeByName } from "../../engine/docker-engine";
import { BuildStreamDecoder, DockerIgnore, TailLog } from "../../engine/build";
import { SECRET_MARK, SECRET_SIG, UNKNOWN_VALUE, parseGoDuration, unwrapSecrets } from "../../engine/values";

const FIXTURE = path.join(__dirname, "fixture");
const IMAGE = "vnetlab-test/engine-fixture:e2e";
const CONTAINER = "vnl-e2e-node";
// Docker 20.10 numbers a container's interfaces by network *name* when it
// starts, whatever the attach order. These names sort opposite to the
// declared order, so eth0 being the first-declared network would be wrong
// both by name and by the engine's (reversed) attach order.
const NET_FIRST = "vnl-e2e-wan";
const NET_SECOND = "vnl-e2e-lan";
const READY = "/run/vnetlab/ready";

const START_SCRIPT = `#!/bin/sh
set -eu
mkdir -p /run/vnetlab
# The uploads must be in place before the first start.
test -x /opt/vnetlab/helper.sh
cp /opt/vnetlab/secret/psk /run/vnetlab/psk-seen
touch ${READY}
exec sleep infinity
`;

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

async function sh(client: Docker, container: string, script: string): Promise<string> {
    const r = await execIn(client, container, ["sh", "-c", script], 30);
    if (r.exitCode !== 0) throw new Error(`"${script}" exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
}

const timings: string[] = [];

describe("DockerMockEngine on the local Docker engine", function () {
    this.timeout(180_000);
    const engine = new DockerMockEngine();
    const client = engine.docker;
    let t0 = 0;
    let imageId = "";
    let containerId = "";
    let psk = "";
    let firstNet: docker.Network;
    let secondNet: docker.Network;
    let node: docker.Container;
    let image: docker.Image;

    before(async function () {
        t0 = Date.now();
        const stale = await purgeByName(client, { containers: [CONTAINER], networks: [NET_FIRST, NET_SECOND] });
        if (stale.length > 0) engine.log(`purged leftovers of an earlier run: ${stale.join(", ")}`);
        await pulumi.runtime.setMocks(engine, "vnetlab", "engine-e2e", false);

        image = new docker.Image("fixture-image", {
            imageName: IMAGE,
            skipPush: true,
            build: { context: FIXTURE, dockerfile: path.join(FIXTURE, "Dockerfile"), network: "host" },
        });
        firstNet = new docker.Network("first", {
            name: NET_FIRST,
            driver: "macvlan",
            internal: true,
            ipamConfigs: [{ subnet: "198.18.10.0/24", gateway: "198.18.10.254" }],
            labels: [{ label: "vnetlab.test", value: "engine-e2e" }],
        });
        secondNet = new docker.Network("second", {
            name: NET_SECOND,
            driver: "macvlan",
            ipv6: true,
            ipamConfigs: [
                { subnet: "198.18.11.0/24", gateway: "198.18.11.254" },
                { subnet: "fd00:7e57:10::/64", gateway: "fd00:7e57:10::fffe" },
            ],
        });
        // A secret upload, as a PSK is; fixed, since no provider generates one any more.
        const password = pulumi.secret("e2eFixedPsk0123456789abc");
        node = new docker.Container("node", {
            name: CONTAINER,
            hostname: "node",
            image: image.repoDigest,
            command: ["/opt/vnetlab/start.sh"],
            capabilities: { adds: ["NET_ADMIN"] },
            privileged: false,
            devices: [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun", permissions: "rwm" }],
            sysctls: { "net.ipv4.ip_forward": "1" },
            networksAdvanced: [
                { name: firstNet.name, ipv4Address: "198.18.10.1" },
                { name: secondNet.name, ipv4Address: "198.18.11.1", ipv6Address: "fd00:7e57:10::1" },
            ],
            uploads: [
                { file: "/opt/vnetlab/start.sh", content: START_SCRIPT, executable: true, permissions: "0755" },
                { file: "/opt/vnetlab/helper.sh", content: "#!/bin/sh\necho helper\n", executable: true },
                { file: "/opt/vnetlab/secret/psk", content: password, permissions: "0600" },
                { file: "/tmp/vnetlab/note", content: "in /tmp\n" },
            ],
            labels: [{ label: "vnetlab.test", value: "engine-e2e" }],
            healthcheck: { tests: ["CMD", "test", "-f", READY], interval: "500ms", timeout: "2s", retries: 20, startPeriod: "0s" },
            wait: true,
            waitTimeout: 60,
            mustRun: true,
            restart: "no",
            destroyGraceSeconds: 10,
        });
        containerId = await engine.output(node.id);
        imageId = await engine.output(image.repoDigest);
        psk = await engine.output(password);
        timings.push(`up (build + 2 networks + container healthy): ${Date.now() - t0} ms`);
    });

    after(async function () {
        // Whatever happened above, leave the machine clean.
        await engine.destroyAll().catch((e: Error) => { process.stderr.write(`${e.message}\n`); });
        process.stderr.write(`      timings: ${timings.join("; ")}\n`);
    });

    it("builds the image and reports the local image ID as repoDigest", async function () {
        expect(imageId).to.match(/^sha256:[0-9a-f]{64}$/);
        const info = await client.getImage(IMAGE).inspect();
        expect(info.Id).to.equal(imageId);
        expect(engine.images().map((i) => i.id)).to.deep.equal([imageId]);
        const rec = engine.find("docker:index/image:Image", "fixture-image")!;
        expect(rec.id).to.equal(imageId);
        expect(rec.outputs.dockerfile).to.equal("Dockerfile");
        expect(rec.outputs.imageName).to.equal(IMAGE);
    });

    it("creates the macvlan networks on isolated veth parents, never a host NIC", async function () {
        const hostNics = fs.readdirSync("/sys/class/net").filter((n) => fs.existsSync(`/sys/class/net/${n}/device`));
        for (const [net, name] of [[firstNet, NET_FIRST], [secondNet, NET_SECOND]] as const) {
            expect(await promiseOf(net.name)).to.equal(name);
            const info = await client.getNetwork(name).inspect() as Docker.NetworkInspectInfo;
            expect(info.Driver).to.equal("macvlan");
            const parent = info.Options?.parent ?? "";
            expect(parent).to.match(/^vl[0-9a-f]{8}a$/);
            expect(hostNics).to.not.include(parent);
            expect(fs.existsSync(`/sys/class/net/${parent}`), `${parent} exists`).to.equal(true);
            expect(engine.networks().find((n) => n.name === name)?.vethParent).to.equal(parent);
        }
        const first = await client.getNetwork(NET_FIRST).inspect() as Docker.NetworkInspectInfo;
        expect(first.Internal).to.equal(true);
        expect(first.Labels).to.deep.equal({ "vnetlab.test": "engine-e2e" });
        expect(first.IPAM?.Config).to.deep.equal([{ Subnet: "198.18.10.0/24", Gateway: "198.18.10.254" }]);
        const second = await client.getNetwork(NET_SECOND).inspect() as Docker.NetworkInspectInfo;
        expect(second.EnableIPv6).to.equal(true);
        expect(second.IPAM?.Config?.map((c) => c.Subnet)).to.deep.equal(["198.18.11.0/24", "fd00:7e57:10::/64"]);
        // The declared options come back as declared: the veth parent is the engine's business.
        expect(await promiseOf(secondNet.options)).to.deep.equal({});
    });

    it("runs the container healthy and unprivileged, with exactly the capability, device and sysctl asked for", async function () {
        const info = await client.getContainer(containerId).inspect();
        expect(info.Name).to.equal(`/${CONTAINER}`);
        expect(info.State.Running).to.equal(true);
        expect((info.State as { Health?: { Status: string } }).Health?.Status).to.equal("healthy");
        expect(info.HostConfig.Privileged).to.equal(false);
        expect(info.HostConfig.CapAdd).to.deep.equal(["NET_ADMIN"]);
        expect(info.HostConfig.Devices).to.deep.equal([{ PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm" }]);
        expect(info.HostConfig.Sysctls).to.deep.equal({ "net.ipv4.ip_forward": "1" });
        expect(info.Config.Labels).to.deep.equal({ "vnetlab.test": "engine-e2e" });
        expect(engine.containers()).to.have.length(1);
        expect(engine.container("node")).to.include({ name: CONTAINER, id: containerId });

        expect(await sh(client, containerId, "cat /proc/sys/net/ipv4/ip_forward")).to.equal("1");
        expect(await sh(client, containerId, "test -c /dev/net/tun && echo chardev")).to.equal("chardev");
        // CAP_NET_ADMIN is bit 12 of the effective set; CAP_SYS_ADMIN (21) must be absent.
        const capEff = BigInt(`0x${await sh(client, containerId, "grep CapEff /proc/self/status | cut -f2")}`);
        expect(capEff & (1n << 12n)).to.equal(1n << 12n);
        expect(capEff & (1n << 21n)).to.equal(0n);
    });

    it("puts the uploads in place before the first start, with the provider's modes", async function () {
        expect(await sh(client, containerId, "stat -c '%a %u' /opt/vnetlab/start.sh")).to.equal("755 0");
        // executable alone is owner-execute only (0744), as the provider does it.
        expect(await sh(client, containerId, "stat -c %a /opt/vnetlab/helper.sh")).to.equal("744");
        expect(await sh(client, containerId, "stat -c %a /opt/vnetlab/secret/psk")).to.equal("600");
        // Missing parent directories are created by Docker as 0755; an existing one keeps its mode.
        expect(await sh(client, containerId, "stat -c %a /opt/vnetlab/secret")).to.equal("755");
        expect(await sh(client, containerId, "stat -c %a /opt")).to.equal("755");
        expect(await sh(client, containerId, "stat -c %a /tmp /tmp/vnetlab/note")).to.equal("1777\n644");
        // The start script copied the secret at its first start.
        expect(psk).to.match(/^[A-Za-z0-9]{24}$/);
        expect(await sh(client, containerId, "cat /run/vnetlab/psk-seen")).to.equal(psk);
        expect(await pulumi.isSecret(node.uploads)).to.equal(true);
    });

    it("gives the fixed addresses and attaches the networks in an order other than the declared one", async function () {
        const datas = await promiseOf(node.networkDatas);
        const by = Object.fromEntries(datas.map((d) => [d.networkName, d]));
        expect(by[NET_FIRST].ipAddress).to.equal("198.18.10.1");
        expect(by[NET_SECOND].ipAddress).to.equal("198.18.11.1");
        expect(by[NET_SECOND].globalIpv6Address).to.equal("fd00:7e57:10::1");

        const rec = engine.container(CONTAINER);
        expect(rec.declaredNetworks).to.deep.equal([NET_FIRST, NET_SECOND]);
        expect(rec.attachOrder).to.deep.equal([NET_SECOND, NET_FIRST]);

        // Inside: which interface carries which network, found by MAC address.
        const ifaces = (await sh(client, containerId, "for i in /sys/class/net/eth*; do echo \"$(basename $i) $(cat $i/address)\"; done"))
            .split("\n").map((l) => l.split(" "));
        const netOf = (mac: string): string => datas.find((d) => d.macAddress === mac)?.networkName ?? "?";
        const order = Object.fromEntries(ifaces.map(([ifname, mac]) => [ifname, netOf(mac)]));
        expect(order).to.deep.equal({ eth0: NET_SECOND, eth1: NET_FIRST });
        expect(order.eth0).to.not.equal(NET_FIRST);
        // IPv6 as Docker put it on the interface (/proc/net/if_inet6: address, index, prefix, scope, flags, name).
        const inet6 = await sh(client, containerId, "cat /proc/net/if_inet6");
        expect(inet6).to.match(/^fd007e57001000000000000000000001 \S+ 40 00 \S+\s+eth0$/m);
    });

    it("tears everything down, veth parents included, and keeps the image", async function () {
        const parents = engine.networks().map((n) => n.vethParent!);
        const t = Date.now();
        await engine.destroyAll();
        timings.push(`destroyAll: ${Date.now() - t} ms`);
        expect(await engine.leftovers()).to.deep.equal([]);
        await assertNoLeftovers(engine);
        for (const p of parents) {
            expect(fs.existsSync(`/sys/class/net/${p}`), `${p} removed`).to.equal(false);
            expect(fs.existsSync(`/sys/class/net/${p.replace(/a$/, "b")}`)).to.equal(false);
        }
        const gone = await client.getContainer(CONTAINER).inspect().then(() => false, () => true);
        expect(gone).to.equal(true);
        expect((await client.getImage(IMAGE).inspect()).Id).to.equal(imageId);
        await engine.destroyAll(); // idempotent
        timings.push(`whole suite: ${Date.now() - t0} ms`);
    });
});

describe("DockerMockEngine failure reports", function () {
    this.timeout(120_000);
    const engine = new DockerMockEngine();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-engine-"));
    const create = (type: string, name: string, inputs: Record<string, unknown>) =>
        engine.newResource({ type, name, inputs, custom: true });

    before(async function () {
        await purgeByName(engine.docker, { containers: ["vnl-e2e-dies"], networks: ["vnl-e2e-guard"] });
    });

    after(async function () {
        await engine.destroyAll();
        await assertNoLeftovers(engine);
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("fails a build with the failing step's output", async function () {
        fs.writeFileSync(path.join(tmp, "Dockerfile"), "FROM debian:trixie-slim\nRUN echo about-to-fail-42 && false\n");
        const err = await create("docker:index/image:Image", "bad", { imageName: "vnetlab-test/bad:e2e", skipPush: true, build: { context: tmp, dockerfile: path.join(tmp, "Dockerfile") } })
            .then(() => undefined, (e: Error) => e);
        expect(err?.message).to.match(/docker build of vnetlab-test\/bad:e2e failed/);
        expect(err?.message).to.include("about-to-fail-42");
        expect(err?.message).to.match(/exit code: 1/);
    });

    it("refuses an image the provider would push, and a Dockerfile path resolved against the context", async function () {
        const push = await create("docker:index/image:Image", "push", { imageName: "x/y:z", build: { context: FIXTURE } }).then(() => undefined, (e: Error) => e);
        expect(push?.message).to.match(/skipPush is not set/);
        const rel = await create("docker:index/image:Image", "rel", { imageName: "x/y:z", skipPush: true, build: { context: FIXTURE, dockerfile: "Dockerfile" } })
            .then(() => undefined, (e: Error) => e);
        expect(rel?.message).to.match(/not against the context/);
    });

    it("fails a container that exits before it is healthy, with its output", async function () {
        await create("docker:index/image:Image", "fixture", { imageName: IMAGE, skipPush: true, build: { context: FIXTURE, network: "host" } });
        const err = await create("docker:index/container:Container", "dies", {
            name: "vnl-e2e-dies", image: IMAGE, command: ["sh", "-c", "echo dying-now; exit 3"],
            healthcheck: { tests: ["CMD", "true"], interval: "500ms" }, wait: true, waitTimeout: 20,
        }).then(() => undefined, (e: Error) => e);
        expect(err?.message).to.match(/container vnl-e2e-dies exited \(code 3\) before it was healthy/);
        expect(err?.message).to.include("dying-now");
        expect(engine.errors.length).to.be.greaterThan(0);
    });

    it("refuses a host NIC as macvlan parent before touching Docker", async function () {
        const nic = fs.readdirSync("/sys/class/net").find((n) => fs.existsSync(`/sys/class/net/${n}/device`)) ?? "eth0";
        const err = await create("docker:index/network:Network", "guard", { name: "vnl-e2e-guard", driver: "macvlan", options: { parent: nic } })
            .then(() => undefined, (e: Error) => e);
        expect(err?.message).to.match(/refusing macvlan parent/);
        expect(await engine.docker.getNetwork("vnl-e2e-guard").inspect().then(() => true, () => false)).to.equal(false);
    });

    it("names unsupported resource types and inputs", async function () {
        const tls = await create("aws:s3/bucket:Bucket", "key", { algorithm: "ECDSA" }).then(() => undefined, (e: Error) => e);
        expect(tls?.message).to.equal("DockerMockEngine: unsupported resource type aws:s3/bucket:Bucket");
        const gpu = await create("docker:index/container:Container", "gpu", { image: IMAGE, gpus: "all" }).then(() => undefined, (e: Error) => e);
        expect(gpu?.message).to.match(/input\(s\) gpus not implemented/);
    });
});

describe("DockerMockEngine teardown while containers wait their turn", function () {
    this.timeout(120_000);
    const NAMES = Array.from({ length: 12 }, (_, i) => `vnl-e2e-queued-${i}`);

    it("makes none of the containers still queued once teardown has begun, and leaves nothing behind", async function () {
        const engine = new DockerMockEngine();
        await purgeByName(engine.docker, { containers: NAMES, networks: [] });
        await engine.newResource({ type: "docker:index/image:Image", name: "fixture", inputs: { imageName: IMAGE, skipPush: true, build: { context: FIXTURE, network: "host" } }, custom: true });
        const outcomes = NAMES.map((name) => engine.newResource({
            type: "docker:index/container:Container", name, custom: true,
            inputs: { name, image: IMAGE, command: ["sleep", "300"], networkMode: "none" },
        }).then(() => "created", (e: Error) => e.message));
        // Teardown begins once the first container exists: a few are made, more than that still wait their turn.
        const existing = () => engine.docker.listContainers({ all: true, filters: { name: ["vnl-e2e-queued-"] } });
        while ((await existing()).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        await engine.destroyAll();
        const ends = await Promise.all(outcomes);
        const refused = ends.filter((o) => / not created: the engine is tearing down$/.test(o));
        expect(refused.length, ends.join("\n")).to.be.at.least(1);
        expect(ends.filter((o) => o !== "created" && !refused.includes(o)), "other failures").to.deep.equal([]);
        expect(await engine.leftovers()).to.deep.equal([]);
        expect((await existing()).map((c) => c.Names[0])).to.deep.equal([]);
    });
});

describe("DockerMockEngine helpers (no Docker needed)", function () {
    it("parses durations as Go's time.ParseDuration does", function () {
        expect(parseGoDuration("2s")).to.equal(2e9);
        expect(parseGoDuration("500ms")).to.equal(5e8);
        expect(parseGoDuration("1m30s")).to.equal(90e9);
        expect(parseGoDuration("1.5h")).to.equal(5.4e12);
        expect(parseGoDuration("0")).to.equal(0);
        expect(() => parseGoDuration("10")).to.throw(/invalid duration/);
        expect(() => parseGoDuration("2 s")).to.throw(/invalid duration/);
    });

    it("unwraps secrets at any depth and refuses unknowns", function () {
        const wrap = (value: unknown) => ({ [SECRET_SIG]: SECRET_MARK, value });
        expect(unwrapSecrets({ uploads: [{ file: "/f", content: wrap("psk") }], labels: wrap([{ label: "a", value: wrap("b") }]) }))
            .to.deep.equal({ uploads: [{ file: "/f", content: "psk" }], labels: [{ label: "a", value: "b" }] });
        expect(() => unwrapSecrets({ image: UNKNOWN_VALUE })).to.throw(/inputs.image is unknown/);
    });

    it("applies .dockerignore like Docker (last match wins, parent directories match)", function () {
        const ig = new DockerIgnore("# comment\n*.log\n!keep.log\nbuild/\n**/tmp\n");
        expect(ig.ignores("a.log")).to.equal(true);
        expect(ig.ignores("keep.log")).to.equal(false);
        expect(ig.ignores("build/x/y")).to.equal(true);
        expect(ig.ignores("src/tmp")).to.equal(true);
        expect(ig.ignores("src/tmp/f")).to.equal(true);
        expect(ig.ignores("src/main.ts")).to.equal(false);
        expect(ig.ignores("sub/a.log")).to.equal(false); // "*.log" is anchored at the context root, as in Docker
    });

    it("decodes BuildKit progress (protobuf) and classic build lines", function () {
        const varint = (n: number): Buffer => {
            const out: number[] = [];
            while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
            out.push(n);
            return Buffer.from(out);
        };
        const field = (no: number, body: Buffer): Buffer => Buffer.concat([varint((no << 3) | 2), varint(body.length), body]);
        const vertex = Buffer.concat([field(1, Buffer.from("sha256:abc")), field(3, Buffer.from("[2/2] RUN make"))]);
        const log = Buffer.concat([field(1, Buffer.from("sha256:abc")), field(4, Buffer.from("compiling…\n"))]);
        const trace = Buffer.concat([field(1, vertex), field(3, log)]).toString("base64");
        const tail = new TailLog(10);
        const d = new BuildStreamDecoder(tail);
        d.write(`{"id":"moby.buildkit.trace","aux":"${trace}"}\n{"stream":"Step 1/2 : FROM x"}\n{"aux":{"ID":"sha256:fff"}}\n{"error":"boom","errorDetail":{"message":"boom"}}`);
        d.end();
        expect(tail.text().split("\n")).to.deep.equal(["#1 [2/2] RUN make", "compiling…", "Step 1/2 : FROM x", "ERROR: boom"]);
        expect(d.imageId).to.equal("sha256:fff");
        expect(d.error).to.equal("boom");
    });

    it("lets component resources through under Pulumi", async function () {
        const engine = new DockerMockEngine();
        await pulumi.runtime.setMocks(engine, "vnetlab", "engine-helpers", false);
        class Group extends pulumi.ComponentResource {
            constructor(name: string) {
                super("vnetlab:test:Group", name, {}, {});
                this.registerOutputs({});
            }
        }
        const g = new Group("g");
        await engine.output(g.urn);
        await engine.settled();
        const group = engine.find("vnetlab:test:Group", "g");
        expect(group?.custom).to.equal(false);
        const call = await engine.call({ token: "aws:index/getRegion:getRegion", inputs: {} }).then(() => undefined, (e: Error) => e);
        expect(call?.message).to.equal("DockerMockEngine: unsupported call aws:index/getRegion:getRegion");
        expect(await engine.leftovers()).to.deep.equal([]);
    });
});
