// After an `up` that replaced some gateways: the other end of each of their
// tunnels still holds IKE and CHILD SAs with a peer that no longer exists.
// Its packets go into SAs the new peer does not know, and only Dead Peer
// Detection would notice, minutes later. So the unchanged end drops that
// tunnel's SAs at once, and dials again if it is the end that dials
// (a road warrior, the initiator of a tunnel started at boot); a trapped
// tunnel comes back with its next packet.
import Docker from "dockerode";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { dials, gatewayTunnels, runsIke } from "../configs";
import type { LabPlan } from "../plan/types";
import { execIn } from "../verify/exec";

const CONTAINER = "docker:index/container:Container";

/** Nodes whose containers an update made anew (replaced or created), from the engine's events. */
export function remadeNodes(events: readonly EngineEvent[]): Set<string> {
    const names = new Set<string>();
    for (const event of events) {
        const step = event.resOutputsEvent?.metadata;
        if (step?.type === CONTAINER && ["create", "create-replacement", "replace", "update"].includes(step.op)) {
            names.add(step.urn.slice(step.urn.lastIndexOf("::") + 2));
        }
    }
    return names;
}

export interface TunnelReset {
    /** The unchanged end. */
    readonly node: string;
    readonly tunnel: string;
    /** Its remade peer. */
    readonly peer: string;
    readonly dial: boolean;
}

/** Which unchanged ends must let go of which tunnels, given the nodes that were remade. */
export function tunnelResets(plan: LabPlan, remade: ReadonlySet<string>): TunnelReset[] {
    return plan.nodes.filter((n) => !remade.has(n.name) && runsIke(n)).flatMap((node) =>
        gatewayTunnels(node, plan)
            .filter((t) => remade.has(t.remote.gateway))
            .map((t) => ({ node: node.name, tunnel: t.tunnel.name, peer: t.remote.gateway, dial: dials(t) })));
}

/** Drops each tunnel's SAs on its unchanged end, and dials where that end is the one that dials. */
export async function resetTunnels(docker: Docker, plan: LabPlan, resets: readonly TunnelReset[]): Promise<void> {
    await Promise.all(resets.map(async (reset) => {
        const container = plan.nodes.find((n) => n.name === reset.node)!.containerName;
        // Nothing to terminate is no failure: the SA may have gone already.
        await execIn(docker, container, ["swanctl", "--terminate", "--ike", reset.tunnel, "--force", "--timeout", "5"], 15);
        if (!reset.dial) return;
        let last = "";
        for (let attempt = 1; attempt <= 3; attempt++) {
            const call = await execIn(docker, container, ["swanctl", "--initiate", "--child", reset.tunnel, "--timeout", "10"], 20);
            if (call.exitCode === 0) return;
            last = `${call.stdout}${call.stderr}`.trim().split("\n").slice(-3).join("; ");
        }
        throw new Error(`${reset.node} could not dial ${reset.tunnel} again after ${reset.peer} was replaced: ${last}`);
    }));
}
