import { expect } from "chai";
import { LabConfigError } from "../../model/errors";
import { parseLab } from "../../model/validate";
import { runLab, stackLab, RecordingMocks } from "../support/recording-mocks";
import { BROKEN_LABS, Raw } from "../support/broken-labs";

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

    for (const r of BROKEN_LABS) {
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
