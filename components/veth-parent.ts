import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { onLocalEngine } from "../plan/hosts";
import type { LabPlan, SegmentPlan } from "../plan/types";

/**
 * The two ends of the veth pair that parents a network's macvlan: named after
 * the network, so that a leftover is recognisable and a second `up` names it
 * the same (vl + 8 hex + a/b, within the kernel's 15 characters).
 */
export function vethNames(network: string): { readonly name: string; readonly peer: string } {
    const tag = crypto.createHash("sha256").update(network).digest("hex").slice(0, 8);
    return { name: `vl${tag}a`, peer: `vl${tag}b` };
}

/**
 * Whether a segment's macvlan takes a veth pair of vnetlab's as its parent,
 * where Docker cannot make one: a macvlan without a configured parent, on the
 * local engine (the machine that runs Pulumi, where the pair is made).
 */
export function needsVethParent(lab: LabPlan, segment: SegmentPlan): boolean {
    return onLocalEngine(lab, segment) && segment.driver === "macvlan" && segment.parent === undefined;
}

interface VethPair {
    readonly name: string;
    readonly peer: string;
}

interface VethInputs {
    readonly pairs: readonly VethPair[];
}

/**
 * Makes the pairs of `news` that are not there and removes those of `olds`
 * that `news` does not hold, in one `ip -batch`: a process per link made a
 * 100-branch lab spend seconds in fork and exec. A pair that is already there
 * (left by an interrupted `up`, which Pulumi forgets) is taken as it is:
 * nothing else has these names, and a macvlan may sit on it.
 */
function syncVethPairs(olds: readonly VethPair[], news: readonly VethPair[]): void {
    const { execFileSync } = require("child_process") as typeof import("child_process");
    const fs = require("fs") as typeof import("fs");
    const exists = (link: string) => fs.existsSync(`/sys/class/net/${link}`);
    const kept = new Set(news.map((p) => p.name));
    const commands = [
        // The peer goes with each.
        ...olds.filter((p) => !kept.has(p.name) && exists(p.name)).map((p) => `link del ${p.name}`),
        ...news.filter((p) => !exists(p.name)).map((p) => `link add ${p.name} type veth peer name ${p.peer}`),
        ...news.flatMap((p) => [`link set ${p.name} up`, `link set ${p.peer} up`]),
    ];
    if (commands.length > 0) execFileSync("ip", ["-batch", "-"], { input: commands.join("\n") + "\n", stdio: ["pipe", "ignore", "pipe"] });
}

// Runs in Pulumi's dynamic-provider host, which gets these functions and
// syncVethPairs serialized: every module they use is required inside them.
export const vethProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: VethInputs) {
        syncVethPairs([], inputs.pairs);
        return { id: "veth-parents", outs: inputs };
    },
    async diff(_id: string, olds: VethInputs, news: VethInputs) {
        // A pair added or gone is an update of this one resource: the other pairs stay, and so do their networks.
        return { changes: JSON.stringify(olds.pairs) !== JSON.stringify(news.pairs) };
    },
    async update(_id: string, olds: VethInputs, news: VethInputs) {
        syncVethPairs(olds.pairs, news.pairs);
        return { outs: news };
    },
    async read(id: string, props: VethInputs) {
        // Refresh drops the pairs that are gone (a reboot), so the next `up` makes them again.
        const fs = require("fs") as typeof import("fs");
        return { id, props: { pairs: (props.pairs ?? []).filter((p) => fs.existsSync(`/sys/class/net/${p.name}`)) } };
    },
    async delete(_id: string, props: VethInputs) {
        syncVethPairs(props.pairs, []);
    },
};

/**
 * Isolated veth pairs on the Docker host, wired to nothing, one per macvlan
 * network as its parent: one resource for the whole lab. Docker's own
 * fallback for a macvlan without a parent is a dummy link, which some kernels
 * (this project's CI machines) cannot make; a veth keeps the segment as
 * isolated, and never a NIC that leaves the machine. Needs root on the
 * machine that runs Pulumi, which is then the Docker host.
 */
export class VethParents extends pulumi.dynamic.Resource {
    declare readonly pairs: pulumi.Output<VethPair[]>;

    /** `networks`: the Docker network names, each of which gets a pair. */
    constructor(name: string, networks: readonly string[], opts?: pulumi.CustomResourceOptions) {
        const pairs = [...networks].sort().map(vethNames);
        super(vethProvider, name, { pairs }, opts, "vnetlab", "VethParents");
    }
}
