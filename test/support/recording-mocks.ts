// Pulumi mocks that record every registered resource, for unit tests that
// look at what the program asks Docker for without a Docker engine.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { deployLab } from "../../components";
import { BUNDLE_PATH, NodeFile, parseFileBundle } from "../../configs";
import { loadStackLab } from "../../model/stack-file";

/** How a secret input reaches the mocks (see ENVIRONMENT.md). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    /** The explicit provider's reference ("<urn>::<id>"), when it has one. */
    readonly provider?: string;
}

/**
 * The seed of every lab the unit tests run: fixed, so that no test depends
 * on randomness, and as long as a real one must be.
 */
export const TEST_SEED = "vnetlab-unit-tests-seed-0123456789abcdef";

export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: Registered[] = [];

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        // Component resources reach the mocks too; only custom ones become Docker objects.
        if (args.custom !== false) {
            this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, ...(args.provider ? { provider: args.provider } : {}) });
        }
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "docker:index/remoteImage:RemoteImage") {
            // What the provider reads back: the built image's full id, a function of what was built.
            state.imageId = `sha256:${crypto.createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex")}`;
        }
        return { id: `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        throw new Error(`unexpected call ${args.token}`);
    }

    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    containers(): Registered[] {
        return this.ofType("docker:index/container:Container");
    }

    /** The container of one node, by its resource name. */
    container(name: string): Registered {
        const found = this.containers().find((c) => c.name === name);
        if (!found) throw new Error(`no container ${name} among ${this.containers().map((c) => c.name).join(", ")}`);
        return found;
    }

    networks(): Registered[] {
        return this.ofType("docker:index/network:Network");
    }
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => { resolve(value); return value; }));
}

export function isSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A container's upload as the program registers it (docker.types.input.ContainerUpload, resolved). */
export interface RecordedUpload {
    readonly file: string;
    readonly content: string;
    readonly permissions?: string;
}

const reveal = (value: unknown): unknown => (isSecret(value) ? value.value : value);

/** A container's uploads as registered, with any secret around the list or inside it taken off. */
export function uploadsOf(container: Registered): RecordedUpload[] {
    const uploads = reveal(container.inputs.uploads);
    if (!Array.isArray(uploads)) throw new Error(`${container.name} has no list of uploads: ${JSON.stringify(uploads)}`);
    return uploads.map((u) => {
        const upload = reveal(u) as Record<string, unknown>;
        return { ...upload, content: reveal(upload.content) } as RecordedUpload;
    });
}

/**
 * The files a container gets, by path, as the image's unpacker writes them:
 * read out of its one upload, the bundle at BUNDLE_PATH. Throws unless that
 * is its only upload.
 */
export function filesOf(container: Registered): Map<string, NodeFile> {
    const uploads = uploadsOf(container);
    if (uploads.length !== 1 || uploads[0].file !== BUNDLE_PATH) {
        throw new Error(`${container.name}: expected one upload, the bundle ${BUNDLE_PATH}; found ${uploads.map((u) => u.file).join(", ") || "none"}`);
    }
    return new Map(parseFileBundle(uploads[0].content).map((f) => [f.path, f]));
}

/**
 * Runs the whole program for a lab config under fresh recording mocks and
 * waits until every node is registered. The seed goes in plain, unlike
 * config.getSecret's: what is secret must be so because the components make it so.
 */
export async function runLab(
    lab: unknown,
    stack: string,
    psks: Record<string, string> = {},
    mocks: RecordingMocks = new RecordingMocks(),
    seed: string = TEST_SEED,
): Promise<RecordingMocks> {
    pulumi.runtime.setMocks(mocks, "vnetlab", stack, false);
    const deployed = deployLab({
        lab,
        stack,
        seed,
        tunnelSecret: (t) => (psks[t] !== undefined ? pulumi.secret(psks[t]) : undefined),
    });
    await promiseOf(deployed.manifest);
    return mocks;
}

/** A stack's raw lab config, freshly parsed, so a test may change it. */
export function stackLab(stack: string): Record<string, unknown> {
    return loadStackLab(stack) as Record<string, unknown>;
}

export const STACKS = [
    "dev", "host-to-host", "site-to-site", "site-to-site-ipv6", "full-mesh",
    "net2net", "dual-stack", "host2host", "roadwarriors", "nat", "host-to-host-transport",
] as const;
