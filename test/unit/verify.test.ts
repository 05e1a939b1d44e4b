import { expect } from "chai";
import { expectedAlgorithms, parseRawSas } from "../../verify/ipsec";
import { deriveChecks } from "../../verify/derive";
import { formatTable, summary } from "../../verify/report";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { loadStackLab } from "../../model/stack-file";
import type Docker from "dockerode";
import type { LabPlan } from "../../plan/types";
import type { ExecResult } from "../../verify/exec";
import type { Outcome } from "../../verify/checks/context";
import { runSaChecks } from "../../verify/checks/sa";

// Captured from `swanctl --list-sas --raw` on the dev lab's gateway-a (strongSwan 6.0.1).
const RAW = "list-sa event {a-s {uniqueid=1 version=2 state=ESTABLISHED local-host=172.31.10.2 local-port=4500 local-id=172.31.10.2 " +
    "remote-host=172.31.20.2 remote-port=4500 remote-id=172.31.20.2 initiator=yes initiator-spi=a0d2b43eb3f5a5e6 responder-spi=b06e93f122885f6d " +
    "nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 encr-keysize=256 prf-alg=PRF_HMAC_SHA2_384 dh-group=ECP_384 established=41 rekey-time=14085 " +
    "child-sas {a-s-1 {name=a-s uniqueid=1 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=4dc7142f spi-out=eafd7a34 " +
    "encr-alg=AES_GCM_16 encr-keysize=256 bytes-in=465 packets-in=5 use-in=0 bytes-out=398 packets-out=6 use-out=0 rekey-time=3291 " +
    "life-time=3919 install-time=41 local-ts=[10.10.0.0/24] remote-ts=[10.20.0.0/24]}}}}\nlist-sas reply {}\n";

const planOf = (stack: string) => planLab(parseLab(loadStackLab(stack), stack), stack);

/** The SA check of `gateway`'s end of `tunnel`, against a canned `swanctl --list-sas --raw`. */
async function saCheck(plan: LabPlan, tunnel: string, gateway: string, raw: string): Promise<Omit<Outcome, "seconds">> {
    const outcomes: Outcome[] = [];
    const ctx = {
        // A failing SA is watched for half this long before it is reported: short, the listing never changes here.
        plan, docker: undefined as unknown as Docker, timeoutSeconds: 0.5, containerOf: (n: string) => n,
        exec: async (): Promise<ExecResult> => ({ exitCode: 0, stdout: raw, stderr: "" }),
    };
    await runSaChecks([{ kind: "sa", id: "sa", tunnel, gateway }], ctx, (_, o) => outcomes.push(o));
    const { expected, observed, pass } = outcomes[0];
    return { expected, observed, pass };
}

describe("verify", () => {
    it("expects the tunnel's mode in the CHILD SA: transport where configured, never transport where not", async () => {
        const transport = planOf("host-to-host-transport");
        const raw = (mode: string) => RAW.replace("mode=TUNNEL", `mode=${mode}`)
            .replace("local-ts=[10.10.0.0/24] remote-ts=[10.20.0.0/24]", "local-ts=[172.31.61.10/32] remote-ts=[172.31.62.20/32]");
        const expected = "IKE ESTABLISHED AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384; CHILD INSTALLED TRANSPORT AES_GCM_16-256 172.31.61.10/32 === 172.31.62.20/32";
        expect(await saCheck(transport, "a-b", "host-a", raw("TRANSPORT"))).to.deep.equal({ expected, observed: expected, pass: true });
        expect(await saCheck(transport, "a-b", "host-a", raw("TUNNEL"))).to.deep.equal({
            expected, observed: `${expected.replace("TRANSPORT", "TUNNEL")} — differs from the plan: mode TUNNEL, planned TRANSPORT`, pass: false,
        });
        // Tunnel mode as before: the listing's mode stays out of the report, a transport SA fails.
        const dev = planOf("dev");
        expect(await saCheck(dev, "a-s", "gateway-a", RAW)).to.deep.include({
            observed: "IKE ESTABLISHED AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384; CHILD INSTALLED AES_GCM_16-256 10.10.0.0/24 === 10.20.0.0/24", pass: true,
        });
        expect(await saCheck(dev, "a-s", "gateway-a", RAW.replace("mode=TUNNEL", "mode=TRANSPORT"))).to.deep.include({ pass: false });
    });

    it("reads IKE and CHILD SAs from swanctl's raw listing", () => {
        expect(parseRawSas(RAW)).to.deep.equal({
            ike: {
                state: "ESTABLISHED", algorithms: ["AES_GCM_16-256", "PRF_HMAC_SHA2_384", "ECP_384"],
                localHost: "172.31.10.2", localPort: 4500, remoteHost: "172.31.20.2", remotePort: 4500, localVips: [],
            },
            children: [{ state: "INSTALLED", mode: "TUNNEL", algorithms: ["AES_GCM_16-256"], localTs: ["10.10.0.0/24"], remoteTs: ["10.20.0.0/24"] }],
        });
        // A road warrior's listing names the virtual IPs it was given.
        const withVips = RAW.replace("local-host=", "local-vips=[10.3.0.1 fd00:3::1] local-host=");
        expect(parseRawSas(withVips)!.ike.localVips).to.deep.equal(["10.3.0.1", "fd00:3::1"]);
        expect(parseRawSas("list-sas reply {}\n")).to.equal(undefined);
    });

    it("names a proposal's algorithms the way strongSwan reports them", () => {
        expect(expectedAlgorithms("aes256gcm16-prfsha384-ecp384", "ike")).to.deep.equal(["AES_GCM_16-256", "PRF_HMAC_SHA2_384", "ECP_384"]);
        expect(expectedAlgorithms("aes256gcm16-ecp384", "esp")).to.deep.equal(["AES_GCM_16-256"]);
        expect(expectedAlgorithms("aes128-sha256-modp2048", "ike")).to.deep.equal(["AES_CBC-128", "HMAC_SHA2_256_128", "MODP_2048"]);
    });

    it("derives the seed's checks for host-to-host: one instance per site, isolation, ESP on the wire", () => {
        const checks = deriveChecks(planOf("host-to-host"));
        const services = checks.filter((c) => c.kind === "service");
        expect(services.map((c) => [c.from, c.address, c.instance])).to.deep.equal([
            ["client-a1", "10.1.0.99", "web@a"], ["client-a2", "10.1.0.99", "web@a"],
            ["client-b1", "10.1.0.99", "web@b"], ["client-b2", "10.1.0.99", "web@b"],
        ]);
        expect(checks.filter((c) => c.kind === "sa")).to.have.length(4);
        expect(checks.filter((c) => c.kind === "wire").map((c) => c.between)).to.deep.equal([
            ["172.16.16.16", "172.30.30.30"], ["172.18.18.18", "172.30.30.30"],
        ]);
        const blocked = checks.filter((c) => c.kind === "probe" && c.expect === "blocked").map((c) => c.id);
        expect(blocked).to.include("isolation: client-a1 -> router 172.16.16.1 icmp");
        expect(blocked).to.include("isolation: client-a1 -> gateway-b 172.18.18.18 tcp");
        // Host-to-host tunnels cover the peer gateway's address: that path is the tunnel, not a leak.
        expect(blocked).to.not.include("isolation: client-a1 -> gateway-s 172.30.30.30 tcp");
        expect(blocked).to.include("firewall: router -> gateway-s 172.30.30.30 icmp");
        // Service checks come first: they are what brings trap tunnels up.
        expect(checks.findIndex((c) => c.kind === "sa")).to.be.greaterThan(checks.findIndex((c) => c.kind === "service"));
    });

    it("derives IPv6 probes for the IPv6 scenario and adds configured checks", () => {
        const lab = loadStackLab("site-to-site-ipv6") as { checks?: unknown[] };
        lab.checks = [{ from: "client-a1", to: "server-s1", protocol: "tcp", port: 8080, ipVersion: 6, expect: "reach" }];
        const checks = deriveChecks(planLab(parseLab(lab, "x"), "x"));
        expect(checks.filter((c) => c.kind === "probe" && c.family === "ipv4")).to.deep.equal([]);
        expect(checks.at(-1)).to.deep.include({ kind: "probe", from: "client-a1", address: "fc00:4300:c::3", port: 8080, expect: "reach" });
    });

    it("prints a table with every result and a count", () => {
        const results = [
            { id: "a", kind: "sa" as const, expected: "x", observed: "x", pass: true, seconds: 0.2, nodes: [] },
            { id: "b", kind: "probe" as const, expected: "y", observed: "z", pass: false, seconds: 3.1, nodes: [] },
        ];
        const table = formatTable(results, 100);
        expect(table.split("\n")[1]).to.match(/^│ check\s+│ expected\s+│ observed\s+│ result\s+│ time\s+│$/);
        expect(table).to.match(/│ b\s+│ y\s+│ z\s+│ FAIL\s+│ 3\.1s\s+│/);
        expect(summary(results)).to.equal("1 passed, 1 failed");
    });
});
