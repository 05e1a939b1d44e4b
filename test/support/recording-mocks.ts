// Pulumi mocks that record every registered resource, for unit tests that
// look at what the program asks Docker for without a Docker engine.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { deployLab } from "../../components";
import { loadStackLab } from "../../model/stack-file";
import { realizeTls } from "../../engine/tls";
import { unwrapSecrets } from "../../engine/values";

/** How a secret input reaches the mocks (see ENVIRONMENT.md). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

/**
 * The seed of every lab the unit tests run: fixed, so that no test depends
 * on randomness, and as long as a real one must be.
 */
export const TEST_SEED = "vnetlab-unit-tests-seed-0123456789abcdef";

/** What a mocked RandomPassword returns, easy to search for in every input. */
export const fakePsk = (name: string) => `fake-psk-for-${name}-0123456789`;

/**
 * What a stack's state keeps between runs: keys and certificates are made
 * once and then read back, as `pulumi up` does. Share one between two runs to
 * see what a second `pulumi up` would register.
 */
export type MockState = Map<string, { id: string; outputs: Record<string, unknown> }>;

export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: Registered[] = [];

    constructor(private readonly state: MockState = new Map()) {}

    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, unknown> }> {
        // Component resources reach the mocks too; only custom ones become Docker objects.
        if (args.custom !== false) this.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        if (args.type.startsWith("tls:")) {
            // Real keys and certificates: the program signs CRLs with them.
            const key = `${args.type}::${args.name}`;
            let kept = this.state.get(key);
            if (!kept) {
                kept = await realizeTls(args.type, unwrapSecrets(args.inputs) as Record<string, unknown>)!;
                this.state.set(key, kept);
            }
            return { id: kept.id, state: { ...args.inputs, ...kept.outputs } };
        }
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "docker:index/image:Image") {
            state.repoDigest = `sha256:${crypto.createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex")}`;
        }
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = fakePsk(args.name);
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

/** Runs the whole program for a lab config under fresh recording mocks and waits until every node is registered. */
export async function runLab(
    lab: unknown,
    stack: string,
    psks: Record<string, string> = {},
    mocks: RecordingMocks = new RecordingMocks(),
): Promise<RecordingMocks> {
    pulumi.runtime.setMocks(mocks, "vnetlab", stack, false);
    const deployed = deployLab({
        lab,
        stack,
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
