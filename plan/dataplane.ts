// What a lab needs from the Docker host's kernel, and the refusal when the
// host lacks it. Transport mode and a forced kernel dataplane need IPsec ESP
// in the kernel (xfrm); a kernel without it leaves strongSwan's userspace
// kernel-libipsec, which implements tunnel mode only. Pure: the question to
// the host is host/preflight.ts's, the start program guards the same rule.
import { LabRefusedError, formatPath } from "../model/errors";
import type { LabPlan } from "./types";

export interface KernelIpsecNeeds {
    /** Tunnels in transport mode, by name. */
    readonly transport: readonly string[];
    /** The lab set `dataplane: kernel` and has tunnels for it to carry. */
    readonly forced: boolean;
}

/** undefined when every tunnel can run on either dataplane. */
export function kernelIpsecNeeds(plan: Pick<LabPlan, "tunnels" | "dataplane">): KernelIpsecNeeds | undefined {
    const transport = plan.tunnels.filter((t) => t.mode === "transport").map((t) => t.name);
    const forced = plan.dataplane === "kernel" && plan.tunnels.length > 0;
    return transport.length > 0 || forced ? { transport, forced } : undefined;
}

/** The Docker host's answer: does its kernel take an ESP SA? */
export interface HostEsp {
    readonly esp: boolean;
    /** How the answer was had, for the message (e.g. the kernel's refusal). */
    readonly detail: string;
}

/** A lab the Docker host cannot carry, refused before anything was created. */
export class DataplaneUnavailableError extends LabRefusedError {
    constructor(readonly lab: string, readonly needs: KernelIpsecNeeds, readonly host: HostEsp) {
        super(refusalMessage(lab, needs, host));
        this.name = "DataplaneUnavailableError";
    }
}

const list = (names: readonly string[]) => names.join(", ");

function refusalMessage(lab: string, needs: KernelIpsecNeeds, host: HostEsp): string {
    const { transport, forced } = needs;
    const lines = [`lab ${lab} cannot run on this Docker host; nothing was created:`];
    if (transport.length > 0) {
        const paths = transport.map((t) => formatPath(["tunnels", t, "mode"]));
        lines.push(`  ${transport.length === 1 ? "tunnel" : "tunnels"} ${list(transport)} ${transport.length === 1 ? "needs" : "need"} transport mode (${list(paths)});`);
    }
    if (forced) lines.push(`  the lab sets dataplane: kernel (${formatPath(["dataplane"])});`);
    lines.push(`  this Docker host's kernel has no IPsec ESP (${host.detail});`);
    if (transport.length > 0) {
        lines.push("  strongSwan's userspace dataplane (kernel-libipsec), the only one such a host can run, supports tunnel mode only.");
    }
    const fixes: string[] = [];
    if (transport.length > 0) fixes.push(`use mode: tunnel for ${list(transport)}`);
    if (forced) fixes.push("use dataplane: auto (the userspace dataplane then carries tunnel-mode tunnels)");
    fixes.push("or run the lab on a Docker host whose kernel has IPsec ESP (a usual Linux host, Docker Desktop)");
    lines.push(`${fixes.join(", ").replace(/^./, (c) => c.toUpperCase())}.`);
    return lines.join("\n");
}
