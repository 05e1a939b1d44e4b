import { expect } from "chai";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { Subnet } from "../../plan/ip";
import type { LabPlan } from "../../plan/types";
import { loadStackLab as stackLab } from "../../model/stack-file";

const planOf = (stack: string, lab: unknown = stackLab(stack)): LabPlan => planLab(parseLab(lab, stack), stack);
const node = (plan: LabPlan, name: string) => plan.nodes.find((n) => n.name === name)!;

describe("plan", () => {
    describe("host-to-host: three sites on the same 10.1.0.0/16", () => {
        const plan = planOf("host-to-host");

        it("keeps the seed's lab addresses, .1 included", () => {
            for (const gw of ["gateway-a", "gateway-b", "gateway-s"]) {
                expect(node(plan, gw).interfaces.find((i) => i.name === "lan")!.addresses.ipv4).to.deep.equal({ address: "10.1.0.1", prefixLength: 16 });
            }
            expect(node(plan, "server-s1").interfaces[0].addresses.ipv4!.address).to.equal("10.1.0.2");
            expect(node(plan, "gateway-a").interfaces.find((i) => i.name === "lan")!.extraAddresses)
                .to.deep.equal([{ family: "ipv4", address: "10.1.0.99", prefixLength: 16 }]);
        });

        it("gives Docker non-overlapping stand-ins for the overlapping LANs", () => {
            const dockerSubnets = plan.segments.map((s) => Subnet.parse("ipv4", s.docker.ipv4.subnet));
            for (let i = 0; i < dockerSubnets.length; i++) {
                for (let j = 0; j < i; j++) expect(dockerSubnets[i].overlaps(dockerSubnets[j]), `${dockerSubnets[i]} vs ${dockerSubnets[j]}`).to.equal(false);
            }
            const lanA = plan.segments.find((s) => s.key === "lan-a")!;
            expect(lanA.subnets.ipv4).to.equal("10.1.0.0/16");
            expect(lanA.docker.ipv4.subnet).to.not.equal("10.1.0.0/16");
            // ISP links overlap nothing, so Docker holds them as they are.
            expect(plan.segments.find((s) => s.key === "isp-s")!.docker.ipv4.subnet).to.equal("172.30.30.0/24");
        });

        it("never lets Docker's reserved gateway take a lab address", () => {
            for (const segment of plan.segments) {
                const used = plan.nodes.flatMap((n) => n.interfaces.filter((i) => i.segment === segment.key)
                    .flatMap((i) => [i.docker.ipv4, i.addresses.ipv4?.address, ...i.extraAddresses.map((a) => a.address)]));
                expect(used, segment.key).to.not.include(segment.docker.ipv4.gateway);
            }
        });

        it("tunnels protect only the gateways' ISP addresses", () => {
            expect(plan.tunnels.map((t) => t.ends.map((e) => e.trafficSelectors[0]))).to.deep.equal([
                ["172.16.16.16/32", "172.30.30.30/32"],
                ["172.18.18.18/32", "172.30.30.30/32"],
            ]);
        });

        it("gives each site its own server instance, told apart by the peer gateway", () => {
            expect(node(plan, "server-s1").instances).to.deep.equal([
                { service: "web", port: 30000, label: "web@a" },
                { service: "web", port: 30001, label: "web@b" },
            ]);
            const dnat = node(plan, "gateway-s").gateway!.dnat;
            expect(dnat.map((d) => [d.source, d.destination, d.port, d.to])).to.deep.equal([
                ["172.16.16.16", "172.30.30.30", 8080, { address: "10.1.0.2", port: 30000 }],
                ["172.18.18.18", "172.30.30.30", 8080, { address: "10.1.0.2", port: 30001 }],
            ]);
            expect(node(plan, "gateway-a").gateway!.dnat.map((d) => [d.destination, d.port, d.to]))
                .to.deep.equal([["10.1.0.99", 8080, { address: "172.30.30.30", port: 8080 }]]);
            expect(node(plan, "gateway-a").gateway!.snat.map((s) => [s.destination, s.toSource]))
                .to.deep.equal([["172.30.30.30/32", "172.16.16.16"]]);
        });
    });

    describe("site-to-site", () => {
        const plan = planOf("site-to-site");

        it("protects LAN to LAN and exempts the remote LAN from masquerade", () => {
            expect(plan.tunnels[0].ends.map((e) => [e.gateway, e.address, e.trafficSelectors])).to.deep.equal([
                ["gateway-a", "172.26.26.26", ["10.1.0.0/16"]],
                ["gateway-s", "172.28.28.28", ["10.3.0.0/16"]],
            ]);
            expect(node(plan, "gateway-a").gateway!.masquerade).to.deep.equal([
                { family: "ipv4", source: "10.1.0.0/16", outInterface: "isp", except: ["10.3.0.0/16"] },
            ]);
            expect(node(plan, "gateway-b").gateway!.dnat.map((d) => [d.destination, d.to]))
                .to.deep.equal([["10.2.0.99", { address: "10.3.0.3", port: 8080 }]]);
            expect(node(plan, "gateway-a").gateway!.peers).to.deep.equal([{ family: "ipv4", address: "172.28.28.28" }]);
        });

        it("lets Docker hold the lab's own subnets with its gateway off the lab's addresses", () => {
            const lanA = plan.segments.find((s) => s.key === "lan-a")!;
            expect(lanA.docker.ipv4).to.deep.equal({ subnet: "10.1.0.0/16", gateway: "10.1.255.254" });
            expect(node(plan, "client-a1").interfaces[0].docker.ipv4).to.equal("10.1.0.3");
        });

        it("routes clients through their gateway and gateways through the router", () => {
            expect(node(plan, "client-b2").routes).to.deep.equal([{ family: "ipv4", destination: "default", via: "10.2.0.2", interface: "lan" }]);
            expect(node(plan, "gateway-s").routes).to.deep.equal([{ family: "ipv4", destination: "default", via: "172.28.28.2", interface: "isp" }]);
        });
    });

    describe("site-to-site-ipv6", () => {
        const plan = planOf("site-to-site-ipv6");

        it("gives Docker an IPv4 stand-in on every segment and the lab's IPv6 as is", () => {
            for (const segment of plan.segments) {
                expect(segment.subnets.ipv4, segment.key).to.equal(undefined);
                expect(segment.docker.ipv4.subnet.startsWith("198.18."), segment.key).to.equal(true);
                expect(segment.docker.ipv6!.subnet).to.equal(segment.subnets.ipv6);
            }
            const gwA = node(plan, "gateway-a");
            expect(gwA.interfaces.map((i) => i.addresses.ipv4)).to.deep.equal([undefined, undefined]);
            expect(gwA.interfaces.map((i) => i.addresses.ipv6!.address)).to.deep.equal(["fc00:4300:a::2", "fc00:4300:aaea::aaea"]);
        });

        it("builds IPv6 tunnels between the IPv6 LANs", () => {
            expect(plan.tunnels.map((t) => [t.ipVersion, ...t.ends.map((e) => e.trafficSelectors[0])])).to.deep.equal([
                [6, "fc00:4300:a::/64", "fc00:4300:c::/64"],
                [6, "fc00:4300:b::/64", "fc00:4300:c::/64"],
            ]);
        });
    });

    describe("allocation", () => {
        it("fills in left-out addresses deterministically from the subnet", () => {
            const plan = planOf("dev");
            const addr = (n: string, i: string) => node(plan, n).interfaces.find((x) => x.name === i)!.addresses.ipv4!.address;
            expect(addr("gateway-a", "lan")).to.equal("10.10.0.1");
            expect(addr("client-a1", "lan")).to.equal("10.10.0.3");
            expect(addr("router", "isp-a")).to.equal("172.31.10.1");
            expect(addr("gateway-a", "isp")).to.equal("172.31.10.2");
            expect(node(plan, "gateway-a").interfaces[0].extraAddresses[0].address).to.equal("10.10.0.2");
        });

        it("does not depend on the order hosts are written in", () => {
            const lab = stackLab("site-to-site") as unknown as { sites: Record<string, { hosts: Record<string, unknown> }> };
            for (const site of Object.values(lab.sites)) {
                for (const host of Object.values(site.hosts)) delete (host as { address?: unknown }).address;
            }
            const reversed = structuredClone(lab);
            for (const site of Object.values(reversed.sites)) site.hosts = Object.fromEntries(Object.entries(site.hosts).reverse());
            expect(planOf("site-to-site", reversed)).to.deep.equal(planOf("site-to-site", lab));
        });

        it("skips addresses the user took", () => {
            const lab = stackLab("dev") as unknown as { sites: { a: { hosts: Record<string, unknown> } } };
            lab.sites.a.hosts["client-a2"] = { role: "client", address: { ipv4: "10.10.0.3" } };
            const plan = planOf("dev", lab);
            expect(node(plan, "client-a1").interfaces[0].addresses.ipv4!.address).to.equal("10.10.0.4");
        });
    });
});
