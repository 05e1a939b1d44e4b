// What a user does to a running lab, on the real Pulumi engine, for two
// stacks: change a tunnel's proposal, add a host, kill an `up` halfway, break
// the config; and the lab commands and the `pulumi` CLI by hand on the same
// stack. Each change touches only what must follow from it, and the lab
// verifies afterwards.
import { expect } from "chai";
import { execFile } from "child_process";
import { promisify } from "util";
import Docker from "dockerode";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { stackLab } from "../support/recording-mocks";
import { renderNodeFiles } from "../../configs";
import { LabStack, writeStackLab } from "../../automation/lab";
import { findToolchain } from "../../automation/toolchain";
import { PROJECT_DIR } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { CheckResult } from "../../verify";
import { destroy, openLab, verify } from "./lab";
import { runLabCli, runVerifyStackCli, startLabCli } from "./cli";

/* eslint-disable @typescript-eslint/no-explicit-any -- tests change the raw YAML shape on purpose */
type Raw = any;

interface Scenario {
    readonly stack: string;
    /** A tunnel's proposal, changed: the tunnel and its two gateways. */
    readonly changeProposal: (raw: Raw) => { readonly gateways: readonly string[] };
    /** A host added to a site: its name. */
    readonly addHost: (raw: Raw) => string;
    /** A broken config and the config path its error must name. */
    readonly breakConfig: (raw: Raw) => string;
}

const SCENARIOS: readonly Scenario[] = [
    {
        stack: "site-to-site",
        changeProposal: (raw) => {
            raw.tunnels["a-s"].esp = "aes128gcm16-ecp256";
            return { gateways: ["gateway-a", "gateway-s"] };
        },
        addHost: (raw) => {
            raw.sites.a.hosts["client-a3"] = { role: "client" };
            return "client-a3";
        },
        breakConfig: (raw) => {
            raw.tunnels["b-s"].between = ["b", "nowhere"];
            return "vnetlab:lab.tunnels.b-s.between";
        },
    },
    {
        stack: "roadwarriors",
        changeProposal: (raw) => {
            raw.roadWarriors.dave.esp = "aes128gcm16-ecp256";
            return { gateways: ["dave", "moon"] };
        },
        addHost: (raw) => {
            // No service is for moon's own LAN: a check of its own, as a user would add.
            raw.sites.moon.hosts.bob = { role: "client" };
            raw.checks.push({ from: "bob", to: "alice", protocol: "tcp", port: 8080, expect: "reach" });
            return "bob";
        },
        breakConfig: (raw) => {
            raw.roadWarriors.carol.site = "sun";
            return "vnetlab:lab.roadWarriors.carol.site";
        },
    },
];

/** The resources a preview or an up touched, as "op name", skipping what stays the same. */
const touched = (events: readonly EngineEvent[]) => [...new Set(events.flatMap((e) => {
    const m = e.resourcePreEvent?.metadata;
    if (!m || m.op === "same" || !m.type.includes("/")) return [];
    return [`${m.op === "create" ? "create" : "replace"} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`];
}))].sort();

/** The nodes whose rendered files differ between two plans: their containers must be replaced. */
const changedNodes = (before: LabPlan, after: LabPlan) => after.nodes
    .filter((n) => before.nodes.some((b) => b.name === n.name))
    .filter((n) => JSON.stringify(renderNodeFiles(n, after)) !== JSON.stringify(renderNodeFiles(before.nodes.find((b) => b.name === n.name)!, before)))
    .map((n) => n.name);

const failures = (results: readonly CheckResult[]) => results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.observed}`);

for (const scenario of SCENARIOS) {
    const { stack } = scenario;
    const name = `life-${stack}`;
    const stackName = `e2e-${name}`;
    const labName = `vnetlab-${stack}`;
    const planOf = (raw: Raw) => planLab(parseLab({ name: labName, ...raw }, stackName), stackName);

    describe(`${stack}: a running lab changed, killed and broken, on the real Pulumi engine`, function () {
        this.timeout(15 * 60 * 1000);
        let lab: LabStack;
        let raw: Raw;

        /** Writes the config, previews and applies it; returns what the preview said it would touch. */
        async function change(next: Raw): Promise<string[]> {
            const events: EngineEvent[] = [];
            lab = await openLab(name, next, labName);
            await lab.preview({ diff: true, onEvent: (e) => events.push(e) });
            const previewed = touched(events);
            const applied: EngineEvent[] = [];
            await lab.up({ onEvent: (e) => applied.push(e) });
            expect(touched(applied), "up did what preview said").to.deep.equal(previewed);
            raw = next;
            return previewed;
        }

        before(async () => {
            raw = stackLab(stack);
            lab = await openLab(name, raw, labName);
            await lab.up();
        });

        after(async () => {
            if (!lab) return;
            writeStackLab(stackName, { name: labName, ...raw });
            expect(await destroy(await openLab(name, raw, labName))).to.deep.equal([]);
        });

        it("`npm run lab -- up` on the unchanged lab says no changes and exits 0; `npm run verify -- --stack` passes", async () => {
            const run = await runLabCli(["up", stackName]);
            expect(run.exitCode, run.stderr).to.equal(0);
            expect(run.stdout).to.match(/^no changes: lab \S+ is up to date and ready/m);
            const verified = await runVerifyStackCli(stackName);
            expect(verified.exitCode, verified.stdout + verified.stderr).to.equal(0);
            expect(verified.stdout.trimEnd().split("\n").at(-1)).to.match(/^\d+ passed, 0 failed$/);
        });

        it("`pulumi preview --stack` in the project directory, the CLI by hand, sees no changes either", async () => {
            const toolchain = findToolchain();
            const { stdout } = await promisify(execFile)(`${toolchain.root}/bin/pulumi`, ["preview", "--expect-no-changes", "--non-interactive", "--stack", stackName], {
                cwd: PROJECT_DIR, env: { ...process.env, ...toolchain.env }, maxBuffer: 64 * 1024 * 1024,
            });
            expect(stdout).to.match(/\d+ unchanged/);
        });

        it("(a) a tunnel's proposal changed: preview --diff replaces only that tunnel's gateways, then up and verify pass", async () => {
            const next = structuredClone(raw);
            const { gateways } = scenario.changeProposal(next);
            expect(await change(next)).to.deep.equal(gateways.map((g) => `replace ${g}`).sort());
            expect(failures(await verify({ stack: lab, plan: planOf(next) }))).to.deep.equal([]);
        });

        it("(b) a host added to a site: it is created, only the nodes whose config follows are replaced, then verify passes", async () => {
            const next = structuredClone(raw);
            const host = scenario.addHost(next);
            const followers = changedNodes(planOf(raw), planOf(next));
            const previewed = await change(next);
            expect(previewed).to.deep.equal([`create ${host}`, ...followers.map((n) => `replace ${n}`)].sort());
            const results = await verify({ stack: lab, plan: planOf(next) });
            expect(results.some((r) => r.nodes.includes(host)), "the new host is checked").to.equal(true);
            expect(failures(results)).to.deep.equal([]);
        });

        it("(c) `npm run lab -- up` killed midway, then run again: it recovers and every check passes", async () => {
            await lab.destroy();
            const killed = await startLabCli(["up", stackName]).killWhen(/container \S+ created/);
            expect(killed.stdout + killed.stderr).to.match(/container \S+ created/);
            const again = await runLabCli(["up", stackName]);
            expect(again.exitCode, again.stderr).to.equal(0);
            expect(again.stderr).to.match(/an earlier run of \S+ was interrupted \(pid \d+ is gone\): removed its lock/);
            expect(failures(await verify({ stack: lab, plan: planOf(raw) }))).to.deep.equal([]);
        });

        it("(d) a config error: exit 1 naming the config path, before anything is registered, from npm run lab and from pulumi", async () => {
            const broken = structuredClone(raw);
            const path = scenario.breakConfig(broken);
            writeStackLab(stackName, { name: labName, ...broken });
            try {
                const run = await runLabCli(["preview", stackName]);
                expect(run.exitCode).to.equal(1);
                expect(run.stderr).to.match(new RegExp(`^vnetlab lab: invalid lab config \\(\\d+ problems?\\):\\n  ${path.replace(/\./g, "\\.")}`, "m"));

                // The program refuses it too, before it registers a resource.
                const toolchain = findToolchain();
                const failed = await promisify(execFile)(`${toolchain.root}/bin/pulumi`, ["preview", "--non-interactive", "--stack", stackName], {
                    cwd: PROJECT_DIR, env: { ...process.env, ...toolchain.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" }, maxBuffer: 64 * 1024 * 1024,
                }).then(() => undefined, (e: { code?: number; stdout?: string }) => e);
                expect(failed?.code, "pulumi preview fails").to.not.equal(0);
                expect(failed?.stdout).to.include(path);
                expect(failed?.stdout).to.not.match(/^\s+[+~-]{1,2}\+?\s+(docker|pulumi-nodejs):/m);
            } finally {
                writeStackLab(stackName, { name: labName, ...raw });
            }
            // Nothing of the running lab changed.
            await lab.preview({ expectNoChanges: true });
            expect(await new Docker().listContainers({ filters: { label: [`vnetlab.lab=${labName}`] } })).to.have.length(planOf(raw).nodes.length);
        });
    });
}
