// Faults a user applies to a running lab to watch it heal (npm run lab --
// fault): through the Docker API, on one node, nothing else touched.
import type Docker from "dockerode";
import type { InterfacePlan, LabPlan, NodePlan, SegmentPlan } from "../plan/types";
import { engineOfContainer } from "./engines";

/** Faults on a whole node. */
export const NODE_FAULTS = ["restart", "stop", "start"] as const;
export type NodeFault = (typeof NODE_FAULTS)[number];
/** Faults on one of a node's links: `docker network disconnect` and `connect` of one segment. */
export const LINK_FAULTS = ["disconnect", "connect"] as const;
export type LinkFault = { readonly kind: (typeof LINK_FAULTS)[number]; readonly segment: string };
export type Fault = NodeFault | LinkFault;
export const FAULTS = [...NODE_FAULTS, ...LINK_FAULTS.map((k) => `${k} <segment>`)] as const;

/** The fault the words after `<node>` name: `restart`, `stop`, `start`, `disconnect <segment>` or `connect <segment>`. */
export function parseFault(words: readonly string[]): Fault {
    const [kind, segment, ...rest] = words;
    if ((NODE_FAULTS as readonly string[]).includes(kind ?? "")) {
        if (segment !== undefined) throw new Error(`fault: ${kind} takes no segment (${words.join(" ")})`);
        return kind as NodeFault;
    }
    if ((LINK_FAULTS as readonly string[]).includes(kind ?? "")) {
        if (segment === undefined || rest.length > 0) throw new Error(`fault: ${kind} takes one segment, the network to ${kind} (e.g. ${kind} isp-a)`);
        return { kind: kind as LinkFault["kind"], segment };
    }
    throw new Error(`fault: "${words.join(" ")}" is not one of ${FAULTS.join(", ")}`);
}

/** Seconds Docker waits after SIGTERM before it kills: charon's DELETEs to its peers take milliseconds. */
const STOP_GRACE_SECONDS = 10;

/** What a node is in its lab, as an engineer would name it: "gateway moon (site moon)". */
export function describeNode(node: NodePlan): string {
    const role = node.role === "nat" ? "NAT router" : node.role === "roadwarrior" ? "road warrior" : node.role;
    return `${role} ${node.name}${node.site !== undefined && node.site !== node.name ? ` (site ${node.site})` : ""}`;
}

/** The node of the plan by name, or an error that lists the lab's nodes. */
export function nodeOf(plan: LabPlan, name: string): NodePlan {
    const node = plan.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`lab ${plan.name} has no node "${name}" (nodes: ${plan.nodes.map((n) => n.name).join(", ")})`);
    return node;
}

/**
 * The link of a node on a segment, named by the segment's key (isp-a), its
 * Docker network's name, or the node's name for the link (isp); else an
 * error that lists the node's segments, or the lab's.
 */
export function linkOf(plan: LabPlan, node: NodePlan, name: string): { readonly segment: SegmentPlan; readonly link: InterfacePlan } {
    const segment = plan.segments.find((s) => s.key === name || s.networkName === name)
        ?? plan.segments.find((s) => s.key === node.interfaces.find((i) => i.name === name)?.segment);
    const onIt = node.interfaces.map((i) => `${i.segment} (its ${i.name} link)`).join(", ");
    if (!segment) throw new Error(`lab ${plan.name} has no segment "${name}" (segments: ${plan.segments.map((s) => s.key).join(", ")}); ${node.name} is on ${onIt}`);
    const link = node.interfaces.find((i) => i.segment === segment.key);
    if (!link) throw new Error(`${describeNode(node)} is not on segment ${segment.key}: it is on ${onIt}`);
    return { segment, link };
}

const took = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/**
 * Cuts or restores one link through Docker's network API, with the addresses
 * the lab gave the link (Docker's own, which the node renames and re-addresses
 * by: image/vnetlab-start --relink).
 */
async function applyLinkFault(docker: Docker, plan: LabPlan, node: NodePlan, fault: LinkFault): Promise<string> {
    const { segment, link } = linkOf(plan, node, fault.segment);
    // The network's calls too go to the engine that runs the node: in a lab over several hosts, not the local one.
    const engine = engineOfContainer(docker, node.containerName);
    const container = engine.getContainer(node.containerName);
    const network = engine.getNetwork(segment.networkName);
    const what = `${segment.key} (network ${segment.networkName}, its ${link.name} link)`;
    const started = Date.now();
    const attached = (await container.inspect()).NetworkSettings.Networks[segment.networkName] !== undefined;
    if (fault.kind === "disconnect") {
        if (!attached) return `${describeNode(node)}: already disconnected from ${what}`;
        await network.disconnect({ Container: node.containerName });
        return `${describeNode(node)}: disconnected from ${what} in ${took(started)}`;
    }
    if (attached) return `${describeNode(node)}: already connected to ${what}`;
    const addresses = [link.docker.ipv4, ...(link.docker.ipv6 ? [link.docker.ipv6] : [])].join(", ");
    await network.connect({
        Container: node.containerName,
        EndpointConfig: { IPAMConfig: { IPv4Address: link.docker.ipv4, ...(link.docker.ipv6 ? { IPv6Address: link.docker.ipv6 } : {}) } },
    });
    return `${describeNode(node)}: connected to ${what} in ${took(started)}, Docker's ${addresses}`;
}

/** Applies one fault and says what it did, in one line. */
export async function applyFault(docker: Docker, plan: LabPlan, nodeName: string, fault: Fault): Promise<string> {
    const node = nodeOf(plan, nodeName);
    if (typeof fault !== "string") return applyLinkFault(docker, plan, node, fault);
    const container = docker.getContainer(node.containerName);
    const started = Date.now();
    const running = (await container.inspect()).State.Running;
    if (fault === "restart") await container.restart({ t: STOP_GRACE_SECONDS });
    else if (fault === "stop") {
        if (!running) return `${describeNode(node)}: already stopped (${node.containerName})`;
        await container.stop({ t: STOP_GRACE_SECONDS });
    } else {
        if (running) return `${describeNode(node)}: already running (${node.containerName})`;
        await container.start();
    }
    const done = { restart: "restarted", stop: "stopped", start: "started" }[fault];
    return `${describeNode(node)}: ${done} ${node.containerName} in ${took(started)}`;
}

/** One node of each role a lab has, the gateways split into a tunnel's initiator and a responder: what a heal test pulls the plug on. */
export function faultTargets(plan: LabPlan): { readonly role: string; readonly node: string }[] {
    const gateways = new Set(plan.nodes.filter((n) => n.role === "gateway").map((n) => n.name));
    const initiator = plan.tunnels.map((t) => t.ends[0].gateway).find((g) => gateways.has(g));
    const responder = plan.tunnels.map((t) => t.ends[1].gateway).find((g) => gateways.has(g) && g !== initiator);
    const first = (role: NodePlan["role"]) => plan.nodes.find((n) => n.role === role)?.name;
    const targets: [string, string | undefined][] = [
        ["router", first("router")],
        ["gateway (initiator)", initiator],
        ["gateway (responder)", responder],
        ["NAT router", first("nat")],
        ["road warrior", first("roadwarrior")],
        ["server", first("server")],
        ["client", first("client")],
    ];
    return targets.flatMap(([role, node]) => (node !== undefined ? [{ role, node }] : []));
}
