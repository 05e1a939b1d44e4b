// A lab's Pulumi stack, driven through the Automation API: the real CLI, the
// project's own program (index.ts) through the Node language host, the Docker
// provider, state in the project's backend. `npm run lab`, the bench and the
// end-to-end tests all go through here.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import { parse, stringify } from "yaml";
import {
    CommandError, DestroyResult, EngineEvent, LocalWorkspace, OpMap, PreviewResult, PulumiCommand, Stack, UpResult,
} from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../model/stack-file";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { LabManifest, MANIFEST_FORMAT } from "../plan/summary";
import { waitUntilReady } from "../verify/ready";
import { checkDataplane } from "../host/preflight";
import { SETUP_HINT, Toolchain, findToolchain } from "./toolchain";

/** The stack secret every derived key and PSK comes from (configs/pki.ts). */
export const SEED_KEY = "vnetlab:seed";
export const LAB_KEY = "vnetlab:lab";

export const stackFile = (stack: string, dir: string = PROJECT_DIR) => path.join(dir, `Pulumi.${stack}.yaml`);

interface StackDocument {
    config?: Record<string, unknown>;
    [key: string]: unknown;
}

function readStackDocument(file: string): StackDocument {
    return fs.existsSync(file) ? ((parse(fs.readFileSync(file, "utf8")) as StackDocument | null) ?? {}) : {};
}

/**
 * Writes `lab` as the stack file's `vnetlab:lab`, keeping what Pulumi added
 * (encryption salt, the seed): for generated labs and the tests' variants,
 * which have no stack file of their own in the project.
 */
export function writeStackLab(stack: string, lab: unknown, dir: string = PROJECT_DIR): void {
    const file = stackFile(stack, dir);
    const doc = readStackDocument(file);
    doc.config = { ...(doc.config ?? {}), [LAB_KEY]: lab };
    fs.writeFileSync(file, `# Written by vnetlab for stack ${stack}.\n${stringify(doc)}`);
}

/** Pulumi's own message out of a failed CLI run, without the command line and the noise around it. */
export function pulumiError(e: unknown): Error {
    if (!(e instanceof CommandError)) return e instanceof Error ? e : new Error(String(e));
    const text = e.message;
    const stderr = /\nstderr: ([\s\S]*?)(?:\nerr\?: |$)/.exec(text)?.[1] ?? "";
    const stdout = /\nstdout: ([\s\S]*?)\nstderr: /.exec(text)?.[1] ?? "";
    // Diagnostics ("error: ...") and the program's exception, as Pulumi printed them.
    const diagnostics = stdout.split("\n").filter((l) => /^\s+(error|warning):|^\s{4,}\S/.test(l) && !/using pulumi-resource/.test(l));
    const message = [stderr.trim(), ...diagnostics.map((l) => l.trimEnd())].filter(Boolean).join("\n");
    const hint = /no resource plugin|plugin .* not found|could not find plugin/i.test(text) ? `\n${SETUP_HINT}` : "";
    return new Error(`${message || text}${hint}`);
}

export interface LabStackOptions {
    /** A lab config to write as the stack file's `vnetlab:lab` first (generated labs, tests). */
    readonly lab?: unknown;
    /** Overrides of the environment the CLI runs in (PULUMI_BACKEND_URL, …). */
    readonly env?: NodeJS.ProcessEnv;
    /**
     * Ask the Docker host whether its kernel carries the lab's IPsec
     * (host/preflight.ts) and refuse the lab if not; default true. The
     * program asks too, for `pulumi` run by hand. Off for a destroy.
     */
    readonly preflight?: boolean;
}

export interface UpOptions {
    readonly onEvent?: (event: EngineEvent) => void;
    readonly onReady?: (node: string) => void;
    /** Seconds each node may take to say it is ready. */
    readonly readyTimeoutSeconds?: number;
}

export interface LabUpResult {
    readonly plan: LabPlan;
    /** What the engine did, by operation; `{ same: N }` only when nothing changed. */
    readonly changes: OpMap;
}

/** Operations that changed something. */
export function changed(changes: OpMap | undefined): OpMap {
    return Object.fromEntries(Object.entries(changes ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
}

export class LabStack {
    private constructor(
        readonly name: string,
        readonly stack: Stack,
        readonly toolchain: Toolchain,
        /** The lab as planned from the stack file, before Pulumi ran anything. */
        readonly plan: LabPlan,
    ) {}

    /**
     * Selects the stack, creating it in the backend if need be, after
     * validating its lab config: a broken config stops here with its config
     * paths, before Pulumi registers anything (the program validates too). The first use of a stack gives it
     * a seed (`vnetlab:seed`), a Pulumi secret.
     */
    static async open(name: string, options: LabStackOptions = {}): Promise<LabStack> {
        const file = stackFile(name);
        if (options.lab === undefined && !fs.existsSync(file)) throw new Error(`no stack file ${file}`);
        const plan = planLab(parseLab(options.lab ?? readStackDocument(file).config?.[LAB_KEY], name), name);
        // A lab this host cannot carry is refused before there is a stack, or a stack file, for it.
        if (options.preflight ?? true) await checkDataplane(plan);
        if (options.lab !== undefined) writeStackLab(name, options.lab);

        const toolchain = findToolchain({ ...process.env, ...options.env });
        const envVars: Record<string, string> = {
            ...toolchain.env,
            // Type-checking is `npm test`'s job (tsc); the program only runs here.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            ...Object.fromEntries(Object.entries(options.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
        };
        const backend = envVars.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL;
        if (backend === undefined) fs.mkdirSync(defaultStateDir(), { recursive: true });
        const pulumiCommand = await PulumiCommand.get({ root: toolchain.root, skipVersionCheck: true });
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: name, workDir: PROJECT_DIR },
            { pulumiCommand, envVars, ...(toolchain.kind === "vnetlab" ? { pulumiHome: toolchain.env.PULUMI_HOME } : {}) },
        ).catch((e: unknown) => { throw pulumiError(e); });
        const config = await stack.getAllConfig();
        if (config[SEED_KEY] === undefined) {
            await stack.setConfig(SEED_KEY, { value: crypto.randomBytes(32).toString("hex"), secret: true });
        }
        return new LabStack(name, stack, toolchain, plan);
    }

    async preview(options: { readonly diff?: boolean; readonly expectNoChanges?: boolean; readonly onEvent?: (e: EngineEvent) => void } = {}): Promise<PreviewResult> {
        return this.stack.preview({
            diff: options.diff ?? false,
            expectNoChanges: options.expectNoChanges ?? false,
            ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        }).catch((e: unknown) => { throw pulumiError(e); });
    }

    /** `pulumi up`, then waits until every node says it is ready. */
    async up(options: UpOptions = {}): Promise<LabUpResult & { readonly up: UpResult }> {
        const up = await this.stack.up({ ...(options.onEvent ? { onEvent: options.onEvent } : {}) })
            .catch((e: unknown) => { throw pulumiError(e); });
        const plan = manifestOf(up.outputs.manifest?.value).plan;
        await waitUntilReady(plan, {
            docker: new Docker(),
            ...(options.readyTimeoutSeconds !== undefined ? { timeoutSeconds: options.readyTimeoutSeconds } : {}),
            ...(options.onReady ? { onReady: options.onReady } : {}),
        });
        return { plan, changes: up.summary.resourceChanges ?? {}, up };
    }

    async refresh(): Promise<OpMap> {
        const result = await this.stack.refresh().catch((e: unknown) => { throw pulumiError(e); });
        return result.summary.resourceChanges ?? {};
    }

    async destroy(options: { readonly onEvent?: (e: EngineEvent) => void } = {}): Promise<DestroyResult> {
        return this.stack.destroy({ ...(options.onEvent ? { onEvent: options.onEvent } : {}) })
            .catch((e: unknown) => { throw pulumiError(e); });
    }

    /** The deployed lab's manifest, from the stack's outputs. */
    async manifest(): Promise<LabManifest> {
        const outputs = await this.stack.outputs().catch((e: unknown) => { throw pulumiError(e); });
        return manifestOf(outputs.manifest?.value);
    }
}

/** Where Pulumi.yaml's backend keeps state: the folder must exist before the first login. */
function defaultStateDir(): string {
    return path.join(os.homedir(), ".vnetlab", "state");
}

export function manifestOf(value: unknown): LabManifest {
    const manifest = value as Partial<LabManifest> | undefined;
    if (!manifest || manifest.format !== MANIFEST_FORMAT || !manifest.plan) {
        throw new Error(`the stack has no vnetlab manifest output (expected format "${MANIFEST_FORMAT}"): is the lab deployed?`);
    }
    return manifest as LabManifest;
}
