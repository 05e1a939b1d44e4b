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
});
