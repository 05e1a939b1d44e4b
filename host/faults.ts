// Faults a user applies to a running lab to watch it heal (npm run lab --
// fault): through the Docker API, on one node, nothing else touched.
import type Docker from "dockerode";
import type { LabPlan, NodePlan } from "../plan/types";

export const FAULTS = ["restart", "stop", "start"] as const;
export type Fault = (typeof FAULTS)[number];

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

/** Applies one fault and says what it did, in one line. */
export async function applyFault(docker: Docker, plan: LabPlan, nodeName: string, fault: Fault): Promise<string> {
    const node = nodeOf(plan, nodeName);
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
    return `${describeNode(node)}: ${done} ${node.containerName} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
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
