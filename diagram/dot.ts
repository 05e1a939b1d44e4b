// The lab as a Graphviz graph: the router, each site as a cluster (gateway,
// LAN, hosts) hanging off its ISP link, tunnels as dashed gateway-to-gateway
// edges. Pure: the same plan (and status) gives the same text, so the diagram
// only changes when the lab does. Graphviz decides every coordinate.
import type { LabPlan, NodePlan, Role, SegmentPlan, TunnelPlan } from "../plan/types";

/** What the checks said about a node or a tunnel; the HTML report colours by it. */
export type Status = "pass" | "fail" | "unchecked";

export interface DiagramStatus {
    readonly nodes: ReadonlyMap<string, Status>;
    readonly tunnels: ReadonlyMap<string, Status>;
}

/** SVG element ids, stable so that tests and the report's stylesheet can find each part. */
export const elementId = {
    node: (name: string) => `node-${name}`,
    segment: (key: string) => `segment-${key}`,
    tunnel: (name: string) => `tunnel-${name}`,
    link: (node: string, segment: string) => `link-${node}-${segment}`,
} as const;

interface Look {
    readonly shape: string;
    readonly style: string;
    readonly fill: string;
    readonly stroke: string;
}

const ROLE_LOOK: Readonly<Record<Role, Look>> = {
    router: { shape: "octagon", style: "filled", fill: "#fdf1c7", stroke: "#9a7b0a" },
    gateway: { shape: "hexagon", style: "filled", fill: "#fde0c5", stroke: "#b35900" },
    client: { shape: "box", style: "rounded,filled", fill: "#dbeafe", stroke: "#1d4ed8" },
    server: { shape: "box3d", style: "filled", fill: "#dcfce7", stroke: "#15803d" },
    roadwarrior: { shape: "component", style: "filled", fill: "#ede9fe", stroke: "#6d28d9" },
    nat: { shape: "invhouse", style: "filled", fill: "#fef3c7", stroke: "#b45309" },
};

const SEGMENT_LOOK: Readonly<Record<SegmentPlan["kind"], Look>> = {
    lan: { shape: "box", style: "filled", fill: "#e5e7eb", stroke: "#4b5563" },
    isp: { shape: "box", style: "filled,dashed", fill: "#f5f5f4", stroke: "#78716c" },
    shared: { shape: "box", style: "filled,dashed", fill: "#fef9c3", stroke: "#a16207" },
};

const TUNNEL_COLOUR = "#7c3aed";

export const STATUS_COLOURS: Readonly<Record<Status, { readonly fill: string; readonly stroke: string }>> = {
    pass: { fill: "#bbf7d0", stroke: "#15803d" },
    fail: { fill: "#fecaca", stroke: "#dc2626" },
    unchecked: { fill: "#e5e7eb", stroke: "#6b7280" },
};

/** More sites than this are split above and below the router so that the picture stays near square. */
const ONE_ROW_SITES = 4;

const FONT = "Helvetica,Arial,sans-serif";

/** A DOT double-quoted string. */
const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
/** Text inside a DOT HTML-like label. */
const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const attrs = (a: Readonly<Record<string, string | number>>) =>
    `[${Object.entries(a).map(([k, v]) => `${k}=${typeof v === "number" ? v : k === "label" && v.startsWith("<") ? v : quote(v)}`).join(", ")}]`;

/** `name` in bold, then one small line per address: "lan 10.1.0.1/16". */
function nodeLabel(node: NodePlan): string {
    const lines = node.interfaces.flatMap((i) => [
        ...Object.values(i.addresses).map((a) => `${i.name} ${a.address}/${a.prefixLength}`),
        ...i.extraAddresses.map((a) => `service ${a.address}/${a.prefixLength}`),
    ]);
    const pools = Object.values(node.gateway?.pools ?? {}).map((p) => `pool ${p}`);
    const instances = [...pools, ...node.instances.map((s) => `${s.label} :${s.port}`)];
    const title = node.role === "router" ? `${node.name} (Internet)` : node.name;
    // A site's nodes share their site's host, which its cluster names.
    const host = node.host !== undefined && node.site === undefined ? [`on host ${node.host}`] : [];
    return `<<b>${html(title)}</b>${[...host, ...lines, ...instances].map((l) => `<br/><font point-size="10">${html(l)}</font>`).join("")}>`;
}

function segmentLabel(segment: SegmentPlan): string {
    const what = segment.kind === "lan" ? `LAN ${segment.site}` : segment.kind === "isp" ? `ISP link ${segment.site}` : `segment ${segment.key}`;
    const subnets = Object.values(segment.subnets).filter((s): s is string => s !== undefined);
    const across = segment.driver === "overlay" ? ["swarm overlay, across hosts"] : [];
    return `<<b>${html(what)}</b>${[...subnets, ...across].map((s) => `<br/><font point-size="10">${html(s)}</font>`).join("")}>`;
}

/** On a white table so that the dashed line does not run through the text. */
function tunnelLabel(tunnel: TunnelPlan): string {
    const [a, b] = tunnel.ends;
    const rows = [
        `<b>tunnel ${html(tunnel.name)}</b>`,
        `<font point-size="10">${html(tunnel.type)}${tunnel.mode === "transport" ? " (transport mode)" : ""}, ${tunnel.auth}, ${tunnel.startAction}</font>`,
        `<font point-size="10">${html(a.trafficSelectors.join(", "))} ↔ ${html(b.trafficSelectors.join(", "))}</font>`,
    ];
    return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1" bgcolor="white">${rows.map((r) => `<tr><td>${r}</td></tr>`).join("")}</table>>`;
}

function look(base: Look, status: Status | undefined): Look {
    return status ? { ...base, fill: STATUS_COLOURS[status].fill, stroke: STATUS_COLOURS[status].stroke } : base;
}

const statusClass = (status: Status | undefined) => (status ? ` status-${status}` : "");

/**
 * The lab's graph in DOT. With `status`, nodes and tunnels are filled and
 * stroked by their checks' result (role still shows in the shape) and carry a
 * `status-<pass|fail|unchecked>` class.
 */
export function labDot(plan: LabPlan, status?: DiagramStatus): string {
    const out: string[] = [];
    const nodeStatus = (name: string): Status | undefined => (status ? status.nodes.get(name) ?? "unchecked" : undefined);
    const tunnelStatus = (name: string): Status | undefined => (status ? status.tunnels.get(name) ?? "unchecked" : undefined);

    const nodeLine = (node: NodePlan) => {
        const s = nodeStatus(node.name);
        const l = look(ROLE_LOOK[node.role], s);
        return `${quote(elementId.node(node.name))} ${attrs({
            id: elementId.node(node.name), class: `vnetlab-node role-${node.role}${statusClass(s)}`, label: nodeLabel(node),
            shape: l.shape, style: l.style, fillcolor: l.fill, color: l.stroke, penwidth: s === "fail" ? 2.5 : 1.2,
        })};`;
    };
    const segmentLine = (segment: SegmentPlan) => {
        const l = SEGMENT_LOOK[segment.kind];
        return `${quote(elementId.segment(segment.key))} ${attrs({
            id: elementId.segment(segment.key), class: `vnetlab-segment segment-${segment.kind}`, label: segmentLabel(segment),
            shape: l.shape, style: l.style, fillcolor: l.fill, color: l.stroke, width: 2.2,
        })};`;
    };
    /** A cable; `up` draws it from the far end so that Graphviz ranks the node above the segment. */
    const linkLine = (node: string, segment: string, up: boolean) => {
        const [tail, head] = up ? [elementId.segment(segment), elementId.node(node)] : [elementId.node(node), elementId.segment(segment)];
        return `${quote(tail)} -> ${quote(head)} ${attrs({ id: elementId.link(node, segment), class: "vnetlab-link", dir: "none", color: "#4b5563" })};`;
    };

    out.push("digraph vnetlab {");
    out.push(`  graph ${attrs({ label: `<<b>${html(plan.name)}</b><br/><font point-size="11">stack ${html(plan.stack)}</font>>`, labelloc: "t", fontname: FONT, fontsize: 16, newrank: "true", nodesep: 0.35, ranksep: 0.45, pad: 0.3, bgcolor: "white" })};`);
    out.push(`  node ${attrs({ fontname: FONT, fontsize: 12, margin: "0.12,0.06" })};`);
    out.push(`  edge ${attrs({ fontname: FONT, fontsize: 11 })};`);

    // The router, NAT routers and road warriors belong to no site.
    for (const node of plan.nodes.filter((n) => n.site === undefined)) out.push(`  ${nodeLine(node)}`);

    // Shared segments sit between the sites, like the router.
    for (const segment of plan.segments.filter((s) => s.kind === "shared")) out.push(`  ${segmentLine(segment)}`);
    // From the nodes: a lone host on a shared segment has no segment of its own.
    const sites = [...new Set(plan.nodes.flatMap((n) => (n.site !== undefined ? [n.site] : [])))];
    const above = sites.length > ONE_ROW_SITES ? new Set(sites.slice(0, Math.floor(sites.length / 2))) : new Set<string>();
    for (const site of sites) {
        const segments = plan.segments.filter((s) => s.site === site);
        const members = plan.nodes.filter((n) => n.site === site);
        const isp = segments.find((s) => s.kind === "isp");
        // The ISP link sits between the router and the site: it belongs to neither alone.
        if (isp) out.push(`  ${segmentLine(isp)}`);
        out.push(`  subgraph ${quote(`cluster_site_${site}`)} {`);
        const host = members.find((n) => n.host !== undefined)?.host;
        out.push(`    graph ${attrs({ id: `site-${site}`, class: "vnetlab-site", label: `site ${site}${host !== undefined ? ` on host ${host}` : ""}`, labeljust: "l", style: "rounded,dashed", color: "#9ca3af", fontsize: 12 })};`);
        for (const segment of segments.filter((s) => s.kind === "lan")) out.push(`    ${segmentLine(segment)}`);
        for (const node of members) out.push(`    ${nodeLine(node)}`);
        out.push("  }");
    }
    // Cables, in plan order. Above the router a site is drawn upside down: hosts on top.
    for (const node of plan.nodes) {
        for (const i of node.interfaces) {
            const segment = plan.segments.find((s) => s.key === i.segment);
            if (!segment) continue;
            const site = segment.site;
            // Top to bottom: router, ISP link, gateway, LAN, hosts. An edge points down that chain.
            const downFromNode = node.role === "router" || (node.role === "gateway" && segment.kind === "lan");
            const down = site !== undefined && above.has(site) ? !downFromNode : downFromNode;
            out.push(`  ${linkLine(node.name, segment.key, !down)}`);
        }
    }
    for (const tunnel of plan.tunnels) {
        const s = tunnelStatus(tunnel.name);
        const colour = s ? STATUS_COLOURS[s].stroke : TUNNEL_COLOUR;
        const [a, b] = tunnel.ends;
        out.push(`  ${quote(elementId.node(a.gateway))} -> ${quote(elementId.node(b.gateway))} ${attrs({
            id: elementId.tunnel(tunnel.name), class: `vnetlab-tunnel${statusClass(s)}`, label: tunnelLabel(tunnel),
            style: "dashed", color: colour, fontcolor: s === "fail" ? colour : "#3b0764", penwidth: s === "fail" ? 3 : 2,
            dir: "both", arrowhead: "none", arrowtail: "dot", arrowsize: 0.7, constraint: "false",
        })};`);
    }
    out.push("}");
    return `${out.join("\n")}\n`;
}
