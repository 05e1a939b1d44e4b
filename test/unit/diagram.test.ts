import { expect } from "chai";
import { labDot, labSvg, elementId, svgToPng } from "../../diagram";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan } from "../../plan/types";
import { STACKS } from "../support/recording-mocks";

const planOf = (stack: string) => planLab(parseLab(loadStackLab(stack), stack), stack);

/** A hub and `n - 1` spokes, dual-stack, each spoke with a client: bigger than any seed. */
export function manySites(n: number): LabPlan {
    const sites: Record<string, unknown> = {};
    const tunnels: Record<string, unknown> = {};
    for (let i = 1; i <= n; i++) {
        sites[`s${i}`] = {
            lan: { ipv4: `10.${i}.0.0/24`, ipv6: `fd00:${i}::/64` },
            gateway: { isp: { subnet: { ipv4: `172.20.${i}.0/24`, ipv6: `fd01:${i}::/64` } } },
            hosts: i === 1 ? { hub: { role: "server" } } : { [`client-s${i}`]: { role: "client" } },
        };
        if (i > 1) tunnels[`s${i}-hub`] = { type: "site-to-site", between: [`s${i}`, "s1"], ...(i % 2 ? { ipVersion: 6 } : {}) };
    }
    const raw = { sites, tunnels, services: { web: { server: "hub", sites: Object.keys(sites).slice(1) } } };
    return planLab(parseLab(raw, "many"), "many");
}

/** Graphviz writes "-" as "-" in its SVG (ids, classes, text). */
const unescaped = (svg: string) => svg.replace(/&#45;/g, "-");
const svgIds = (svg: string) => new Set([...unescaped(svg).matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));

const cases: [string, () => LabPlan][] = [
    ...[...STACKS, "multi-host"].map((s): [string, () => LabPlan] => [s, () => planOf(s)]), ["12 sites", () => manySites(12)],
];

describe("diagram", function () {
    this.timeout(30000);

    it("multi-host: names each site's host and the router's, and marks the segments across hosts", () => {
        const dot = labDot(planOf("multi-host"));
        for (const text of ['label="site a on host h2"', 'label="site b on host h3"', 'label="site c on host h1"', "on host h1"]) expect(dot).to.include(text);
        expect(dot.match(/swarm overlay, across hosts/g)).to.have.length(2);
        expect(labDot(planOf("dual-stack"))).to.not.match(/on host|swarm overlay/);
    });

    for (const [name, plan] of cases) {
        it(`${name}: draws every node, segment and tunnel, with addresses and selectors`, async () => {
            const p = plan();
            const dot = labDot(p);
            const svg = unescaped(await labSvg(p));
            const ids = svgIds(svg);
            for (const node of p.nodes) {
                expect(ids, node.name).to.include(elementId.node(node.name));
                for (const i of node.interfaces) {
                    for (const a of Object.values(i.addresses)) expect(svg, `${node.name} ${i.name}`).to.include(`${i.name} ${a.address}/${a.prefixLength}`);
                    expect(ids).to.include(elementId.link(node.name, i.segment));
                }
            }
            for (const segment of p.segments) {
                expect(ids, segment.key).to.include(elementId.segment(segment.key));
                for (const subnet of Object.values(segment.subnets)) expect(svg).to.include(subnet);
            }
            for (const tunnel of p.tunnels) {
                expect(ids, tunnel.name).to.include(elementId.tunnel(tunnel.name));
                expect(svg).to.include(`tunnel ${tunnel.name}`);
                for (const end of tunnel.ends) for (const ts of end.trafficSelectors) expect(svg).to.include(ts);
                // A tunnel is an edge between its two gateways, dashed.
                expect(dot).to.match(new RegExp(`"node-${tunnel.ends[0].gateway}" -> "node-${tunnel.ends[1].gateway}" \\[id="tunnel-${tunnel.name}"[^\\n]*style="dashed"`));
            }
            // Distinct shapes per role.
            for (const [role, shape] of [["router", "octagon"], ["gateway", "hexagon"], ["client", "box"], ["server", "box3d"]]) {
                if (p.nodes.some((n) => n.role === role)) expect(dot).to.match(new RegExp(`class="vnetlab-node role-${role}"[^\\n]*shape="${shape}"`));
            }
        });
    }

    it("is deterministic: same plan, same DOT and SVG", async () => {
        for (const [, plan] of cases) {
            expect(labDot(plan())).to.equal(labDot(plan()));
            expect(await labSvg(plan())).to.equal(await labSvg(plan()));
        }
    });

    it("colours nodes and tunnels by status; without status, nothing says pass or fail", async () => {
        const p = planOf("site-to-site");
        expect(labDot(p)).to.not.match(/status-/);
        const svg = unescaped(await labSvg(p, { nodes: new Map([["gateway-b", "fail"], ["gateway-a", "pass"]]), tunnels: new Map([["b-s", "fail"], ["a-s", "pass"]]) }));
        expect(svg).to.match(/id="tunnel-b-s" class="edge vnetlab-tunnel status-fail"/);
        expect(svg).to.match(/id="tunnel-a-s" class="edge vnetlab-tunnel status-pass"/);
        expect(svg).to.match(/id="node-gateway-b" class="node vnetlab-node role-gateway status-fail"/);
        // A node no check looked at is unchecked, not passed.
        expect(svg).to.match(/id="node-client-a1" class="node vnetlab-node role-client status-unchecked"/);
    });

    it("renders a PNG", async () => {
        const png = svgToPng(await labSvg(planOf("dev")));
        expect(png.subarray(1, 4).toString("ascii")).to.equal("PNG");
        // Width and height from the IHDR chunk: a real picture, not an empty canvas.
        expect(png.readUInt32BE(16)).to.be.greaterThan(500);
        expect(png.readUInt32BE(20)).to.be.greaterThan(500);
    });
});
