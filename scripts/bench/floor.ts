// The floor a lab's boot is measured against: the same segments as macvlan
// networks on isolated veth parents, and the same nodes as containers of the
// same image running `sleep`, attached to the same networks at the same
// addresses, all started in parallel with bare Docker API calls. What a lab
// adds on top (its program, PKI, uploads, start scripts, readiness) is the
// engine's overhead.
import { execFile } from "child_process";
import { promisify } from "util";
import Docker from "dockerode";
import type { LabPlan } from "../../plan/types";
import { vethNames } from "../../components/veth-parent";
import { dockerMakesMacvlanParents } from "../../host/links";

const ip = (...args: string[]) => promisify(execFile)("ip", args);

/** The same isolated parent a lab's VethParent makes. */
async function addVethPair(network: string): Promise<{ name: string }> {
    const { name, peer } = vethNames(network);
    await ip("link", "add", name, "type", "veth", "peer", "name", peer);
    await ip("link", "set", name, "up");
    await ip("link", "set", peer, "up");
    return { name };
}

const deleteLink = (name: string) => ip("link", "del", name).then(() => undefined, () => undefined);

export interface FloorFigures {
    readonly bootSeconds: number;
    readonly teardownSeconds: number;
}

const since = (t0: number) => (Date.now() - t0) / 1000;

export async function measureFloor(docker: Docker, plan: LabPlan, image: string): Promise<FloorFigures> {
    const networkName = (segment: string) => `vnetlab-floor-${segment}`;
    const containerName = (node: string) => `vnetlab-floor-${node}`;
    const parents: string[] = [];
    const containers: Docker.Container[] = [];
    // As the lab does: a veth parent each only where Docker cannot make its own.
    const vethParents = !dockerMakesMacvlanParents();
    const t0 = Date.now();
    try {
        await Promise.all(plan.segments.map(async (s) => {
            const parent = vethParents ? (await addVethPair(networkName(s.key))).name : undefined;
            if (parent) parents.push(parent);
            await docker.createNetwork({
                Name: networkName(s.key), Driver: "macvlan", Options: parent ? { parent } : {}, Internal: true,
                EnableIPv6: s.docker.ipv6 !== undefined,
                IPAM: { Driver: "default", Config: [s.docker.ipv4, ...(s.docker.ipv6 ? [s.docker.ipv6] : [])].map((d) => ({ Subnet: d.subnet, Gateway: d.gateway })) },
            });
        }));
        await Promise.all(plan.nodes.map(async (n) => {
            const endpoint = (i: (typeof n.interfaces)[number]) => ({ IPAMConfig: { IPv4Address: i.docker.ipv4, ...(i.docker.ipv6 ? { IPv6Address: i.docker.ipv6 } : {}) } });
            const [first, ...rest] = n.interfaces;
            const c = await docker.createContainer({
                name: containerName(n.name), Image: image, Entrypoint: ["sleep"], Cmd: ["infinity"],
                HostConfig: { NetworkMode: networkName(first.segment) },
                NetworkingConfig: { EndpointsConfig: { [networkName(first.segment)]: endpoint(first) } },
            });
            containers.push(c);
            for (const i of rest) await docker.getNetwork(networkName(i.segment)).connect({ Container: c.id, EndpointConfig: endpoint(i) });
            await c.start();
        }));
        return { bootSeconds: since(t0), teardownSeconds: await teardown() };
    } catch (e) {
        await teardown().catch(() => undefined);
        throw e;
    }

    async function teardown(): Promise<number> {
        const t1 = Date.now();
        await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined)));
        await Promise.all(plan.segments.map((s) => docker.getNetwork(networkName(s.key)).remove().catch(() => undefined)));
        await Promise.all(parents.map(deleteLink));
        return since(t1);
    }
}
