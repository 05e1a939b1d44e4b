// What the program asks the real Docker provider for beyond the containers and
// networks (stacks.test.ts): the node image, and the veth parents of macvlan
// segments on a host whose Docker cannot make its own.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { NODE_IMAGE_CONTEXT, contextDigest, deployLab, vethNames } from "../../components";
import { PROJECT_DIR } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { RecordingMocks, TEST_SEED, promiseOf, stackLab } from "../support/recording-mocks";

/* eslint-disable @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON */
type Json = any;

const VETH_PARENTS = "pulumi-nodejs:dynamic/vnetlab:VethParents";

async function run(stack: string, vethParents: boolean, lab: unknown = stackLab(stack)): Promise<RecordingMocks> {
    const mocks = new RecordingMocks();
    pulumi.runtime.setMocks(mocks, "vnetlab", stack, false);
    await promiseOf(deployLab({ lab, stack, seed: pulumi.secret(TEST_SEED), vethParents }).manifest);
    return mocks;
}

describe("the node image", function () {
    this.timeout(30000);
    let mocks: RecordingMocks;
    before(async () => { mocks = await run("site-to-site", false); });

    it("is one RemoteImage built by the provider from image/, kept on destroy, with host networking for apt", () => {
        const images = mocks.ofType("docker:index/remoteImage:RemoteImage");
        expect(images).to.have.length(1);
        const inputs: Json = images[0]!.inputs;
        expect(inputs.name).to.equal("vnetlab-node:latest");
        expect(inputs.keepLocally).to.equal(true);
        // Relative: the state must not depend on where the project is checked out.
        expect(inputs.build).to.deep.include({ context: NODE_IMAGE_CONTEXT, networkMode: "host" });
        expect(inputs.triggers).to.deep.equal({ context: contextDigest(path.join(PROJECT_DIR, NODE_IMAGE_CONTEXT)) });
    });

    it("is what every container runs, by its full image id", () => {
        const ids = new Set(mocks.containers().map((c) => (c.inputs as Json).image));
        expect([...ids]).to.have.length(1);
        expect([...ids][0]).to.match(/^sha256:[0-9a-f]{64}$/);
    });

    it("changes its trigger, so the image and every container are replaced, when any file of the context changes", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-context-"));
        try {
            fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM debian:trixie-slim\n");
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "start"), "#!/bin/sh\n", { mode: 0o755 });
            const before = contextDigest(dir);
            expect(contextDigest(dir), "the same files, the same digest").to.equal(before);
            fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM debian:trixie-slim\nRUN true\n");
            const edited = contextDigest(dir);
            expect(edited).to.not.equal(before);
            fs.chmodSync(path.join(dir, "bin", "start"), 0o644);
            expect(contextDigest(dir), "a mode counts too").to.not.equal(edited);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("veth parents of macvlan segments", function () {
    this.timeout(30000);
    const plan = planLab(parseLab(stackLab("site-to-site"), "site-to-site"), "site-to-site");

    it("gives every segment a veth pair of its own where Docker cannot make a parent, named after its network, all in one resource", async () => {
        const mocks = await run("site-to-site", true);
        const resources = mocks.ofType(VETH_PARENTS);
        expect(resources.map((r) => r.name)).to.deep.equal([`${plan.name}-veth-parents`]);
        const pairs: Json[] = (resources[0]!.inputs as Json).pairs;
        const networks = new Map(mocks.networks().map((n) => [n.name, n.inputs as Json]));
        expect(pairs).to.deep.equal(plan.segments.map((s) => s.networkName).sort().map(vethNames));
        for (const segment of plan.segments) {
            const veth = vethNames(segment.networkName);
            expect(veth.name.length).to.be.at.most(15);
            expect(networks.get(segment.key)!.options).to.deep.equal({ parent: veth.name });
        }
    });

    it("leaves it to Docker where Docker can, and uses a configured parent as it is", async () => {
        expect((await run("site-to-site", false)).ofType(VETH_PARENTS)).to.deep.equal([]);
        const lab = stackLab("site-to-site") as Json;
        lab.network = { parents: { "lan-a": "my-veth0" } };
        const mocks = await run("site-to-site", true, lab);
        const pairs: Json[] = (mocks.ofType(VETH_PARENTS)[0]!.inputs as Json).pairs;
        const lanA = plan.segments.find((s) => s.key === "lan-a")!;
        expect(pairs).to.not.deep.include(vethNames(lanA.networkName));
        expect(pairs).to.have.length(plan.segments.length - 1);
        expect((mocks.networks().find((n) => n.name === "lan-a")!.inputs as Json).options).to.deep.equal({ parent: "my-veth0" });
    });
});
