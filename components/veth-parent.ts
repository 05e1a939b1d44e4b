import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * The two ends of the veth pair that parents a network's macvlan: named after
 * the network, so that a leftover is recognisable and a second `up` names it
 * the same (vl + 8 hex + a/b, within the kernel's 15 characters).
 */
export function vethNames(network: string): { readonly name: string; readonly peer: string } {
    const tag = crypto.createHash("sha256").update(network).digest("hex").slice(0, 8);
    return { name: `vl${tag}a`, peer: `vl${tag}b` };
}

interface VethInputs {
    readonly name: string;
    readonly peer: string;
}

// Runs in Pulumi's dynamic-provider host, which gets these functions
// serialized: everything they use is required inside them.
const vethProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: VethInputs) {
        const { execFileSync } = require("child_process") as typeof import("child_process");
        const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
        // A pair left by an interrupted `up` (Pulumi forgets a create it did
        // not see finish) would make `link add` fail; nothing else has these names.
        try {
            ip("link", "del", inputs.name);
        } catch {
            // Not there: the usual case.
        }
        ip("link", "add", inputs.name, "type", "veth", "peer", "name", inputs.peer);
        ip("link", "set", inputs.name, "up");
        ip("link", "set", inputs.peer, "up");
        return { id: inputs.name, outs: inputs };
    },
    async diff(_id: string, olds: VethInputs, news: VethInputs) {
        const replaces = (["name", "peer"] as const).filter((k) => olds[k] !== news[k]);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async read(id: string, props: VethInputs) {
        // Refresh drops a pair that is gone (a reboot), so the next `up` makes it again.
        const fs = require("fs") as typeof import("fs");
        return fs.existsSync(`/sys/class/net/${id}`) ? { id, props } : { id: "", props: {} };
    },
    async delete(id: string) {
        const { execFileSync } = require("child_process") as typeof import("child_process");
        try {
            // The peer goes with it.
            execFileSync("ip", ["link", "del", id], { stdio: ["ignore", "ignore", "pipe"] });
        } catch (e) {
            const fs = require("fs") as typeof import("fs");
            if (fs.existsSync(`/sys/class/net/${id}`)) throw e;
        }
    },
};

/**
 * An isolated veth pair on the Docker host, wired to nothing, as the parent
 * of one macvlan network. Docker's own fallback for a macvlan without a
 * parent is a dummy link, which some kernels (this project's CI machines)
 * cannot make; a veth keeps the segment as isolated, and never a NIC that
 * leaves the machine. Needs root on the machine that runs Pulumi, which is
 * then the Docker host.
 */
export class VethParent extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;
    declare readonly peer: pulumi.Output<string>;

    constructor(name: string, network: string, opts?: pulumi.CustomResourceOptions) {
        super(vethProvider, name, { ...vethNames(network) }, opts, "vnetlab", "VethParent");
    }
}
