// A lab's Pulumi stack, driven through the Automation API: the real CLI, the
// project's own program (index.ts) through the Node language host, the Docker
// provider, state in the project's backend. `npm run lab`, the bench and the
// end-to-end tests all go through here.
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import Docker from "dockerode";
import { stringify } from "yaml";
import {
    CommandError, ConfigMap, DestroyResult, EngineEvent, LocalWorkspace, LocalWorkspaceOptions, OpMap, PreviewResult, PulumiCommand, Stack, StackNotFoundError, UpResult,
} from "@pulumi/pulumi/automation";
import { LAB_KEY, PROJECT_DIR, readStackDocument, stackFile } from "../model/stack-file";
import { SEED_CONFIG_KEY } from "../model/seed";
import { schemaModeline } from "../model/stack-schema";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";
import type { LabPlan } from "../plan/types";
import { LabManifest, readManifest } from "../plan/summary";
import { NodeNotReadyError, waitUntilReady } from "../verify/ready";
import { checkBridgeSegments, checkDataplane, checkHosts } from "../host/preflight";
import { TlsOf, hasTlsHosts, labDocker, labEngines, requireHostTls, tlsStackKey } from "../host/engines";
import { SETUP_HINT, findToolchain } from "./toolchain";
import { remadeNodes, resetTunnels, tunnelResets } from "./reconnect";

/**
 * Resource operations at once (Pulumi's default here is 8). Most of a
 * network's create and delete is the provider waiting 2 s before it reads
 * back; at 50 branches 32 took boot from 101 to 79 s and teardown from 60
 * to 46 s, and 96 gained nothing over 32.
 */
const PARALLEL = 32;

/** Where `npm run lab -- up` leaves the manifest of a deployed lab (.vnetlab/ is gitignored). */
export const manifestPath = (stack: string) => path.join(PROJECT_DIR, ".vnetlab", `${stack}.json`);

/**
 * Writes `lab` as the stack file's `vnetlab:lab`, keeping what Pulumi added
 * (encryption salt, the seed): for generated labs and the tests' variants,
 * which have no stack file of their own in the project. Like a shipped
 * stack file, it names the JSON Schema for editors on its first line.
 */
export function writeStackLab(stack: string, lab: unknown, dir: string = PROJECT_DIR): void {
    const file = stackFile(stack, dir);
    const doc = readStackDocument(file);
    doc.config = { ...(doc.config ?? {}), [LAB_KEY]: lab };
    fs.writeFileSync(file, `${schemaModeline(dir)}\n# Written by vnetlab for stack ${stack}.\n${stringify(doc)}`);
}

/**
 * Pulumi's own words out of a failed CLI run: its diagnostics (the program's
 * exception, a provider's error) and its error lines, without the command
 * line and the event log around them.
 */
export function pulumiError(e: unknown): Error {
    if (!(e instanceof CommandError)) return e instanceof Error ? e : new Error(String(e));
    // CommandError keeps the CLI's output in commandResult (not in its typings).
    const result = (e as unknown as { commandResult?: { stdout?: string; stderr?: string } }).commandResult;
    const stdout = result?.stdout ?? "";
    const stderr = result?.stderr ?? e.message;
    // A failed command's output arrives in stderr, behind execa's "Command failed …" line.
    const output = `${stdout}\n${stderr}`;
    const diagnostics = /^Diagnostics:\n([\s\S]*?)(?=^\S|$(?![\s\S]))/m.exec(output)?.[1]?.trimEnd();
    const message = diagnostics ?? output.split("\n").filter((l) => /^\s*error:/.test(l)).join("\n");
    const hint = /no resource plugin|could not find plugin/i.test(message) ? `\n${SETUP_HINT}` : "";
    return new PulumiFailure(`${message || e.message}${hint}`, stdout, stderr);
}

/** A failed Pulumi command, with the output it printed. */
export class PulumiFailure extends Error {
    constructor(message: string, readonly stdout: string, readonly stderr: string) {
        super(message);
        this.name = "PulumiFailure";
    }
}

/** What of `pulumi stack export` the driver reads. */
export interface StateExport {
    readonly deployment: {
        readonly resources?: readonly { readonly urn: string; readonly type: string; readonly outputs?: { readonly name?: unknown } }[];
    };
}

export interface LabStackOptions {
    /** A lab config to write as the stack file's `vnetlab:lab` first (generated labs, tests). */
    readonly lab?: unknown;
    /** Overrides of the environment the CLI runs in (PULUMI_BACKEND_URL, …). */
    readonly env?: NodeJS.ProcessEnv;
    /** Stack secrets to set, by config key (e.g. `vnetlab:tls-h3-ca`), as `pulumi config set --secret` would. */
    readonly secrets?: Readonly<Record<string, string>>;
}

export interface UpOptions {
    readonly onEvent?: (event: EngineEvent) => void;
    /** What the driver did on its own: a stale lock removed, an interrupted run's leftovers cleared. */
    readonly log?: (line: string) => void;
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
        /** The lab as planned from the stack file, before Pulumi ran anything. */
        readonly plan: LabPlan,
        /** TLS material of the lab's tcp:// hosts with tls, from the stack's secrets. */
        readonly tls: TlsOf = () => undefined,
    ) {}

    /** A Docker client that reaches each node on its host. */
    docker(): Docker {
        return labDocker(this.plan, this.tls);
    }

    /**
     * Selects the stack, creating it in the backend if need be, after
     * validating its lab config: a broken config stops here with its config
     * paths, before Pulumi registers anything (the program validates too). The first use of a stack gives it
     * a seed (`vnetlab:seed`), a Pulumi secret.
     */
    static async open(name: string, options: LabStackOptions = {}): Promise<LabStack> {
        const file = stackFile(name);
        if (options.lab === undefined && !fs.existsSync(file)) throw new Error(`no stack file ${file}`);
        const config = readStackDocument(file).config ?? {};
        const plan = planLab(parseLab(options.lab ?? config[LAB_KEY], name), name);
        // A TLS host without its material would only seem not to answer: its
        // secrets must be in the stack file (encrypted: present is enough) or
        // about to be set, before anything connects or there is a stack.
        const secretsGiven = new Set([...Object.keys(config), ...Object.keys(options.secrets ?? {})]);
        requireHostTls(plan, name, (host, part) => (secretsGiven.has(tlsStackKey(host, part)) ? true : undefined));
        // A lab this host cannot carry (host/preflight.ts) is refused before
        // there is a stack, or a stack file, for it. The program asks too,
        // for `pulumi` run by hand.
        checkBridgeSegments(plan);
        await checkDataplane(plan);
        // So are hosts that do not answer or are not in the swarm, at once: from inside the
        // program the same refusal takes a preview's start-up. TLS hosts' material is in the
        // stack's secrets: those are asked once the stack is open.
        const tlsHosts = hasTlsHosts(plan);
        if (!tlsHosts) await checkHosts(plan);
        if (options.lab !== undefined) writeStackLab(name, options.lab);

        const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: PROJECT_DIR }, await workspaceOptions(options.env))
            .catch((e: unknown) => { throw pulumiError(e); });
        const stackConfig = await stack.getAllConfig();
        if (stackConfig[SEED_CONFIG_KEY] === undefined) {
            await stack.setConfig(SEED_CONFIG_KEY, { value: crypto.randomBytes(32).toString("hex"), secret: true });
        }
        for (const [key, value] of Object.entries(options.secrets ?? {})) {
            await stack.setConfig(key, { value, secret: true });
            stackConfig[key] = { value, secret: true };
        }
        const tls = stackTls(stackConfig, plan, name);
        if (tlsHosts) await checkHosts(plan, tls);
        return new LabStack(name, stack, plan, tls);
    }

    /**
     * The stack if it exists in the backend, as it is: nothing is created,
     * no seed is set, the host is not asked. For tearing a lab down; a TLS
     * host's material must still be in its secrets.
     */
    static async existing(name: string, options: Pick<LabStackOptions, "env"> = {}): Promise<LabStack | undefined> {
        const file = stackFile(name);
        if (!fs.existsSync(file)) throw new Error(`no stack file ${file}`);
        const plan = planLab(parseLab(readStackDocument(file).config?.[LAB_KEY], name), name);
        try {
            const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: PROJECT_DIR }, await workspaceOptions(options.env));
            // The repair of an interrupted run before `down` reaches every host, TLS hosts with their material.
            const tls = hasTlsHosts(plan) ? stackTls(await stack.getAllConfig(), plan, name) : undefined;
            return new LabStack(name, stack, plan, tls);
        } catch (e) {
            if (e instanceof StackNotFoundError) return undefined;
            throw pulumiError(e);
        }
    }

    async preview(options: { readonly diff?: boolean; readonly expectNoChanges?: boolean; readonly onEvent?: (e: EngineEvent) => void } = {}): Promise<PreviewResult> {
        return this.stack.preview({
            diff: options.diff ?? false,
            expectNoChanges: options.expectNoChanges ?? false,
            ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        }).catch((e: unknown) => { throw pulumiError(e); });
    }

    /**
     * `pulumi up`, then waits until every node says it is ready. A run that
     * was killed before is repaired first (repairInterrupted); the tunnels to
     * gateways this one replaced are reset on their other ends
     * (automation/reconnect.ts).
     */
    async up(options: UpOptions = {}): Promise<LabUpResult & { readonly up: UpResult }> {
        const log = options.log ?? (() => undefined);
        const events: EngineEvent[] = [];
        const onEvent = (event: EngineEvent) => {
            events.push(event);
            options.onEvent?.(event);
        };
        let repaired = false;
        const up = await this.afterInterruption(log, () => this.stack.up({ onEvent, parallel: PARALLEL }), () => { repaired = true; });
        const plan = readManifest(up.outputs.manifest?.value, `the outputs of stack ${this.name}`).plan;
        const docker = labDocker(plan, this.tls);
        const ready = () => waitUntilReady(plan, {
            docker,
            ...(options.readyTimeoutSeconds !== undefined ? { timeoutSeconds: options.readyTimeoutSeconds } : {}),
            ...(options.onReady ? { onReady: options.onReady } : {}),
        });
        if (!repaired) {
            await ready();
        } else {
            // Nodes the interrupted run started may have given up waiting for
            // peers it never made: each such node starts once more, now that they exist.
            const restarted = new Set<string>();
            for (;;) {
                const stopped = await stoppedNodes(docker, plan);
                for (const node of stopped) await docker.getContainer(node.containerName).restart({ t: 1 });
                stopped.forEach((n) => restarted.add(n.name));
                if (stopped.length > 0) log(`started again after the interrupted run: ${stopped.map((n) => n.name).join(", ")}`);
                try {
                    await ready();
                    break;
                } catch (e) {
                    if (!(e instanceof NodeNotReadyError) || restarted.has(e.node)) throw e;
                }
            }
        }
        const resets = tunnelResets(plan, remadeNodes(events));
        if (resets.length > 0) {
            await resetTunnels(docker, plan, resets);
            log(`tunnels reset on the unchanged ends of replaced gateways: ${resets.map((r) => `${r.tunnel} on ${r.node}${r.dial ? " (dialled again)" : ""}`).join(", ")}`);
        }
        return { plan, changes: up.summary.resourceChanges ?? {}, up };
    }

    async refresh(): Promise<OpMap> {
        const result = await this.stack.refresh().catch((e: unknown) => { throw pulumiError(e); });
        return result.summary.resourceChanges ?? {};
    }

    async destroy(options: { readonly onEvent?: (e: EngineEvent) => void; readonly log?: (line: string) => void } = {}): Promise<DestroyResult> {
        const log = options.log ?? (() => undefined);
        return this.afterInterruption(log, () => this.stack.destroy({ parallel: PARALLEL, ...(options.onEvent ? { onEvent: options.onEvent } : {}) }));
    }

    /**
     * Runs a Pulumi command that takes the stack's lock. A pulumi that was
     * killed (not cancelled: Ctrl-C lets it finish its steps and save) leaves
     * its lock behind: if the lock's process is gone from this machine, the
     * lock is removed, the stack repaired (repairInterrupted) and the command
     * run again. A live run's lock, or another machine's, is left alone.
     */
    private async afterInterruption<T>(log: (line: string) => void, command: () => Promise<T>, onRepair: () => void = () => undefined): Promise<T> {
        try {
            return await command();
        } catch (e) {
            const failure = pulumiError(e);
            const lock = /currently locked[\s\S]*?created by ([^@\s]+)@(\S+) \(pid (\d+)\)/.exec(`${failure.message}\n${(failure as PulumiFailure).stderr ?? ""}`);
            if (!lock || lock[2] !== os.hostname() || processAlive(Number(lock[3]))) throw failure;
            await this.stack.cancel().catch((c: unknown) => { throw pulumiError(c); });
            log(`an earlier run of ${this.name} was interrupted (pid ${lock[3]} is gone): removed its lock`);
            await this.repairInterrupted(log);
            onRepair();
            return command().catch((again: unknown) => { throw pulumiError(again); });
        }
    }

    /**
     * What an interrupted run leaves: objects it made that the state does not
     * hold (it saves state at the end only, and a run with checkpoints keeps
     * them as pending creates that it will not make again), and objects it
     * removed or replaced that the state still holds. Pulumi will neither
     * make those containers and networks again while Docker holds their names
     * nor remove them. Refresh reads every resource back and drops the pending
     * creates; then the lab's own containers and networks (by their
     * vnetlab.stack and vnetlab.lab labels) that the state does not hold are
     * removed, for the next run to make afresh. Nothing else is touched; a
     * veth parent left is taken as it is by VethParents.
     */
    private async repairInterrupted(log: (line: string) => void): Promise<void> {
        await this.stack.refresh({ clearPendingCreates: true, parallel: PARALLEL }).catch((e: unknown) => { throw pulumiError(e); });
        const held = new Set(((await this.exportState()).deployment.resources ?? [])
            .flatMap((r) => (typeof r.outputs?.name === "string" ? [`${r.type} ${r.outputs.name}`] : [])));
        const labels = [`vnetlab.stack=${this.name}`, `vnetlab.lab=${this.plan.name}`];
        const removed: string[] = [];
        // Every engine of the lab: an interrupted run may have left something on any host.
        for (const { host, docker } of labEngines(this.plan, this.tls)) {
            const where = this.plan.hosts ? ` on ${host}` : "";
            for (const c of await docker.listContainers({ all: true, filters: { label: labels } })) {
                const name = c.Names[0]!.replace(/^\//, "");
                if (held.has(`docker:index/container:Container ${name}`)) continue;
                await docker.getContainer(c.Id).remove({ force: true, v: true });
                removed.push(`container ${name}${where}`);
            }
            for (const n of await docker.listNetworks({ filters: { label: labels } })) {
                // A swarm's overlay network shows on every host that uses it; its manager removes it.
                if (held.has(`docker:index/network:Network ${n.Name}`)) continue;
                if (n.Scope === "swarm" && this.plan.hosts?.find((h) => h.name === host)?.manager !== true) continue;
                await docker.getNetwork(n.Id).remove().catch((e: { statusCode?: number }) => { if (e.statusCode !== 404) throw e; });
                removed.push(`network ${n.Name}${where}`);
            }
        }
        log(`refreshed the stack${removed.length > 0 ? `, removed what the interrupted run made and the state does not hold: ${removed.join(", ")}` : ""}`);
    }

    /**
     * The stack's state as `pulumi stack export` prints it: secrets stay
     * encrypted. (The Automation API's exportStack decrypts them.)
     */
    async exportState(): Promise<StateExport> {
        const { stdout } = await promisify(execFile)(this.stack.workspace.pulumiCommand.command, ["stack", "export", "--stack", this.name], {
            cwd: PROJECT_DIR, env: { ...process.env, ...this.stack.workspace.envVars }, maxBuffer: 256 * 1024 * 1024,
        }).catch((e: { stderr?: string; message: string }) => { throw new Error(`pulumi stack export --stack ${this.name}: ${e.stderr?.trim() || e.message}`); });
        return JSON.parse(stdout) as StateExport;
    }

    /** The deployed lab's manifest, from the outputs of the stack this one opened. */
    async manifest(): Promise<LabManifest> {
        return stackManifest(this.stack, this.name);
    }
}

/** The TLS material of each host with tls, from the stack's config (secrets decrypted); a host without all three is refused. */
function stackTls(config: ConfigMap, plan: Pick<LabPlan, "hosts">, stackName: string): TlsOf {
    const found = requireHostTls(plan, stackName, (host, part) => config[tlsStackKey(host, part)]?.value);
    return (host) => found[host.name];
}

/** What of a selected stack a command that reaches into its deployed lab reads. */
export type DeployedStack = Pick<Stack, "outputs" | "getAllConfig">;

/**
 * A deployed lab as the commands that reach into it take it (verify, lab
 * fault): its plan from the stack's outputs, and a Docker client that finds
 * each node on its host, TLS hosts with the stack's secrets. The stack is
 * selected once for both: each selection runs the CLI (`pulumi version`,
 * `pulumi stack select`).
 */
export async function deployedLab(
    stackName: string, select: (stackName: string) => Promise<DeployedStack> = selectDeployed,
): Promise<{ readonly plan: LabPlan; readonly docker: Docker }> {
    const stack = await select(stackName);
    const { plan } = await stackManifest(stack, stackName);
    if (!hasTlsHosts(plan)) return { plan, docker: labDocker(plan) };
    const config = await stack.getAllConfig().catch((e: unknown) => { throw pulumiError(e); });
    return { plan, docker: labDocker(plan, stackTls(config, plan, stackName)) };
}

/** The lab's nodes whose containers exist but do not run (a start program that gave up). */
async function stoppedNodes(docker: Docker, plan: LabPlan): Promise<LabPlan["nodes"][number][]> {
    const states = await Promise.all(plan.nodes.map(async (node) => {
        const info = await docker.getContainer(node.containerName).inspect().catch(() => undefined);
        return info !== undefined && !info.State.Running ? [node] : [];
    }));
    return states.flat();
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The CLI and the environment every Pulumi command of vnetlab runs with. */
async function workspaceOptions(overrides: NodeJS.ProcessEnv = {}): Promise<LocalWorkspaceOptions> {
    const toolchain = findToolchain({ ...process.env, ...overrides });
    const envVars: Record<string, string> = {
        ...toolchain.env,
        // Type-checking is `npm test`'s job (tsc); the program only runs here.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        // Diffs in parallel: a preview of 50 branches took 24 s one diff
        // at a time (a container's diff through the bridge takes 0.1 s), 14 s so.
        PULUMI_PARALLEL_DIFF: "true",
        // State saved once at the end of a run, not after each of its
        // hundreds of steps (each save writes the whole state): teardown
        // of 50 branches 45 s with, 18 s without. What a killed run made
        // is then known only to Docker: repairInterrupted finds it by its labels.
        PULUMI_SKIP_CHECKPOINTS: "true",
        ...Object.fromEntries(Object.entries(overrides).filter((e): e is [string, string] => e[1] !== undefined)),
    };
    if ((envVars.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL) === undefined) fs.mkdirSync(defaultStateDir(), { recursive: true });
    return {
        pulumiCommand: await PulumiCommand.get({ root: toolchain.root, skipVersionCheck: true }),
        envVars,
        ...(toolchain.kind === "vnetlab" ? { pulumiHome: toolchain.env.PULUMI_HOME } : {}),
    };
}

/** Where Pulumi.yaml's backend keeps state: the folder must exist before the first login. */
function defaultStateDir(): string {
    return path.join(os.homedir(), ".vnetlab", "state");
}

/** A stack that exists, selected as it is: nothing is created. */
async function selectDeployed(stackName: string): Promise<Stack> {
    return LocalWorkspace.selectStack({ stackName, workDir: PROJECT_DIR }, await workspaceOptions())
        .catch((e: unknown) => { throw pulumiError(e); });
}

async function stackManifest(stack: Pick<Stack, "outputs">, stackName: string): Promise<LabManifest> {
    const outputs = await stack.outputs().catch((e: unknown) => { throw pulumiError(e); });
    return readManifest(outputs.manifest?.value, `the outputs of stack ${stackName} (is the lab deployed?)`);
}
