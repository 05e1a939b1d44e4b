// A lab across three Docker hosts: the simulated swarm of scripts/sim-swarm.sh
// (three more engines on this machine, each in its own network namespace,
// joined by an underlay bridge: one manager, two workers), and the shipped
// Pulumi.multi-host.yaml spread over it. Through the real Pulumi engine, one
// provider per host: every node where it was placed, segments across hosts as
// overlay networks of the swarm, the full verify (services through tunnels,
// SAs, only ESP on the wire at the router, every must-not-reach probe),
// preview clean after up, and nothing left on any host afterwards, the swarm
// dissolved.
import * as fs from "fs";
import { expect } from "chai";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { stackLab } from "../support/recording-mocks";
import { formatTable, CheckResult } from "../../verify";
import { labEngines } from "../../host/engines";
import { applyFault } from "../../host/faults";
import { verifyLab } from "../../verify";
import { RECOVERY_BOUND_SECONDS, verifyUntilHealed } from "../../verify/until";
import { SIM_SWARM_HOSTS, SIM_SWARM_TLS, simSwarm, simSwarmTlsSecrets } from "../../host/sim-swarm";
import { stackFile } from "../../model/stack-file";
import { deploy, destroy, openLab, verify, DeployedLab } from "./lab";


describe("a lab over three Docker hosts joined by a swarm (simulated on this machine)", function () {
    this.timeout(15 * 60 * 1000);
    let deployed: DeployedLab | undefined;
    let results: CheckResult[] = [];
    let previewed: string[] = [];

    /** The shipped stack, with h3 reached as a remote engine is: over TCP with TLS, its material stack secrets. */
    const overTls = () => {
        const raw = stackLab("multi-host") as { hosts: Record<string, unknown> };
        raw.hosts[SIM_SWARM_TLS.host] = { address: SIM_SWARM_TLS.address, tls: true };
        return raw;
    };
    const engines = () => labEngines(deployed!.plan, deployed!.stack.tls);

    before(async () => {
        simSwarm("up");
        const lab = await openLab("multi-host", overTls(), undefined, simSwarmTlsSecrets());
        const events: EngineEvent[] = [];
        await lab.preview({ onEvent: (e) => events.push(e) });
        previewed = events.flatMap((e) => {
            const m = e.resourcePreEvent?.metadata;
            return m ? [`${m.op} ${m.type} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`] : [];
        });
        deployed = await deploy("multi-host", { lab: overTls(), secrets: simSwarmTlsSecrets() });
        results = await verify(deployed);
    });

    after(async () => {
        try {
            if (deployed) await destroy(deployed).catch(() => undefined);
        } finally {
            simSwarm("down");
        }
    });

    it("is the simulated swarm's own hosts that the shipped stack names", () => {
        expect((stackLab("multi-host") as { hosts: unknown }).hosts).to.deep.equal(SIM_SWARM_HOSTS);
    });

    it("previews one Docker provider per host and a copy of the node image on each", () => {
        const created = (type: string) => previewed.filter((s) => s.startsWith(`create ${type} `)).map((s) => s.split(" ")[2]).sort();
        // And the default provider, on the local engine, that builds the image the copies come from.
        expect(created("pulumi:providers:docker"), previewed.join("\n")).to.deep.equal(["default_5_2_0", "host-h1", "host-h2", "host-h3"]);
        expect(created("pulumi-nodejs:dynamic/vnetlab:NodeImageCopy")).to.deep.equal(["vnetlab-multi-host-node-image-h1", "vnetlab-multi-host-node-image-h2", "vnetlab-multi-host-node-image-h3"]);
    });

    it("runs each node on its host, and only there: sites a and b where placed, the router and site c spread to h1", async () => {
        const plan = deployed!.plan;
        const placed = Object.fromEntries(plan.nodes.map((n) => [n.name, n.host]));
        expect(placed).to.deep.equal({
            "router": "h1", "gateway-c": "h1", "client-c": "h1",
            "gateway-a": "h2", "server-a": "h2",
            "gateway-b": "h3", "client-b": "h3",
        });
        for (const { host, docker } of engines()) {
            const running = (await docker.listContainers({ filters: { label: [`vnetlab.lab=${plan.name}`] } })).map((c) => c.Names[0].slice(1)).sort();
            expect(running, `containers on ${host}`).to.deep.equal(plan.nodes.filter((n) => n.host === host).map((n) => n.containerName).sort());
        }
    });

    it("joins the hosts by overlay networks of the swarm where a segment spans them; the rest stay networks of their host", async () => {
        const plan = deployed!.plan;
        const manager = engines().find((e) => e.host === "h1")!.docker;
        for (const segment of plan.segments) {
            const network = await manager.getNetwork(segment.networkName).inspect().catch(() => undefined) as { Driver: string; Scope: string; Attachable: boolean } | undefined;
            if (segment.key === "isp-a" || segment.key === "isp-b") {
                expect(network, segment.key).to.include({ Driver: "overlay", Scope: "swarm", Attachable: true });
            } else {
                const on = engines().find((e) => e.host === segment.host)!.docker;
                expect(await on.getNetwork(segment.networkName).inspect(), segment.key).to.include({ Driver: "bridge", Scope: "local" });
            }
        }
    });

    it("passes every check: services through the tunnels, every SA, only ESP on the wire at the router, every must-not-reach", () => {
        expect(results.filter((r) => !r.pass), formatTable(results, 160)).to.deep.equal([]);
        const kinds = new Set(results.map((r) => r.kind));
        for (const kind of ["service", "sa", "wire", "probe"] as const) expect([...kinds], formatTable(results, 160)).to.include(kind);
        // Across hosts: client-b (h3) and client-c (h1) reach server-a (h2), each over IPv4 and IPv6.
        expect(results.filter((r) => r.kind === "service" && r.pass)).to.have.length(4);
    });

    it("reaches h3 over TCP with TLS, whose CA, certificate and key stay secrets in the state", async () => {
        const exported = await deployed!.stack.exportState();
        const state = JSON.stringify(exported);
        const provider = exported.deployment.resources?.find((r) => r.urn.endsWith("::host-h3")) as { readonly inputs?: { readonly host?: string } } | undefined;
        expect(provider?.inputs?.host).to.equal(SIM_SWARM_TLS.address);
        for (const part of Object.values(simSwarmTlsSecrets())) {
            const body = part.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
            expect(body.length).to.be.greaterThan(0);
            for (const line of body) expect(state, "TLS material in plain text in the state").to.not.include(line);
        }
    });

    it("previews no changes right after up", async () => {
        await deployed!.stack.preview({ expectNoChanges: true });
    });

    it(`heals on its host: gateway-a (h2) restarted, then its ISP link across hosts cut and back, each within ${RECOVERY_BOUND_SECONDS} s`, async () => {
        const plan = deployed!.plan;
        const docker = deployed!.stack.docker();
        const took: string[] = [];
        const heals = async (what: string, since: number) => {
            const run = await verifyUntilHealed(plan, docker, { since });
            expect(run.healed, `${what}: not healed after ${run.seconds.toFixed(1)} s: ${run.error ?? run.results.filter((r) => !r.pass).map((r) => r.id).join("; ")}`).to.equal(true);
            took.push(`${what} ${run.seconds.toFixed(1)} s`);
        };
        const restarted = Date.now();
        await applyFault(docker, plan, "gateway-a", "restart");
        await heals("restart", restarted);
        await applyFault(docker, plan, "gateway-a", { kind: "disconnect", segment: "isp-a" });
        const during = await verifyLab(plan, { docker, timeoutSeconds: 5 });
        expect(during.filter((r) => !r.pass).length, "checks that fail while the link is cut").to.be.greaterThan(0);
        const connected = Date.now();
        await applyFault(docker, plan, "gateway-a", { kind: "connect", segment: "isp-a" });
        await heals("link cut", connected);
        console.log(`      healed across hosts: ${took.join("; ")}`);
    });

    it("refuses, before there is a stack, a lab with a host whose engine does not answer", async () => {
        const raw = stackLab("multi-host") as { hosts: Record<string, { address: string }> };
        raw.hosts.h3 = { address: "unix:///run/vnetlab-swarm/no-such-host.sock" };
        const error = await openLab("multi-host-down", raw, "vnetlab-mh-down").then(() => undefined, (e: Error) => e);
        expect(error?.message).to.match(/vnetlab:lab\.hosts\.h3 \(unix:\/\/\/run\/vnetlab-swarm\/no-such-host\.sock\): the Docker engine does not answer/);
        expect(fs.existsSync(stackFile("e2e-multi-host-down")), "a stack file").to.equal(false);
        for (const { host, docker } of engines()) {
            expect(await docker.listNetworks({ filters: { label: ["vnetlab.lab=vnetlab-mh-down"] } }), `networks on ${host}`).to.deep.equal([]);
        }
    });

    it("destroys everything on every host, and the swarm is dissolved with its engines", async () => {
        const plan = deployed!.plan;
        expect(await destroy(deployed!)).to.deep.equal([]);
        deployed = undefined;
        simSwarm("down");
        for (const host of plan.hosts!) expect(fs.existsSync(`/run/netns/vnl-${host.name}`), `namespace of ${host.name}`).to.equal(false);
        expect(fs.existsSync("/run/vnetlab-swarm"), "the engines' sockets and pid files").to.equal(false);
        expect(fs.existsSync("/var/lib/vnetlab-swarm"), "the engines' data").to.equal(false);
    });
});
