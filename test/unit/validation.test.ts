import { expect } from "chai";
import { LabConfigError } from "../../model/errors";
import { parseLab } from "../../model/validate";
import { runLab, stackLab, RecordingMocks } from "../support/recording-mocks";

/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke into the raw YAML shape on purpose */
type Raw = any;

interface Rule {
    readonly rule: string;
    readonly stack: string;
    readonly change: (lab: Raw) => void;
    readonly path: string;
    readonly message: RegExp;
}

const RULES: Rule[] = [
    {
        rule: "bad CIDR",
        stack: "site-to-site",
        change: (l) => { l.sites.a.lan.ipv4 = "10.1.0.0/33"; },
        path: "vnetlab:lab.sites.a.lan.ipv4",
        message: /not an IPv4 subnet/,
    },
    {
        rule: "CIDR with host bits",
        stack: "site-to-site",
        change: (l) => { l.sites.b.lan.ipv4 = "10.2.0.7/16"; },
        path: "vnetlab:lab.sites.b.lan.ipv4",
        message: /zero host bits/,
    },
    {
        rule: "bad address",
        stack: "site-to-site",
        change: (l) => { l.sites.a.hosts["client-a1"].address.ipv4 = "10.1.0.300"; },
        path: "vnetlab:lab.sites.a.hosts.client-a1.address.ipv4",
        message: /not an IPv4 address/,
    },
    {
        rule: "address outside its subnet",
        stack: "site-to-site",
        change: (l) => { l.sites.a.gateway.address.ipv4 = "10.9.0.2"; },
        path: "vnetlab:lab.sites.a.gateway.address.ipv4",
        message: /outside its subnet 10\.1\.0\.0\/16/,
    },
    {
        rule: "broadcast address",
        stack: "site-to-site",
        change: (l) => { l.sites.a.hosts["client-a2"].address.ipv4 = "10.1.255.255"; },
        path: "vnetlab:lab.sites.a.hosts.client-a2.address.ipv4",
        message: /not a usable host address/,
    },
    {
        rule: "address of a family the segment lacks",
        stack: "site-to-site",
        change: (l) => { l.sites.a.hosts["client-a2"].address.ipv6 = "fc00::4"; },
        path: "vnetlab:lab.sites.a.hosts.client-a2.address.ipv6",
        message: /has no ipv6 subnet/,
    },
    {
        rule: "duplicate address",
        stack: "host-to-host",
        change: (l) => { l.sites.b.hosts["client-b2"].address.ipv4 = "10.1.0.2"; },
        path: "vnetlab:lab.sites.b.hosts.client-b2.address.ipv4",
        message: /duplicate address 10\.1\.0\.2: also used by sites\.b\.hosts\.client-b1/,
    },
    {
        rule: "duplicate address with the service address",
        stack: "site-to-site",
        change: (l) => { l.sites.a.hosts["client-a2"].address.ipv4 = "10.1.0.99"; },
        path: "vnetlab:lab.sites.a.hosts.client-a2.address.ipv4",
        message: /duplicate address 10\.1\.0\.99/,
    },
    {
        rule: "duplicate node name",
        stack: "site-to-site",
        change: (l) => { l.sites.b.hosts["client-a1"] = { role: "client" }; },
        path: "vnetlab:lab.sites.b.hosts.client-a1",
        message: /node name "client-a1" is already used by sites\.a\.hosts\.client-a1/,
    },
    {
        rule: "name Docker would reject",
        stack: "site-to-site",
        change: (l) => { l.sites.a.hosts["Client_A3"] = { role: "client" }; },
        path: "vnetlab:lab.sites.a.hosts.Client_A3",
        message: /lowercase letters, digits and '-'/,
    },
    {
        rule: "site name too long for an interface name",
        stack: "dev",
        change: (l) => { l.sites.headquarters = l.sites.a; delete l.sites.a; l.tunnels["a-s"].between[0] = "headquarters"; l.services.web.sites = ["headquarters"]; },
        path: "vnetlab:lab.sites.headquarters",
        message: /longer than 11 characters/,
    },
    {
        rule: "unknown config key",
        stack: "dev",
        change: (l) => { l.sites.a.gateway.masqerade = false; },
        path: "vnetlab:lab.sites.a.gateway",
        message: /Unrecognized key.*masqerade/,
    },
    {
        rule: "unknown site in a tunnel",
        stack: "site-to-site",
        change: (l) => { l.tunnels["b-s"].between = ["b", "cloud"]; },
        path: "vnetlab:lab.tunnels.b-s.between[1]",
        message: /unknown site "cloud" \(known: a, b, s\)/,
    },
    {
        rule: "tunnel between a site and itself",
        stack: "site-to-site",
        change: (l) => { l.tunnels["b-s"].between = ["b", "b"]; },
        path: "vnetlab:lab.tunnels.b-s.between",
        message: /two different sites/,
    },
    {
        rule: "two tunnels between the same sites",
        stack: "site-to-site",
        change: (l) => { l.tunnels["s-a"] = { type: "site-to-site", between: ["s", "a"] }; },
        path: "vnetlab:lab.tunnels.s-a.between",
        message: /already have tunnel "a-s"/,
    },
    {
        rule: "site-to-site between overlapping subnets",
        stack: "host-to-host",
        change: (l) => { l.tunnels["a-s"].type = "site-to-site"; },
        path: "vnetlab:lab.tunnels.a-s.type",
        message: /overlapping LANs 10\.1\.0\.0\/16 \(a\) and 10\.1\.0\.0\/16 \(s\).*host-to-host/,
    },
    {
        rule: "IPv6 tunnel between sites without IPv6",
        stack: "site-to-site",
        change: (l) => { l.tunnels["a-s"].ipVersion = 6; },
        path: "vnetlab:lab.tunnels.a-s.ipVersion",
        message: /IPv6 tunnel needs ipv6 on the ISP link of site "a"/,
    },
    {
        rule: "ISP link overlapping another segment",
        stack: "site-to-site",
        change: (l) => { l.sites.b.gateway.isp = { subnet: { ipv4: "172.26.26.0/25" } }; },
        path: "vnetlab:lab.sites.b.gateway.isp.subnet.ipv4",
        message: /overlaps sites\.a\.gateway\.isp\.subnet\.ipv4/,
    },
    {
        rule: "unknown site in a service",
        stack: "site-to-site",
        change: (l) => { l.services.web.sites = ["a", "c"]; },
        path: "vnetlab:lab.services.web.sites[1]",
        message: /unknown site "c"/,
    },
    {
        rule: "unknown server in a service",
        stack: "site-to-site",
        change: (l) => { l.services.web.server = "server-s9"; },
        path: "vnetlab:lab.services.web.server",
        message: /unknown host "server-s9"/,
    },
    {
        rule: "service server that is a client",
        stack: "site-to-site",
        change: (l) => { l.services.web.server = "client-b1"; l.services.web.sites = ["a"]; l.tunnels["a-b"] = { type: "site-to-site", between: ["a", "b"] }; },
        path: "vnetlab:lab.services.web.server",
        message: /role client, not server/,
    },
    {
        rule: "service site without a tunnel to the server",
        stack: "site-to-site",
        change: (l) => { delete l.tunnels["b-s"]; },
        path: "vnetlab:lab.services.web.sites[1]",
        message: /no tunnel joins site "b" and the server's site "s"/,
    },
    {
        rule: "check from an unknown node",
        stack: "dev",
        change: (l) => { l.checks = [{ from: "client-z", to: "server-s1", protocol: "icmp", expect: "reach" }]; },
        path: "vnetlab:lab.checks[0].from",
        message: /unknown node "client-z"/,
    },
    {
        rule: "tcp check without a port",
        stack: "dev",
        change: (l) => { l.checks = [{ from: "client-a1", to: "server-s1", protocol: "tcp", expect: "reach" }]; },
        path: "vnetlab:lab.checks[0].port",
        message: /tcp check needs a port/,
    },
    {
        rule: "macvlan parent for an unknown segment",
        stack: "dev",
        change: (l) => { l.network = { parents: { "lan-x": "veth0" } }; },
        path: "vnetlab:lab.network.parents.lan-x",
        message: /not a lab segment/,
    },
    {
        rule: "subnet too small for its members",
        stack: "dev",
        change: (l) => { l.sites.a.lan.ipv4 = "10.10.0.0/30"; },
        path: "vnetlab:lab.sites.a.hosts.client-a1.address.ipv4",
        message: /no free address left in 10\.10\.0\.0\/30 \(lan-a\)/,
    },
    {
        rule: "revoking a node that is not a gateway",
        stack: "site-to-site",
        change: (l) => { l.pki = { revoke: ["client-a1"] }; },
        path: "vnetlab:lab.pki.revoke[0]",
        message: /"client-a1" is not a gateway/,
    },
    {
        rule: "revoking a gateway that has no certificate",
        stack: "dev",
        change: (l) => { l.pki = { revoke: ["gateway-a"] }; },
        path: "vnetlab:lab.pki.revoke[0]",
        message: /none of its tunnels uses pubkey auth/,
    },
    {
        rule: "unknown auth method",
        stack: "site-to-site",
        change: (l) => { l.tunnels["a-s"].auth = "eap"; },
        path: "vnetlab:lab.tunnels.a-s.auth",
        message: /pubkey|psk/,
    },
    // Shared segments (net2net).
    {
        rule: "ISP link with neither a subnet nor a segment",
        stack: "net2net",
        change: (l) => { delete l.sites.moon.gateway.isp.segment; },
        path: "vnetlab:lab.sites.moon.gateway.isp",
        message: /needs either subnet \(a private link to the router\) or segment/,
    },
    {
        rule: "ISP link with both a subnet and a segment",
        stack: "net2net",
        change: (l) => { l.sites.moon.gateway.isp.subnet = { ipv4: "172.16.9.0/24" }; },
        path: "vnetlab:lab.sites.moon.gateway.isp.segment",
        message: /a private link \(subnet\) or a shared segment, not both/,
    },
    {
        rule: "unknown shared segment",
        stack: "net2net",
        change: (l) => { l.sites.sun.gateway.isp.segment = "internt"; },
        path: "vnetlab:lab.sites.sun.gateway.isp.segment",
        message: /unknown segment "internt" \(known: internet\)/,
    },
    {
        rule: "router address set per gateway on a shared segment",
        stack: "net2net",
        change: (l) => { l.sites.sun.gateway.isp.router = { ipv4: "192.168.0.254" }; },
        path: "vnetlab:lab.sites.sun.gateway.isp.router",
        message: /segments\.internet\.router, not set per gateway/,
    },
    {
        rule: "shared segment no gateway is on",
        stack: "net2net",
        change: (l) => { l.segments.spare = { subnet: { ipv4: "192.168.9.0/24" } }; },
        path: "vnetlab:lab.segments.spare",
        message: /no gateway or road warrior is on this segment/,
    },
    {
        rule: "shared segment named like a site's own segment",
        stack: "net2net",
        change: (l) => {
            l.segments["lan-moon"] = l.segments.internet;
            delete l.segments.internet;
            l.sites.moon.gateway.isp.segment = "lan-moon";
            l.sites.sun.gateway.isp.segment = "lan-moon";
        },
        path: "vnetlab:lab.segments.lan-moon",
        message: /already the name of a site's own segment/,
    },
    {
        rule: "gateway address outside its shared segment",
        stack: "net2net",
        change: (l) => { l.sites.sun.gateway.isp.address.ipv4 = "192.168.1.2"; },
        path: "vnetlab:lab.sites.sun.gateway.isp.address.ipv4",
        message: /192\.168\.1\.2 is outside its subnet 192\.168\.0\.0\/24/,
    },
    {
        rule: "two gateways with one address on a shared segment",
        stack: "net2net",
        change: (l) => { l.sites.sun.gateway.isp.address.ipv4 = "192.168.0.1"; },
        path: "vnetlab:lab.sites.sun.gateway.isp.address.ipv4",
        message: /duplicate address 192\.168\.0\.1: also used by sites\.moon\.gateway\.isp\.address/,
    },
    {
        rule: "shared segment overlapping a LAN",
        stack: "net2net",
        change: (l) => { l.segments.internet.subnet.ipv4 = "10.2.0.0/24"; l.sites.moon.gateway.isp.address.ipv4 = "10.2.0.1"; l.sites.sun.gateway.isp.address.ipv4 = "10.2.0.2"; },
        path: "vnetlab:lab.sites.sun.lan.ipv4",
        message: /overlaps segments\.internet\.subnet\.ipv4/,
    },
    {
        rule: "uplink in a lab without a router",
        stack: "net2net",
        change: (l) => { l.router = { uplink: true }; },
        path: "vnetlab:lab.router.uplink",
        message: /the lab has no router/,
    },
    {
        rule: "direct service across a host-to-host tunnel",
        stack: "host-to-host",
        change: (l) => { l.services.web.via = "direct"; },
        path: "vnetlab:lab.services.web.via",
        message: /direct needs site-to-site tunnels, but "a-s" is host-to-host/,
    },
    // Lone hosts (host2host): sites without a LAN.
    {
        rule: "hosts in a site without a LAN",
        stack: "host2host",
        change: (l) => { l.sites.moon.hosts = { alice: { role: "client" } }; },
        path: "vnetlab:lab.sites.moon.hosts",
        message: /a site without a lan has no hosts: its gateway is the one host/,
    },
    {
        rule: "a LAN address for a lone host",
        stack: "host2host",
        change: (l) => { l.sites.sun.gateway.address = { ipv4: "10.2.0.1" }; },
        path: "vnetlab:lab.sites.sun.gateway.address",
        message: /is set but the site has no lan/,
    },
    {
        rule: "a service forwarded by a lone host's missing gateway",
        stack: "host2host",
        change: (l) => { l.services.web.via = "gateway"; },
        path: "vnetlab:lab.services.web.via",
        message: /site "moon" is a lone host without a LAN for a service address: use via: direct/,
    },
    {
        rule: "a site-to-site tunnel to a lone host",
        stack: "host2host",
        change: (l) => { l.tunnels["host-host"].type = "site-to-site"; },
        path: "vnetlab:lab.tunnels.host-host.ipVersion",
        message: /an IPv4 site-to-site tunnel needs an ipv4 LAN in site "moon"/,
    },
    // Road warriors, pools and NAT routers.
    {
        rule: "a road warrior asking for a family its gateway has no pool of",
        stack: "roadwarriors",
        change: (l) => { delete l.sites.moon.gateway.pools.ipv6; },
        path: "vnetlab:lab.roadWarriors.carol.virtualIps",
        message: /site "moon"'s gateway has no ipv6 pool to hand out \(set sites\.moon\.gateway\.pools\.ipv6\)/,
    },
    {
        rule: "a road warrior dialling an unknown site",
        stack: "roadwarriors",
        change: (l) => { l.roadWarriors.dave.site = "mars"; },
        path: "vnetlab:lab.roadWarriors.dave.site",
        message: /unknown site "mars" \(known: moon\)/,
    },
    {
        rule: "a road warrior on an unknown segment",
        stack: "roadwarriors",
        change: (l) => { l.roadWarriors.dave.isp.segment = "wifi"; },
        path: "vnetlab:lab.roadWarriors.dave.isp.segment",
        message: /unknown segment "wifi" \(known: internet\)/,
    },
    {
        rule: "a road warrior named like a tunnel",
        stack: "nat",
        change: (l) => { l.roadWarriors["venus-sun"] = l.roadWarriors.alice; delete l.roadWarriors.alice; l.services.web.roadWarriors = ["venus-sun"]; },
        path: "vnetlab:lab.roadWarriors.venus-sun",
        message: /also names a tunnel: a road warrior's tunnel takes its name/,
    },
    {
        rule: "a pool overlapping a LAN",
        stack: "roadwarriors",
        change: (l) => { l.sites.moon.gateway.pools.ipv4 = "10.1.200.0/28"; },
        path: "vnetlab:lab.sites.moon.gateway.pools.ipv4",
        message: /10\.1\.200\.0\/28 overlaps sites\.moon\.lan\.ipv4/,
    },
    {
        rule: "a road warrior using a service of another site",
        stack: "nat",
        change: (l) => { l.roadWarriors.alice.site = "venus"; l.sites.venus.gateway.pools = { ipv4: "10.3.0.0/28" }; },
        path: "vnetlab:lab.roadWarriors.alice.site",
        message: /site "venus" is behind a NAT router: a road warrior cannot reach it/,
    },
    {
        rule: "a tunnel whose responder is behind a NAT router",
        stack: "nat",
        change: (l) => { l.tunnels["venus-sun"].between = ["sun", "venus"]; },
        path: "vnetlab:lab.tunnels.venus-sun.between",
        message: /site "venus" is behind NAT router moon and cannot be reached from outside: it must initiate \(name it first\)/,
    },
    {
        rule: "a host-to-host tunnel across a NAT router",
        stack: "nat",
        change: (l) => { l.tunnels["venus-sun"].type = "host-to-host"; l.services.web.sites = []; },
        path: "vnetlab:lab.tunnels.venus-sun.type",
        message: /behind NAT router moon, which rewrites the address a host-to-host tunnel protects: use site-to-site/,
    },
    {
        rule: "a NAT router and the lab router on one segment",
        stack: "nat",
        change: (l) => { l.segments.home.router = { ipv4: "10.1.0.254" }; },
        path: "vnetlab:lab.segments.home.nat",
        message: /one way out: the lab router \(router\) or a NAT router \(nat\), not both/,
    },
    {
        rule: "a NAT router masquerading to an unknown segment",
        stack: "nat",
        change: (l) => { l.segments.home.nat.outside.segment = "wan"; },
        path: "vnetlab:lab.segments.home.nat.outside.segment",
        message: /unknown segment "wan"/,
    },
    {
        rule: "a NAT router's outside address taken",
        stack: "nat",
        change: (l) => { l.segments.home.nat.outside.address.ipv4 = "192.168.0.2"; },
        path: "vnetlab:lab.sites.sun.gateway.isp.address.ipv4",
        message: /duplicate address 192\.168\.0\.2: also used by segments\.home\.nat\.outside\.address/,
    },
    {
        rule: "a road warrior in a service of another site",
        stack: "nat",
        change: (l) => { l.services.web.server = "venus-pc"; l.sites.venus.hosts["venus-pc"].role = "server"; l.services.web.sites = ["sun"]; },
        path: "vnetlab:lab.services.web.roadWarriors[0]",
        message: /road warrior "alice" dials in to site "sun", not the server's site "venus"/,
    },
    {
        rule: "a service nobody uses",
        stack: "roadwarriors",
        change: (l) => { l.services.web.roadWarriors = []; },
        path: "vnetlab:lab.services.web.sites",
        message: /a service needs sites or roadWarriors that use it/,
    },
    // Inner and outer families (dual-stack).
    {
        rule: "a tunnel naming an inner family twice",
        stack: "dual-stack",
        change: (l) => { l.tunnels["b-a"].inner = [6, 6]; },
        path: "vnetlab:lab.tunnels.b-a.inner",
        message: /names a family twice/,
    },
    {
        rule: "a second tunnel over the same outer family",
        stack: "dual-stack",
        change: (l) => { l.tunnels["a-b"] = { type: "site-to-site", between: ["a", "b"], inner: [4] }; },
        path: "vnetlab:lab.tunnels.a-b.between",
        message: /sites a and b already have tunnel "b-a" over IPv4; one tunnel per pair and outer family/,
    },
    {
        rule: "two tunnels carrying one inner family between the same sites",
        stack: "dual-stack",
        change: (l) => {
            for (const site of ["a", "b"]) l.sites[site].gateway.isp.subnet.ipv6 = `fd00:31:5${site === "a" ? 1 : 2}::/64`;
            l.tunnels["a-b6"] = { type: "site-to-site", between: ["a", "b"], ipVersion: 6, inner: [6] };
        },
        path: "vnetlab:lab.tunnels.a-b6.inner",
        message: /tunnel "b-a" already carries IPv6 between sites a and b/,
    },
    {
        rule: "an inner family a site has no LAN of",
        stack: "dual-stack",
        change: (l) => { delete l.tunnels["c-a6"]; delete l.sites.c.lan.ipv4; l.tunnels["c-a"].inner = [4, 6]; },
        path: "vnetlab:lab.tunnels.c-a.inner",
        message: /an IPv4 site-to-site tunnel needs an ipv4 LAN in site "c"/,
    },
    {
        rule: "a host-to-host tunnel with another inner family",
        stack: "host-to-host",
        change: (l) => { l.tunnels["a-s"].inner = [6]; },
        path: "vnetlab:lab.tunnels.a-s.inner",
        message: /protects the gateways' own IPv4 addresses: inner must be \[4\] or left out/,
    },
];

/** The part of the transport stack's raw YAML the exact-message rules change. */
interface TransportLab {
    dataplane?: string;
    tunnels: Record<string, { type: string; mode?: string }>;
}
const transportLab = () => stackLab("host-to-host-transport") as unknown as TransportLab;

/** Exact lines, for the rules of transport mode and the dataplane: the message is the user's only guide. */
const EXACT: { readonly rule: string; readonly change: (lab: TransportLab) => void; readonly lines: readonly string[] }[] = [
    {
        rule: "transport mode on a site-to-site tunnel",
        change: (l) => { l.tunnels["a-b"].type = "site-to-site"; },
        lines: [
            "vnetlab:lab.tunnels.a-b.mode: transport mode protects only the two peers' own traffic (no inner IP header), but a site-to-site " +
            "tunnel carries its LANs' traffic, which needs tunnel mode; use mode: tunnel, or type: host-to-host",
        ],
    },
    {
        rule: "transport mode on the userspace dataplane",
        change: (l) => { l.dataplane = "libipsec"; },
        lines: [
            "vnetlab:lab.tunnels.a-b.mode: transport mode needs the kernel's IPsec (xfrm), but dataplane is libipsec: strongSwan's userspace " +
            "kernel-libipsec implements tunnel mode only; use mode: tunnel, or dataplane: auto or kernel on a host whose kernel has IPsec ESP",
        ],
    },
    {
        rule: "an unknown tunnel mode",
        change: (l) => { l.tunnels["a-b"].mode = "beet"; },
        lines: ['vnetlab:lab.tunnels.a-b.mode: Invalid option: expected one of "tunnel"|"transport"'],
    },
    {
        rule: "an unknown dataplane",
        change: (l) => { l.dataplane = "vpp"; },
        lines: ['vnetlab:lab.dataplane: Invalid option: expected one of "auto"|"kernel"|"libipsec"'],
    },
];

describe("config validation: transport mode and the dataplane, exact path and message", function () {
    this.timeout(20000);

    for (const r of EXACT) {
        it(r.rule, async () => {
            const lab = transportLab();
            r.change(lab);
            const mocks = new RecordingMocks();
            const error = await runLab(lab, "host-to-host-transport", {}, mocks).then(() => undefined, (e: unknown) => e);
            expect(error, "the config must be rejected").to.be.instanceOf(LabConfigError);
            expect((error as Error).message.split("\n").slice(1).map((l) => l.trim())).to.deep.equal(r.lines);
            await new Promise((resolve) => setTimeout(resolve, 50));
            expect(mocks.resources, "nothing may be registered").to.deep.equal([]);
        });
    }

    it("reports both reasons when a site-to-site tunnel asks for transport mode on the userspace dataplane", () => {
        const lab = transportLab();
        lab.dataplane = "libipsec";
        lab.tunnels["a-b"].type = "site-to-site";
        const error = (() => {
            try {
                parseLab(lab, "host-to-host-transport");
                return undefined;
            } catch (e) {
                return e;
            }
        })() as LabConfigError;
        expect(error.issues.map((i) => i.path.join("."))).to.deep.equal(["tunnels.a-b.mode", "tunnels.a-b.mode"]);
        expect(error.message).to.match(/^invalid lab config \(2 problems\):\n/);
    });

    it("accepts transport on host-to-host with dataplane auto or kernel, and tunnel mode on every dataplane", () => {
        for (const dataplane of ["auto", "kernel"]) {
            const lab = transportLab();
            lab.dataplane = dataplane;
            expect(parseLab(lab, "host-to-host-transport").tunnels["a-b"].mode).to.equal("transport");
        }
        const lab = transportLab();
        lab.dataplane = "libipsec";
        delete lab.tunnels["a-b"].mode;
        const parsed = parseLab(lab, "host-to-host-transport");
        expect([parsed.tunnels["a-b"].mode, parsed.dataplane]).to.deep.equal(["tunnel", "libipsec"]);
        expect(parseLab(stackLab("dev"), "dev").dataplane).to.equal("auto");
    });
});

describe("config validation: a broken config names its path and registers nothing", function () {
    this.timeout(20000);

    for (const r of RULES) {
        it(r.rule, async () => {
            const lab = stackLab(r.stack);
            r.change(lab);
            const mocks = new RecordingMocks();
            const error = await runLab(lab, r.stack, {}, mocks).then(() => undefined, (e: unknown) => e);
            expect(error, "the config must be rejected").to.be.instanceOf(LabConfigError);
            const lines = (error as Error).message.split("\n").filter((l) => l.trim().startsWith(`${r.path}:`));
            expect(lines.some((l) => r.message.test(l)), (error as Error).message).to.equal(true);
            await new Promise((resolve) => setTimeout(resolve, 50));
            expect(mocks.resources, "nothing may be registered").to.deep.equal([]);
        });
    }

    it("rejects before registering: no resource reaches the engine", async () => {
        // The throw happens synchronously inside deployLab, before any constructor;
        // a successful run of the same stack does register resources.
        const ok = await runLab(stackLab("dev"), "dev");
        expect(ok.resources.length).to.be.greaterThan(5);
    });

    it("the seed stacks are valid", async () => {
        for (const stack of ["dev", "host-to-host", "site-to-site", "site-to-site-ipv6", "host-to-host-transport"]) {
            await runLab(stackLab(stack), stack);
        }
    });

    it("takes a second tunnel between two sites when its outer family differs", async () => {
        const lab = stackLab("dual-stack") as Raw;
        for (const site of ["a", "b"]) lab.sites[site].gateway.isp.subnet.ipv6 = `fd00:31:5${site === "a" ? 1 : 2}::/64`;
        lab.tunnels["b-a"].inner = [4];
        lab.tunnels["b-a6"] = { type: "site-to-site", between: ["b", "a"], ipVersion: 6, inner: [6] };
        const run = await runLab(lab, "dual-stack");
        expect(run.resources.length).to.be.greaterThan(5);
    });
});
