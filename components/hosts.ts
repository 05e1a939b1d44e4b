import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { DockerHostPlan } from "../plan/types";
import { EngineConnection, connectionOf } from "../host/engines";

/** TLS material of a tcp:// host, from the stack's secrets (index.ts). */
export interface HostTls {
    readonly ca: pulumi.Input<string>;
    readonly cert: pulumi.Input<string>;
    readonly key: pulumi.Input<string>;
}

/**
 * One Docker provider per host, Pulumi's way to address several engines;
 * the local engine's too (no address: DOCKER_HOST or the default socket),
 * so that no resource of a node placed elsewhere falls back to it unasked.
 */
export function hostProvider(host: DockerHostPlan, tls: HostTls | undefined, opts: pulumi.CustomResourceOptions): docker.Provider {
    // deployLab refuses missing secrets with what to set (requireHostTls); this is a Lab made some other way.
    if (host.tls && tls === undefined) throw new Error(`host ${host.name}: tls is on, but LabArgs.hostTls holds no material for it`);
    return new docker.Provider(`host-${host.name}`, {
        ...(host.address !== undefined ? { host: host.address } : {}),
        ...(tls ? { caMaterial: pulumi.secret(tls.ca), certMaterial: pulumi.secret(tls.cert), keyMaterial: pulumi.secret(tls.key) } : {}),
    }, opts);
}

interface ImageCopyInputs {
    /** The image's `sha256:` id on the local engine. */
    readonly imageId: string;
    /** The name it gets on the host too. */
    readonly imageName: string;
    readonly target: EngineConnection;
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
}

// Runs in Pulumi's dynamic-provider host, which gets these functions
// serialized: everything they use is required inside them.
const imageCopyProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ImageCopyInputs) {
        const Docker = require("dockerode") as typeof import("dockerode");
        const target = new Docker({ ...inputs.target, ...(inputs.ca ? { ca: inputs.ca, cert: inputs.cert, key: inputs.key } : {}) });
        const has = await target.getImage(inputs.imageId).inspect().then(() => true, () => false);
        if (!has) {
            // `docker save | docker load`: the image id (its config's digest) stays the same on the host.
            const saved = await new Docker().getImage(inputs.imageId).get();
            const loading = await target.loadImage(saved, { quiet: true });
            await new Promise<void>((resolve, reject) => target.modem.followProgress(loading, (err: Error | null) => (err ? reject(err) : resolve())));
        }
        const colon = inputs.imageName.lastIndexOf(":");
        const [repo, tag] = colon > inputs.imageName.lastIndexOf("/") ? [inputs.imageName.slice(0, colon), inputs.imageName.slice(colon + 1)] : [inputs.imageName, "latest"];
        await target.getImage(inputs.imageId).tag({ repo, tag });
        return { id: inputs.imageId, outs: inputs };
    },
    async diff(_id: string, olds: ImageCopyInputs, news: ImageCopyInputs) {
        const replaces: string[] = (["imageId", "imageName"] as const).filter((k) => olds[k] !== news[k]);
        if (JSON.stringify(olds.target) !== JSON.stringify(news.target)) replaces.push("target");
        return { changes: replaces.length > 0, replaces };
    },
    async read(id: string, props: ImageCopyInputs) {
        // Refresh drops a copy that is gone from the host, so the next `up` loads it again.
        const Docker = require("dockerode") as typeof import("dockerode");
        const target = new Docker({ ...props.target, ...(props.ca ? { ca: props.ca, cert: props.cert, key: props.key } : {}) });
        const has = await target.getImage(id).inspect().then(() => true, () => false);
        return has ? { id, props } : { id: "", props: {} };
    },
    // Kept on destroy, as the local build is (keepLocally): other labs run it, and the next `up` finds it.
    async delete() {},
};

/**
 * The node image on a host that is not the local engine, copied from the
 * local build through the Docker API (save, load, tag): a host needs no
 * build context, no Debian mirror and no registry. Its `imageId` is the
 * local one, so a rebuilt image replaces the copy and then the containers.
 */
export class NodeImageCopy extends pulumi.dynamic.Resource {
    declare readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: { readonly imageId: pulumi.Input<string>; readonly imageName: string; readonly host: DockerHostPlan; readonly tls?: HostTls },
        opts?: pulumi.CustomResourceOptions) {
        const tls = args.tls ? { ca: pulumi.secret(args.tls.ca), cert: pulumi.secret(args.tls.cert), key: pulumi.secret(args.tls.key) } : {};
        super(imageCopyProvider, name, { imageId: args.imageId, imageName: args.imageName, target: connectionOf(args.host.address, args.host.tls), ...tls },
            opts, "vnetlab", "NodeImageCopy");
    }
}
