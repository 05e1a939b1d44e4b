// What of a lab exists on the Docker host, found by the lab's name and labels
// rather than by what an engine remembers making: a refused lab has no engine
// records to ask, and must have left nothing all the same.
import * as fs from "fs";
import Docker from "dockerode";
import { vethNames } from "../components/veth-parent";
import type { LabPlan } from "../plan/types";
import { TlsOf, labEngines } from "./engines";

/** On the given engine, or on every host of a lab that names several. */
export async function labLeftovers(docker: Docker, plan: LabPlan, tlsOf?: TlsOf): Promise<string[]> {
    const left: string[] = [];
    const ours = (name: string) => name.replace(/^\//, "").startsWith(`${plan.name}-`);
    for (const { host, docker: engine } of plan.hosts ? labEngines(plan, tlsOf) : [{ host: "", docker }]) {
        const on = host !== "" ? ` on ${host}` : "";
        for (const c of await engine.listContainers({ all: true })) {
            if (c.Labels?.["vnetlab.lab"] === plan.name || c.Names.some(ours)) left.push(`container ${c.Names.join(",")} (${c.State})${on}`);
        }
        for (const n of await engine.listNetworks()) {
            if (n.Labels?.["vnetlab.lab"] === plan.name || ours(n.Name)) left.push(`network ${n.Name}${on}`);
        }
    }
    for (const segment of plan.segments) {
        const veth = vethNames(segment.networkName);
        for (const link of [veth.name, veth.peer]) {
            if (fs.existsSync(`/sys/class/net/${link}`)) left.push(`veth ${link} (parent of ${segment.networkName})`);
        }
    }
    return left;
}
