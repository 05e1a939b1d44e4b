// What `pulumi stack output` shows people, and the manifest tools read.
import type { LabPlan } from "./types";

export interface NodeRow {
    readonly node: string;
    readonly role: string;
    readonly site: string;
    /** Lab addresses with the lab's interface name, e.g. "10.1.0.1/16 (lan)". */
    readonly addresses: readonly string[];
    readonly container: string;
    readonly exec: string;
}

export interface TunnelRow {
    readonly tunnel: string;
    readonly type: string;
    readonly between: string;
    readonly trafficSelectors: string;
    readonly ike: string;
    readonly esp: string;
    readonly auth: string;
    readonly startAction: string;
    readonly mode: string;
}

export const MANIFEST_FORMAT = "vnetlab.manifest/v1";

export interface LabManifest {
    readonly format: typeof MANIFEST_FORMAT;
    readonly plan: LabPlan;
}

export function nodeRows(lab: LabPlan): NodeRow[] {
    return lab.nodes.map((n) => ({
        node: n.name,
        role: n.role,
        site: n.site ?? "-",
        addresses: n.interfaces.flatMap((i) => [
            ...Object.values(i.addresses).map((a) => `${a.address}/${a.prefixLength} (${i.name})`),
            ...i.extraAddresses.map((a) => `${a.address}/${a.prefixLength} (${i.name}, service)`),
        ]),
        container: n.containerName,
        exec: `docker ${hostFlag(lab, n.host)}exec -it ${n.containerName} bash`,
    }));
}

/** `-H <address> ` for a node on a host that is not the local engine (TLS hosts also need --tlsverify and the material). */
function hostFlag(lab: LabPlan, host: string | undefined): string {
    const address = lab.hosts?.find((h) => h.name === host)?.address;
    return address !== undefined ? `-H ${address} ` : "";
}

export function tunnelRows(lab: LabPlan): TunnelRow[] {
    return lab.tunnels.map((t) => {
        const [a, b] = t.ends;
        return {
            tunnel: t.name,
            type: t.type,
            between: `${a.gateway} ${a.address} <-> ${b.gateway} ${b.address}`,
            trafficSelectors: `${a.trafficSelectors.join(",")} <-> ${b.trafficSelectors.join(",")}`,
            ike: t.ike,
            esp: t.esp,
            auth: t.auth,
            startAction: t.startAction,
            mode: t.mode,
        };
    });
}

export function manifestOf(lab: LabPlan): LabManifest {
    return { format: MANIFEST_FORMAT, plan: lab };
}

/** A manifest read back (a file, a stack output), checked to be one. */
export function readManifest(value: unknown, from: string): LabManifest {
    const manifest = value as Partial<LabManifest> | undefined;
    if (!manifest || manifest.format !== MANIFEST_FORMAT || !manifest.plan) {
        throw new Error(`${from} holds no vnetlab manifest (expected format "${MANIFEST_FORMAT}")`);
    }
    return manifest as LabManifest;
}
