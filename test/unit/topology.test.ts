// Topologies beyond the seed's shape, from plan to rendered configs to the
// checks verify derives: a shared segment without a router (net2net) and
// tunnels whose inner families differ from the outer one (dual-stack).
import { expect } from "chai";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { loadStackLab as stackLab } from "../../model/stack-file";
import { renderFirewall, renderNodeConf, renderSwanctlConf } from "../../configs";
import { deriveChecks } from "../../verify/derive";

const planOf = (stack: string): LabPlan => planLab(parseLab(stackLab(stack), stack), stack);
const node = (plan: LabPlan, name: string) => plan.nodes.find((n) => n.name === name)!;

describe("topology: net2net, two gateways on one shared segment and no router", () => {
    const plan = planOf("net2net");

    it("has no router: moon and sun are on segment internet with the addresses the user chose", () => {
        expect(plan.nodes.map((n) => `${n.name}:${n.role}`)).to.deep.equal(["moon:gateway", "alice:client", "sun:gateway", "bob:server"]);
        const internet = plan.segments.find((s) => s.key === "internet")!;
        expect(internet).to.include({ kind: "shared", networkName: "vnetlab-net2net-internet" });
        expect(internet).to.not.have.property("site");
        expect(internet.subnets).to.deep.equal({ ipv4: "192.168.0.0/24" });
        // Docker's reserved gateway goes to the top, so .1 and .2 stay the lab's.
        expect(internet.docker.ipv4).to.deep.equal({ subnet: "192.168.0.0/24", gateway: "192.168.0.254" });
        for (const [gw, address] of [["moon", "192.168.0.1"], ["sun", "192.168.0.2"]]) {
            const isp = node(plan, gw).interfaces.find((i) => i.name === "isp")!;
            expect(isp.segment).to.equal("internet");
            expect(isp.addresses.ipv4).to.deep.equal({ address, prefixLength: 24 });
            expect(node(plan, gw).interfaces.find((i) => i.name === "lan")!.addresses.ipv4!.address).to.match(/^10\.[12]\.0\.1$/);
        }
        expect(node(plan, "alice").interfaces[0].addresses.ipv4!.address).to.equal("10.1.0.10");
    });

    it("gives the gateways no default route: their peer is on the link", () => {
        expect(node(plan, "moon").routes).to.deep.equal([]);
        expect(node(plan, "alice").routes).to.deep.equal([{ family: "ipv4", destination: "default", via: "10.1.0.1", interface: "lan" }]);
    });

    it("sends alice to bob's own address (via: direct), with no service address and no DNAT", () => {
        expect(plan.services[0].consumers).to.deep.equal([
            { site: "moon", tunnel: "net-net", family: "ipv4", address: "10.2.0.10", port: 8080, instance: "web" },
        ]);
        expect(node(plan, "moon").interfaces.find((i) => i.name === "lan")!.extraAddresses).to.deep.equal([]);
        expect(node(plan, "moon").gateway!.dnat).to.deep.equal([]);
        expect(renderFirewall(node(plan, "moon"), "ipv4")).to.include("-A POSTROUTING -s 10.1.0.0/16 -d 10.2.0.0/16 -o isp");
    });

    it("renders the tunnel between the gateways' segment addresses", () => {
        const conf = renderSwanctlConf(node(plan, "moon"), plan);
        expect(conf).to.include("local_addrs = 192.168.0.1").and.include("remote_addrs = 192.168.0.2");
        expect(conf).to.include("local_ts = 10.1.0.0/16").and.include("remote_ts = 10.2.0.0/16");
    });

    it("watches the wire on sun's outside, and probes no router that is not there", () => {
        const checks = deriveChecks(plan);
        const wire = checks.filter((c) => c.kind === "wire");
        expect(wire.map((c) => c.kind === "wire" && c.capture)).to.deep.equal([{ node: "sun", interface: "isp" }]);
        expect(checks.filter((c) => c.kind === "probe").map((c) => c.id)).to.deep.equal(["isolation: alice -> sun 192.168.0.2 tcp"]);
        expect(checks.some((c) => c.id.includes("router"))).to.equal(false);
    });

    it("keeps the router where a shared segment names one, as the gateways' default route", () => {
        const raw = stackLab("net2net") as { segments: { internet: { router?: { ipv4: string } } } };
        raw.segments.internet.router = { ipv4: "192.168.0.254" };
        const withRouter = planLab(parseLab(raw, "net2net"), "net2net");
        const router = node(withRouter, "router");
        expect(router.interfaces.map((i) => [i.name, i.segment, i.addresses.ipv4?.address])).to.deep.equal([["internet", "internet", "192.168.0.254"]]);
        expect(node(withRouter, "sun").routes).to.deep.equal([{ family: "ipv4", destination: "default", via: "192.168.0.254", interface: "isp" }]);
        // Docker's gateway moves below the router's address.
        expect(withRouter.segments.find((s) => s.key === "internet")!.docker.ipv4.gateway).to.equal("192.168.0.253");
        // On one segment the gateways still talk on the link: the wire is watched at sun.
        expect(deriveChecks(withRouter).filter((c) => c.kind === "wire").map((c) => c.kind === "wire" && c.capture.node)).to.deep.equal(["sun"]);
    });
});

describe("topology: host2host, hosts that are their own IKE peers", () => {
    const plan = planOf("host2host");

    it("has two nodes, each with only its outside, protecting just the two addresses", () => {
        expect(plan.nodes.map((n) => [n.name, n.role, n.interfaces.map((i) => i.name)])).to.deep.equal([["moon", "gateway", ["isp"]], ["sun", "gateway", ["isp"]]]);
        expect(plan.segments.map((s) => s.key)).to.deep.equal(["internet"]);
        expect(plan.tunnels[0].ends.map((e) => e.trafficSelectors)).to.deep.equal([["192.168.0.1/32"], ["192.168.0.2/32"]]);
    });

    it("lets sun serve itself at its own address, the one its selector covers", () => {
        expect(plan.nodes.find((n) => n.name === "sun")!.instances).to.deep.equal([{ service: "web", port: 8080, label: "web" }]);
        expect(plan.services[0].consumers).to.deep.equal([{ site: "moon", tunnel: "host-host", family: "ipv4", address: "192.168.0.2", port: 8080, instance: "web" }]);
        const service = deriveChecks(plan).find((c) => c.kind === "service");
        expect(service).to.include({ from: "moon", address: "192.168.0.2", target: "sun" });
    });

    it("filters the lone host's outside to IKE and ESP with its peer and forwards nothing", () => {
        const rules = renderFirewall(node(plan, "moon"), "ipv4")!;
        expect(rules).to.include("-A INPUT -i isp -s 192.168.0.2/32 -p udp -m multiport --dports 500,4500 -j ACCEPT");
        expect(rules).to.include(":FORWARD DROP [0:0]");
        expect(rules).to.not.match(/-A FORWARD/);
        expect(rules).to.not.include("undefined");
    });

    it("relaxes reverse-path filtering only where a tunnel routes an on-link peer", () => {
        expect(node(plan, "moon").gateway!.looseReversePath).to.match(/host-to-host host-host to a peer on internet/);
        for (const stack of ["host-to-host", "net2net"]) {
            expect(planOf(stack).nodes.every((n) => n.gateway?.looseReversePath === undefined), stack).to.equal(true);
        }
    });
});

describe("topology: dual-stack, inner families apart from the outer one", () => {
    const plan = planOf("dual-stack");
    const tunnel = (name: string) => plan.tunnels.find((t) => t.name === name)!;

    it("carries both LAN families of b and a in one tunnel over IPv4", () => {
        const t = tunnel("b-a");
        expect(t).to.include({ ipVersion: 4 });
        expect(t.inner).to.deep.equal([4, 6]);
        expect(t.ends.map((e) => [e.address, e.trafficSelectors])).to.deep.equal([
            ["172.31.52.2", ["10.50.2.0/24", "fd00:50:2::/64"]],
            ["172.31.51.2", ["10.50.1.0/24", "fd00:50:1::/64"]],
        ]);
        const conf = renderSwanctlConf(node(plan, "gateway-b"), plan);
        expect(conf).to.include("local_ts = 10.50.2.0/24,fd00:50:2::/64").and.include("remote_ts = 10.50.1.0/24,fd00:50:1::/64");
        expect(conf).to.include("remote_addrs = 172.31.51.2");
    });

    it("gives c and a two tunnels, one per outer family, each carrying the other family inside", () => {
        expect(tunnel("c-a")).to.include({ ipVersion: 4 });
        expect(tunnel("c-a").ends.map((e) => [e.address, e.trafficSelectors])).to.deep.equal([
            ["172.31.53.2", ["fd00:50:3::/64"]],
            ["172.31.51.2", ["fd00:50:1::/64"]],
        ]);
        expect(tunnel("c-a6")).to.include({ ipVersion: 6 });
        expect(tunnel("c-a6").ends.map((e) => [e.address, e.trafficSelectors])).to.deep.equal([
            ["fd00:31:53::2", ["10.50.3.0/24"]],
            ["fd00:31:51::2", ["10.50.1.0/24"]],
        ]);
        // Two IKE connections on gateway-c, one per outer address, and firewall peers of both families.
        const conf = renderSwanctlConf(node(plan, "gateway-c"), plan);
        expect(conf).to.include("remote_addrs = 172.31.51.2").and.include("remote_addrs = fd00:31:51::2");
        expect(node(plan, "gateway-c").gateway!.peers).to.deep.equal([{ family: "ipv4", address: "172.31.51.2" }, { family: "ipv6", address: "fd00:31:51::2" }]);
        expect(renderNodeConf(node(plan, "gateway-c"), plan).split("\n")).to.include("ipsec-ipv6");
    });

    it("gives b's TUN device IPv6 although b's outside has none", () => {
        expect(renderNodeConf(node(plan, "gateway-b"), plan).split("\n")).to.include("ipsec-ipv6");
        expect(node(plan, "gateway-b").interfaces.find((i) => i.name === "isp")!.addresses).to.not.have.property("ipv6");
    });

    it("masquerades each family except towards the selectors of that family", () => {
        const rules = node(plan, "gateway-a").gateway!.masquerade;
        expect(rules.map((r) => [r.family, r.except])).to.deep.equal([
            ["ipv4", ["10.50.2.0/24", "10.50.3.0/24"]],
            ["ipv6", ["fd00:50:2::/64", "fd00:50:3::/64"]],
        ]);
        // b's outside is IPv4 only, so its IPv6 LAN has no masquerade to except from.
        expect(node(plan, "gateway-b").gateway!.masquerade.map((r) => [r.family, r.except])).to.deep.equal([["ipv4", ["10.50.1.0/24"]]]);
    });

    it("serves every family each tunnel carries, and proves each on the wire", () => {
        expect(plan.services[0].consumers.map((c) => `${c.site} ${c.tunnel} ${c.address}`)).to.deep.equal([
            "b b-a 10.50.1.2", "b b-a fd00:50:1::2", "c c-a fd00:50:1::2", "c c-a6 10.50.1.2",
        ]);
        expect(deriveChecks(plan).filter((c) => c.kind === "wire").map((c) => c.id)).to.deep.equal([
            "tunnel b-a: only ESP on the wire (IPv4 inside)",
            "tunnel b-a: only ESP on the wire (IPv6 inside)",
            "tunnel c-a: only ESP on the wire (IPv6 inside)",
            "tunnel c-a6: only ESP on the wire (IPv4 inside)",
        ]);
    });
});

describe("topology: road warriors with virtual IPs", () => {
    const plan = planOf("roadwarriors");

    it("plans a road-warrior tunnel per road warrior, named after it, asking for virtual IPs out of moon's pools", () => {
        expect(plan.tunnels.map((t) => [t.name, t.type, t.auth, t.inner])).to.deep.equal([
            ["carol", "road-warrior", "pubkey", [4, 6]], ["dave", "road-warrior", "psk", [4]],
        ]);
        const [rw, gw] = plan.tunnels[0].ends;
        expect(rw).to.deep.equal({ gateway: "carol", address: "192.168.0.100", trafficSelectors: ["10.3.0.0/28", "fd00:3::/124"], virtualIp: true });
        expect(gw).to.deep.include({ site: "moon", gateway: "moon", trafficSelectors: ["10.1.0.0/16", "fd00:1::/64"] });
        expect(node(plan, "carol").interfaces.map((i) => i.name)).to.deep.equal(["isp"]);
        expect(plan.pki!.certificates.map((c) => c.gateway)).to.deep.equal(["carol", "moon"]);
    });

    it("renders vips on the road warrior, pools on the gateway, and no fixed selector for a virtual IP", () => {
        const carol = renderSwanctlConf(node(plan, "carol"), plan);
        expect(carol).to.include("vips = 0.0.0.0,::").and.include("remote_ts = 10.1.0.0/16,fd00:1::/64").and.include("start_action = none");
        expect(carol).to.not.include("local_ts");
        const moon = renderSwanctlConf(node(plan, "moon"), plan);
        expect(moon).to.include("pools = vip-ipv4,vip-ipv6").and.include("pools = vip-ipv4\n");
        expect(moon).to.match(/vip-ipv4 \{\n\s+addrs = 10\.3\.0\.0\/28/).and.match(/vip-ipv6 \{\n\s+addrs = fd00:3::\/124/);
        expect(renderNodeConf(node(plan, "carol"), plan).split("\n")).to.include("dial carol");
        expect(renderNodeConf(node(plan, "moon"), plan)).to.not.include("dial ");
    });

    it("asks the server to see each request come from the road warrior's virtual IP", () => {
        const services = deriveChecks(plan).filter((c) => c.kind === "service");
        expect(services.map((c) => c.kind === "service" && [c.id, c.virtualIpPool])).to.deep.equal([
            ["service web: carol -> 10.1.0.10:8080", "10.3.0.0/28"],
            ["service web: carol -> fd00:1::10:8080", "fd00:3::/124"],
            ["service web: dave -> 10.1.0.10:8080", "10.3.0.0/28"],
        ]);
    });
});

describe("topology: NAT traversal", () => {
    const plan = planOf("nat");

    it("puts moon between the home LAN and the internet, masquerading to ports of its own", () => {
        const moon = node(plan, "moon");
        expect(moon.role).to.equal("nat");
        expect(moon.interfaces.map((i) => [i.name, i.segment, i.addresses.ipv4?.address])).to.deep.equal([
            ["inside", "home", "10.1.0.1"], ["outside", "internet", "192.168.0.1"],
        ]);
        expect(moon.natRouter!.outside).to.equal("outside");
        expect(renderFirewall(moon, "ipv4")).to.include("-A POSTROUTING -s 10.1.0.0/16 -o outside -j MASQUERADE --random-fully");
        for (const behind of ["venus", "alice"]) {
            expect(node(plan, behind).routes).to.deep.equal([{ family: "ipv4", destination: "default", via: "10.1.0.1", interface: "isp" }]);
        }
    });

    it("has sun meet the hidden ends at moon's outside address, which only they initiate to", () => {
        for (const t of plan.tunnels) expect(t.ends[0].nat, t.name).to.deep.equal({ router: "moon", address: "192.168.0.1" });
        const sun = renderSwanctlConf(node(plan, "sun"), plan);
        expect(sun.match(/remote_addrs = 192\.168\.0\.1/g)).to.have.length(2);
        expect(sun).to.not.include("remote_addrs = 10.1.0.");
        expect(node(plan, "sun").gateway!.peers).to.deep.equal([{ family: "ipv4", address: "192.168.0.1" }, { family: "ipv4", address: "192.168.0.1" }]);
    });

    it("proves each crossing from both SAs, and watches the wire where moon's outside meets sun", () => {
        const checks = deriveChecks(plan);
        expect(checks.filter((c) => c.kind === "nat")).to.deep.equal([
            { kind: "nat", id: "tunnel venus-sun: crosses NAT router moon", tunnel: "venus-sun", from: "venus", responder: "sun", router: "moon", natAddress: "192.168.0.1" },
            { kind: "nat", id: "tunnel alice: crosses NAT router moon", tunnel: "alice", from: "alice", responder: "sun", router: "moon", natAddress: "192.168.0.1" },
        ]);
        for (const wire of checks.filter((c) => c.kind === "wire")) {
            expect(wire.kind === "wire" && [wire.between, wire.capture]).to.deep.equal([["192.168.0.1", "192.168.0.2"], { node: "sun", interface: "isp" }]);
        }
    });
});
