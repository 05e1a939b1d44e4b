// A lab over several Docker hosts, without Docker: placement, the errors a
// user gets, what the plan makes of segments across hosts, and what the
// program registers for each host.
import { expect } from "chai";
import { LabConfigError } from "../../model/errors";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { dockerMac, placeLab } from "../../plan/hosts";
import { connectionOf } from "../../host/engines";
import { renderNodeConf } from "../../configs/node-conf";
import type { LabPlan } from "../../plan/types";
import { RecordingMocks, runLab, stackLab } from "../support/recording-mocks";
import type { Raw } from "../support/broken-labs";

const multiHost = (): Raw => stackLab("multi-host");
const planOf = (raw: Raw, stack = "multi-host"): LabPlan => planLab(parseLab(raw, stack), stack);

/** The config error's lines, "path: message", or [] when the lab plans. */
function errors(raw: Raw): string[] {
    try {
        planOf(raw);
        return [];
    } catch (e) {
        if (!(e instanceof LabConfigError)) throw e;
        return e.message.split("\n").slice(1).map((l) => l.trim());
    }
}

describe("a lab over several Docker hosts", () => {
    describe("placement", () => {
        it("puts what the config places where it says, and spreads the rest evenly, router first, then sites by name", () => {
            const placement = placeLab(parseLab(multiHost(), "multi-host"))!;
            expect(Object.fromEntries(placement.hostOf)).to.deep.equal({
                "router": "h1", "gateway-a": "h2", "server-a": "h2", "gateway-b": "h3", "client-b": "h3", "gateway-c": "h1", "client-c": "h1",
            });
        });

        it("spreads a lab with no placement one unit per host in turn", () => {
            const raw = multiHost();
            for (const site of Object.values(raw.sites) as Raw[]) delete site.host;
            const hostOf = placeLab(parseLab(raw, "multi-host"))!.hostOf;
            expect([hostOf.get("router"), hostOf.get("gateway-a"), hostOf.get("gateway-b"), hostOf.get("gateway-c")]).to.deep.equal(["h1", "h2", "h3", "h1"]);
        });

        it("leaves a lab that names no hosts as it was: no host anywhere in its plan", () => {
            const plan = planOf(stackLab("dual-stack"), "dual-stack");
            expect(plan.hosts).to.equal(undefined);
            expect(plan.nodes.filter((n) => n.host !== undefined)).to.deep.equal([]);
            expect(plan.segments.filter((s) => s.host !== undefined || s.driver === "overlay")).to.deep.equal([]);
        });
    });

    describe("the plan of segments across hosts", () => {
        const plan = planOf(multiHost());
        const segment = (key: string) => plan.segments.find((s) => s.key === key)!;
        const iface = (node: string, name: string) => plan.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === name)!;

        it("makes a segment whose members run on two hosts an overlay network of the manager, and leaves the others on their host", () => {
            expect(plan.segments.map((s) => `${s.key} ${s.driver} ${s.host}`)).to.deep.equal([
                "lan-a bridge h2", "isp-a overlay h1", "lan-b bridge h3", "isp-b overlay h1", "lan-c bridge h1", "isp-c bridge h1",
            ]);
        });

        it("keeps the swarm's own per-host addresses in a range of the overlay that holds no lab address", () => {
            expect(segment("isp-a").docker.ipv4).to.deep.equal({ subnet: "172.31.51.0/24", gateway: "172.31.51.254", ipRange: "172.31.51.248/29" });
            expect(segment("isp-c").docker.ipv4.ipRange).to.equal(undefined);
        });

        it("asks Docker for no IPv6 on an overlay (the node brings its own) and gives each member the others' lab addresses with their MACs", () => {
            expect(segment("isp-a").docker.ipv6).to.equal(undefined);
            expect(iface("router", "isp-a").docker).to.deep.equal({ ipv4: "172.31.51.1" });
            expect(iface("router", "isp-a").neighbors).to.deep.equal([
                { address: "172.31.51.2", mac: "02:42:ac:1f:33:02" },
                { address: "fd00:31:51::2", mac: "02:42:ac:1f:33:02" },
            ]);
            expect(iface("gateway-c", "isp").neighbors).to.equal(undefined);
            expect(renderNodeConf(plan.nodes.find((n) => n.name === "gateway-a")!, plan)).to.include("\nneighbor isp fd00:31:51::1 02:42:ac:1f:33:01\n");
        });

        it("derives a MAC as Docker 20.10 does: 02:42 and the IPv4 address", () => {
            expect(dockerMac("10.0.255.1")).to.equal("02:42:0a:00:ff:01");
        });
    });

    describe("config errors, with the path to fix", () => {
        const cases: { readonly rule: string; readonly change: (raw: Raw) => void; readonly lines: readonly string[] }[] = [
            {
                rule: "a placement on an unknown host",
                change: (r) => { r.sites.a.host = "h9"; },
                lines: ['vnetlab:lab.sites.a.host: names host "h9", which is not one of the lab\'s (hosts: h1, h2, h3)'],
            },
            {
                rule: "a placement in a lab without hosts",
                change: (r) => { delete r.hosts; r.sites.a.host = "h2"; delete r.sites.b.host; },
                lines: ['vnetlab:lab.sites.a.host: names host "h2", which is not one of the lab\'s (the lab names no hosts; add them under hosts)'],
            },
            {
                rule: "two managers",
                change: (r) => { r.hosts.h2.manager = true; },
                lines: ["vnetlab:lab.hosts: h1 and h2 are both marked manager: one host makes the lab's overlay networks"],
            },
            {
                rule: "no manager for a segment across hosts",
                change: (r) => { r.hosts.h1.manager = false; },
                lines: ["vnetlab:lab.hosts: segment isp-a spans hosts h1, h2: it becomes an overlay network of their swarm, which only a swarm manager makes: mark one host manager: true"],
            },
            {
                rule: "TLS on a unix socket",
                change: (r) => { r.hosts.h2.tls = true; },
                lines: ["vnetlab:lab.hosts.h2.tls: TLS is for a tcp:// address; unix:// and ssh:// need none"],
            },
            {
                rule: "a malformed address",
                change: (r) => { r.hosts.h2.address = "docker-h2:2375"; },
                lines: ["vnetlab:lab.hosts.h2.address: is not a Docker address: unix:///path/to.sock, tcp://host:port or ssh://user@host[:port]"],
            },
            {
                rule: "two hosts that would both be the local engine",
                change: (r) => { delete r.hosts.h2.address; delete r.hosts.h3.address; },
                lines: ["vnetlab:lab.hosts.h3.address: is left out, as h2's is: both would be the local engine"],
            },
            {
                rule: "a macvlan parent on a segment across hosts",
                change: (r) => { r.network.parents = { "isp-a": "veth-lab0" }; },
                lines: ["vnetlab:lab.network.parents.isp-a: segment isp-a spans hosts h1, h2: it becomes an overlay network of their swarm, which has no parent link: drop the parent or place its members on one host"],
            },
            {
                rule: "an overlay subnet with no room for the swarm's own addresses",
                change: (r) => { r.sites.a.gateway.isp.subnet.ipv4 = "172.31.51.0/29"; },
                lines: ["vnetlab:lab.sites.a.gateway.isp.subnet.ipv4: isp-a spans hosts, as an overlay network, and 172.31.51.0/29 leaves no 8 addresses free for the swarm's own (one per host): give it a larger subnet"],
            },
        ];
        for (const c of cases) {
            it(c.rule, () => {
                const raw = multiHost();
                c.change(raw);
                expect(errors(raw)).to.deep.equal(c.lines);
            });
        }
    });

    describe("Docker addresses as dockerode takes them", () => {
        it("reads unix://, tcp:// (with and without TLS) and ssh://, and none is the local engine", () => {
            expect(connectionOf("unix:///run/vnetlab-swarm/h1.sock")).to.deep.equal({ socketPath: "/run/vnetlab-swarm/h1.sock" });
            expect(connectionOf("tcp://10.0.0.5:2376", true)).to.deep.equal({ host: "10.0.0.5", port: 2376, protocol: "https" });
            expect(connectionOf("tcp://lab-h2:2375")).to.deep.equal({ host: "lab-h2", port: 2375, protocol: "http" });
            expect(connectionOf("ssh://ops@lab-h3")).to.deep.equal({ host: "lab-h3", port: 22, protocol: "ssh", username: "ops" });
            expect(connectionOf(undefined)).to.deep.equal({});
        });
    });

    describe("what the program registers", function () {
        this.timeout(60_000);
        let mocks: RecordingMocks;
        before(async () => {
            mocks = await runLab(multiHost(), "multi-host");
        });
        const providerOf = (type: string, name: string) => mocks.ofType(type).find((r) => r.name === name)!.provider ?? "";

        it("one Docker provider per host, at its address, and a copy of the node image on each", () => {
            expect(mocks.ofType("pulumi:providers:docker").map((p) => [p.name, p.inputs.host])).to.deep.equal([
                ["host-h1", "unix:///run/vnetlab-swarm/h1.sock"], ["host-h2", "unix:///run/vnetlab-swarm/h2.sock"], ["host-h3", "unix:///run/vnetlab-swarm/h3.sock"],
            ]);
            const copies = mocks.ofType("pulumi-nodejs:dynamic/vnetlab:NodeImageCopy");
            expect(copies.map((c) => (c.inputs.target as { socketPath: string }).socketPath)).to.deep.equal([1, 2, 3].map((i) => `/run/vnetlab-swarm/h${i}.sock`));
            // The image is built where it always was, by the default provider on the local engine.
            expect(mocks.ofType("docker:index/remoteImage:RemoteImage")[0].provider ?? "").to.not.match(/host-h/);
        });

        it("each container through its host's provider, each network through its host's, an overlay through the manager's", () => {
            for (const [node, host] of [["router", "h1"], ["gateway-a", "h2"], ["server-a", "h2"], ["gateway-b", "h3"], ["client-c", "h1"]]) {
                expect(providerOf("docker:index/container:Container", node), node).to.match(new RegExp(`::host-${host}::`));
            }
            expect(providerOf("docker:index/network:Network", "lan-a")).to.match(/::host-h2::/);
            expect(providerOf("docker:index/network:Network", "isp-a")).to.match(/::host-h1::/);
            const ispA = mocks.networks().find((n) => n.name === "isp-a")!.inputs;
            expect(ispA).to.include({ driver: "overlay", attachable: true, internal: true, ipv6: false });
        });

        it("registers a one-host lab as before: no explicit provider, no image copy", async () => {
            const one = await runLab(stackLab("dual-stack"), "dual-stack");
            expect(one.ofType("pulumi:providers:docker")).to.deep.equal([]);
            expect(one.resources.filter((r) => r.provider !== undefined && /host-/.test(r.provider))).to.deep.equal([]);
        });
    });
});
