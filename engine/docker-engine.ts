// A Pulumi mock engine that creates the real thing on the local Docker
// engine. The Pulumi CLI builds on these machines, but its Docker, TLS and
// random providers cannot be had (their Go modules are not served, see the
// README), so a lab program runs under `pulumi.runtime.setMocks(engine, …)`
// and every docker.Image / Network / Container it declares is built, created
// and started here, following what @pulumi/docker 5.x (the bridged
// kreuzwerker Terraform provider) does with the same inputs. engine/lab.ts
// drives it for `npm run lab`, the bench and the end-to-end tests.
//
//   const engine = new DockerMockEngine();
//   await pulumi.runtime.setMocks(engine, "vnetlab", "e2e", false);
//   … declare resources …
//   const id = await engine.output(container.id);
//   await engine.destroyAll();
//   await assertNoLeftovers(engine);
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable } from "stream";
import { promisify } from "util";
import Docker from "dockerode";
import * as tar from "tar-stream";
import * as pulumi from "@pulumi/pulumi";
import type * as dockerSdk from "@pulumi/docker";
import { BuildStreamDecoder, TailLog, makeBuildContext } from "./build";
import { containerLogTail } from "./logs";
import { parseGoDuration, unwrapSecrets } from "./values";

export { containerLogTail, demuxDockerFrames } from "./logs";
export { execIn } from "../verify/exec";
import { eachLimited } from "../verify/exec";
import { PriorityGate } from "./admission";
export type { ExecResult } from "../verify/exec";

const execFileAsync = promisify(execFile);

// The SDK-level input shapes, as plain values (the mock receives them resolved).
export type ImageInputs = pulumi.Unwrap<dockerSdk.ImageArgs>;
type NetworkInputs = pulumi.Unwrap<dockerSdk.NetworkArgs>;
type ContainerInputs = pulumi.Unwrap<dockerSdk.ContainerArgs>;
type UploadInput = NonNullable<ContainerInputs["uploads"]>[number];
type NetworkAttachment = NonNullable<ContainerInputs["networksAdvanced"]>[number];

export interface DockerMockEngineOptions {
    /** Defaults to the local engine (DOCKER_HOST or /var/run/docker.sock). */
    readonly docker?: Docker;
    /** Progress lines; defaults to stderr when VNETLAB_DEBUG is set, else silent. */
    readonly log?: (line: string) => void;
    /** Called when a resource exists (its type token and logical name), and with each line of an image build. */
    readonly onCreated?: (type: string, name: string) => void;
    readonly onBuildLine?: (line: string) => void;
    /**
     * A macvlan network declared without `options.parent`: "auto" gives it an
     * isolated veth pair as parent only where the kernel has no dummy links
     * (Docker's own fallback needs them); "veth" always does; "docker"
     * leaves it to Docker.
     */
    readonly macvlanParent?: "auto" | "veth" | "docker";
    /** Where relative build paths and upload sources resolve, as the program's working directory. Defaults to process.cwd(). */
    readonly cwd?: string;
    /** Grace period for stopping containers at teardown (the program's destroyGraceSeconds would make tests slow). Default 1. */
    readonly teardownGraceSeconds?: number;
}

/** A container created and connected to its networks, not yet started. */
interface MadeContainer {
    readonly id: string;
    readonly name: string;
    /** The uploads as one tar, put in before the first start. */
    readonly uploads: Buffer | undefined;
}

// Containers being created and connected at once, and getting their uploads
// and starting at once (see admitContainer). Chosen on 2 cores with 100
// branches (203 nodes), one boot each, all else alike, while containers still
// waited for every network: unbounded 68.2 s, 4 and 16 61.0 s, 1 and 16
// 63.0 s. At 10 branches, five boots each: 4 and 16 6.4 s (median),
// unbounded 6.6, 2 and 8 6.8, 8 and 8 6.9.
const CONTAINERS_CONNECTING_AT_ONCE = 4;
const CONTAINERS_STARTING_AT_ONCE = 16;

/** One resource the engine was asked for, successful or not yet finished. */
export interface EngineResource {
    readonly type: string;
    /** Pulumi's logical name. */
    readonly name: string;
    readonly custom: boolean;
    readonly id: string | undefined;
    /** Inputs with secrets unwrapped. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** The state handed back to Pulumi, secrets unwrapped. */
    readonly outputs: Readonly<Record<string, unknown>>;
}

export interface ContainerRecord {
    readonly logicalName: string;
    /** Docker container name. */
    readonly name: string;
    readonly id: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Network names/ids in the order the program declared them. */
    readonly declaredNetworks: readonly string[];
    /** The order the engine attached them in (first = the network the container was created with). */
    readonly attachOrder: readonly string[];
}

export interface NetworkRecord {
    readonly logicalName: string;
    readonly name: string;
    readonly id: string;
    readonly driver: string;
    /** The host end of the veth pair made as macvlan parent, if the engine made one. */
    readonly vethParent?: string;
}

export interface ImageRecord {
    readonly logicalName: string;
    readonly imageName: string;
    readonly id: string;
}

type Owned =
    | { readonly kind: "container"; readonly id: string; readonly name: string }
    | { readonly kind: "network"; readonly id: string; readonly name: string }
    | { readonly kind: "veth"; readonly name: string; readonly peer: string };

interface Created {
    readonly id: string;
    /** Computed outputs; merged over the (still secret-wrapped) inputs. */
    readonly outputs: Record<string, unknown>;
}

const CONTAINER_KEYS = new Set<keyof ContainerInputs>([
    "name", "image", "hostname", "domainname", "command", "entrypoints", "envs", "labels", "capabilities",
    "privileged", "devices", "sysctls", "init", "restart", "maxRetryCount", "healthcheck", "stopSignal",
    "stopTimeout", "destroyGraceSeconds", "networkMode", "networksAdvanced", "uploads", "start", "wait",
    "waitTimeout", "mustRun", "user", "workingDir", "tty", "stdinOpen", "tmpfs", "dns", "dnsOpts", "dnsSearches",
    "hosts", "logDriver", "logOpts", "memory", "memorySwap", "shmSize", "securityOpts", "readOnly", "rm", "ulimits",
    "groupAdds", "mounts", "volumes", "ipcMode", "pidMode", "usernsMode", "cgroupnsMode", "ports", "publishAllPorts",
    // Accepted without effect: volumes are always removed at teardown; reads are not refreshed here.
    "removeVolumes", "containerReadRefreshTimeoutMilliseconds",
]);
const NETWORK_KEYS = new Set<keyof NetworkInputs>([
    "name", "driver", "options", "ipv6", "ipamConfigs", "ipamDriver", "ipamOptions", "internal", "attachable", "ingress", "labels",
]);
const IMAGE_KEYS = new Set<keyof ImageInputs>(["build", "imageName", "skipPush", "registry", "buildOnPreview"]);

/** Values that mean "not set" for an optional input. */
function isUnset(v: unknown): boolean {
    return v === undefined || v === null || v === false || v === "" || v === 0
        || (Array.isArray(v) && v.length === 0)
        || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function rejectUnsupported(type: string, inputs: Record<string, unknown>, supported: ReadonlySet<string>): void {
    const extra = Object.keys(inputs).filter((k) => !supported.has(k) && !isUnset(inputs[k]));
    if (extra.length > 0) {
        throw new Error(`${type} input(s) ${extra.join(", ")} not implemented by the mock engine; add them to engine/docker-engine.ts`);
    }
}

function labelsToMap(labels: readonly { label: string; value: string }[] | undefined): Record<string, string> {
    return Object.fromEntries((labels ?? []).map((l) => [l.label, l.value]));
}

/** Pulumi's default auto-naming: the logical name plus 7 random hex characters. */
function autoName(logical: string): string {
    return `${logical}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
}

function statusCode(e: unknown): number | undefined {
    const code = (e as { statusCode?: unknown }).statusCode;
    return typeof code === "number" ? code : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removals at once at teardown: enough to keep the daemon busy, few enough not to queue hundreds of requests on its socket. */
const TEARDOWN_CONCURRENCY = 16;
const inParallel = <T>(items: readonly T[], work: (item: T) => Promise<void>) => eachLimited(items, TEARDOWN_CONCURRENCY, work);

async function ip(...args: string[]): Promise<void> {
    try {
        await execFileAsync("ip", args);
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr ?? "";
        throw new Error(`ip ${args.join(" ")}: ${stderr.trim() || (e as Error).message}`);
    }
}

/** `ip -batch -`: commands one per line, stopping at the first that fails. */
function ipBatch(commands: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = execFile("ip", ["-batch", "-"], (e, _stdout, stderr) => {
            if (e) reject(new Error(`ip -batch (${commands.join("; ")}): ${String(stderr).trim() || e.message}`));
            else resolve();
        });
        child.stdin?.end(`${commands.join("\n")}\n`);
    });
}

function linkExists(name: string): boolean {
    return fs.existsSync(`/sys/class/net/${name}`);
}

/** The veth pair that parents a network's macvlan: named after the network, so a leftover is recognisable (vl + 8 hex + a/b, within IFNAMSIZ). */
export function vethNames(network: string): { name: string; peer: string } {
    const h = crypto.createHash("sha256").update(network).digest("hex").slice(0, 8);
    return { name: `vl${h}a`, peer: `vl${h}b` };
}

/** Makes a network's veth pair, both ends up: an isolated macvlan parent, wired to nothing. */
export async function addVethPair(network: string): Promise<{ name: string; peer: string }> {
    const veth = vethNames(network);
    // One `ip` for the three steps: hundreds of segments mean hundreds of spawns.
    await ipBatch([`link add ${veth.name} type veth peer name ${veth.peer}`, `link set ${veth.name} up`, `link set ${veth.peer} up`]);
    return veth;
}

/** Deletes a link if it exists (a veth takes its peer with it). */
export async function deleteLink(name: string): Promise<void> {
    if (linkExists(name)) await ip("link", "del", name);
}

let dummyLinksProbe: Promise<boolean> | undefined;

/** Whether this kernel can make dummy links (Docker's macvlan fallback without a parent). Checked once per process. */
function kernelHasDummyLinks(): Promise<boolean> {
    dummyLinksProbe ??= (async () => {
        const probe = `vlprobe${crypto.randomBytes(3).toString("hex")}`;
        try {
            await ip("link", "add", probe, "type", "dummy");
        } catch {
            return false;
        }
        await ip("link", "del", probe).catch(() => undefined);
        return true;
    })();
    return dummyLinksProbe;
}

/** Interfaces that carry the host's default routes: lab traffic must never reach them. */
async function defaultRouteDevices(): Promise<Set<string>> {
    const devs = new Set<string>();
    for (const family of ["-4", "-6"]) {
        const { stdout } = await execFileAsync("ip", [family, "-o", "route", "show", "default"]).catch(() => ({ stdout: "" }));
        for (const m of stdout.matchAll(/\bdev (\S+)/g)) devs.add(m[1]);
    }
    return devs;
}

export class DockerMockEngine implements pulumi.runtime.Mocks {
    readonly docker: Docker;
    /** Every resource registered, in the order registration finished. */
    readonly resources: EngineResource[] = [];
    /** Errors raised by newResource, in order. */
    readonly errors: Error[] = [];

    private readonly containerRecords: ContainerRecord[] = [];
    private readonly networkRecords: NetworkRecord[] = [];
    private readonly imageRecords: ImageRecord[] = [];
    /** What the engine made on the host, in creation order; teardown undoes it. */
    private readonly owned: Owned[] = [];
    /** Owned things a destroyAll already removed, so a second one has nothing to do. */
    private readonly removed = new Set<Owned>();
    private readonly inflight = new Set<Promise<unknown>>();
    private failureWaiters: Array<(e: Error) => void> = [];
    /** Set by destroyAll: later registrations fail instead of creating what nobody would remove. */
    private closed = false;
    private readonly startedAt = Date.now();
    private readonly cwd: string;
    /** One look per image, not one per container: a lab's nodes all share one. */
    private readonly imagesSeen = new Map<string, Promise<void>>();
    private readonly logLine: (line: string) => void;
    private readonly connectGate: PriorityGate;
    private readonly startGate: PriorityGate;

    constructor(private readonly options: DockerMockEngineOptions = {}) {
        this.docker = options.docker ?? new Docker();
        this.connectGate = new PriorityGate(CONTAINERS_CONNECTING_AT_ONCE);
        this.startGate = new PriorityGate(CONTAINERS_STARTING_AT_ONCE);
        this.cwd = options.cwd ?? process.cwd();
        this.logLine = options.log ?? ((line) => { if (process.env.VNETLAB_DEBUG) process.stderr.write(`${line}\n`); });
    }

    log(message: string): void {
        const t = ((Date.now() - this.startedAt) / 1000).toFixed(2);
        this.logLine(`[docker-engine +${t}s] ${message}`);
    }

    // ------------------------------------------------------------ Mocks

    newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        // The program keeps registering after a failure; once teardown began, nothing new may be made behind its back.
        const p = this.closed
            ? Promise.reject(new Error(`DockerMockEngine: ${args.type} "${args.name}" not created: the engine is tearing down`))
            : this.register(args);
        this.inflight.add(p);
        p.then(
            () => { this.inflight.delete(p); },
            (e: unknown) => { this.inflight.delete(p); this.fail(e instanceof Error ? e : new Error(String(e))); },
        );
        return p;
    }

    async call(args: pulumi.runtime.MockCallArgs): Promise<pulumi.runtime.MockCallResult> {
        if (args.token === "docker:index/getNetwork:getNetwork") {
            const inputs = unwrapSecrets(args.inputs ?? {}) as { name: string };
            const info = await this.docker.getNetwork(inputs.name).inspect() as Docker.NetworkInspectInfo;
            return {
                id: info.Id, name: info.Name, driver: info.Driver, internal: info.Internal, scope: info.Scope,
                options: info.Options ?? {}, ipamConfigs: this.ipamConfigsOf(info),
            };
        }
        throw new Error(`DockerMockEngine: unsupported call ${args.token}`);
    }

    // ------------------------------------------------------------ lookups

    containers(): readonly ContainerRecord[] {
        return this.containerRecords;
    }

    networks(): readonly NetworkRecord[] {
        return this.networkRecords;
    }

    images(): readonly ImageRecord[] {
        return this.imageRecords;
    }

    find(type: string, logicalName: string): EngineResource | undefined {
        return this.resources.find((r) => r.type === type && r.name === logicalName);
    }

    container(logicalOrDockerName: string): ContainerRecord {
        const c = this.containerRecords.find((r) => r.logicalName === logicalOrDockerName || r.name === logicalOrDockerName);
        if (!c) throw new Error(`no container ${logicalOrDockerName} (have: ${this.containerRecords.map((r) => r.name).join(", ") || "none"})`);
        return c;
    }

    /** Resolves once every registration started so far has finished (successfully or not). */
    async settled(): Promise<void> {
        while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    }

    /** Rejects with the first resource error (immediately if one already happened). */
    failed(): Promise<never> {
        return new Promise<never>((_, reject) => {
            if (this.errors.length > 0) reject(this.errors[0]);
            else this.failureWaiters.push(reject);
        });
    }

    /**
     * The value of an output, or the engine's first error: an output whose
     * resource failed never resolves, so waiting on it alone would hang.
     */
    output<T>(o: pulumi.Output<T>): Promise<T> {
        const value = new Promise<T>((resolve) => { o.apply((v) => { resolve(v); return v; }); });
        return Promise.race([value, this.failed()]);
    }

    // ------------------------------------------------------------ teardown

    /**
     * Removes everything the engine made, after in-flight registrations
     * finish: containers, then networks, then veth pairs. Images stay (the
     * build cache keeps re-runs fast). Safe to call more than once.
     */
    async destroyAll(): Promise<void> {
        this.closed = true;
        await this.settled();
        const problems: string[] = [];
        const of = <K extends Owned["kind"]>(kind: K): Extract<Owned, { kind: K }>[] =>
            this.owned.filter((o): o is Extract<Owned, { kind: K }> => o.kind === kind && !this.removed.has(o)).reverse();
        const attempt = async (o: Owned, remove: () => Promise<void>): Promise<void> => {
            try {
                await remove();
                this.removed.add(o);
            } catch (e) {
                problems.push((e as Error).message);
            }
        };
        // Nothing of one kind depends on another of its kind: each kind goes in parallel, in order of kinds.
        await inParallel(of("container"), (c) => attempt(c, () => this.removeContainer(c.id, c.name)));
        await inParallel(of("network"), (n) => attempt(n, () => this.removeNetwork(n.id, n.name)));
        await inParallel(of("veth"), (v) => attempt(v, () => this.removeVeth(v.name)));
        if (problems.length > 0) throw new Error(`DockerMockEngine.destroyAll: ${problems.join("; ")}`);
    }

    /** What this engine made that still exists on the host (empty after a clean destroyAll). */
    async leftovers(): Promise<string[]> {
        const left: string[] = [];
        for (const o of this.owned) {
            if (o.kind === "veth") {
                if (linkExists(o.name) || linkExists(o.peer)) left.push(`veth ${o.name}/${o.peer}`);
                continue;
            }
            const exists = await (o.kind === "container" ? this.docker.getContainer(o.id).inspect() : this.docker.getNetwork(o.id).inspect())
                .then(() => true, (e: unknown) => {
                    if (statusCode(e) === 404) return false;
                    throw e;
                });
            if (exists) left.push(`${o.kind} ${o.name} (${o.id.slice(0, 12)})`);
        }
        return left;
    }

    private async removeContainer(id: string, name: string): Promise<void> {
        const c = this.docker.getContainer(id);
        const grace = this.options.teardownGraceSeconds ?? 1;
        await c.stop({ t: grace }).catch((e: unknown) => {
            if (![304, 404].includes(statusCode(e) ?? 0)) throw new Error(`stop container ${name}: ${(e as Error).message}`);
        });
        await c.remove({ force: true, v: true }).catch((e: unknown) => {
            // 409: removal already in progress; waited for below.
            if (![404, 409].includes(statusCode(e) ?? 0)) throw new Error(`remove container ${name}: ${(e as Error).message}`);
        });
        for (let i = 0; i < 100; i++) {
            const gone = await c.inspect().then(() => false, (e: unknown) => statusCode(e) === 404);
            if (gone) {
                this.log(`removed container ${name}`);
                return;
            }
            await sleep(100);
        }
        throw new Error(`container ${name} still exists after removal`);
    }

    private async removeNetwork(id: string, name: string): Promise<void> {
        for (let attempt = 0; ; attempt++) {
            try {
                await this.docker.getNetwork(id).remove();
                this.log(`removed network ${name}`);
                return;
            } catch (e) {
                if (statusCode(e) === 404) return;
                // Endpoints of just-removed containers can linger for a moment.
                if (attempt >= 50) throw new Error(`remove network ${name}: ${(e as Error).message}`);
                await sleep(200);
            }
        }
    }

    private async removeVeth(name: string): Promise<void> {
        if (!linkExists(name)) return;
        await deleteLink(name);
        this.log(`removed veth ${name}`);
    }

    // ------------------------------------------------------------ dispatch

    private fail(e: Error): void {
        this.errors.push(e);
        this.log(`FAILED ${e.message.split("\n")[0]}`);
        const waiters = this.failureWaiters;
        this.failureWaiters = [];
        for (const w of waiters) w(e);
    }

    private async register(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        // The raw inputs keep their secret wrappers: merged into the state, they stay secret as with the real engine.
        const raw = (args.inputs ?? {}) as Record<string, unknown>;
        const inputs = unwrapSecrets(raw) as Record<string, unknown>;
        const custom = args.custom !== false;
        const t0 = Date.now();
        let created: Created;
        if (!custom || args.type.startsWith("pulumi:providers:")) {
            // Component resources (and explicit providers) reach the mocks too; nothing to make.
            created = { id: `${args.name}_id`, outputs: {} };
        } else {
            try {
                created = args.id ? await this.read(args.type, args.id) : await this.create(args.type, args.name, inputs);
            } catch (e) {
                const msg = (e as Error).message;
                throw new Error(msg.startsWith("DockerMockEngine") ? msg : `DockerMockEngine: ${args.type} "${args.name}": ${msg}`);
            }
        }
        const state = { ...raw, ...created.outputs };
        this.resources.push({ type: args.type, name: args.name, custom, id: created.id, inputs, outputs: unwrapSecrets(state) as Record<string, unknown> });
        if (custom) {
            this.log(`${args.type} ${args.name} -> ${created.id.slice(0, 19)} (${Date.now() - t0} ms)`);
            this.options.onCreated?.(args.type, args.name);
        }
        return { id: created.id, state };
    }

    private create(type: string, name: string, inputs: Record<string, unknown>): Promise<Created> {
        switch (type) {
            case "docker:index/image:Image": return this.createImage(name, inputs as ImageInputs);
            case "docker:index/network:Network": return this.createNetwork(name, inputs as NetworkInputs);
            case "docker:index/container:Container": return this.admitContainer(name, inputs as ContainerInputs);
            default: throw new Error("DockerMockEngine: unsupported resource type " + type);
        }
    }

    /** `Resource.get(name, id)`: read what exists. */
    private async read(type: string, id: string): Promise<Created> {
        if (type === "docker:index/network:Network") {
            const info = await this.docker.getNetwork(id).inspect() as Docker.NetworkInspectInfo;
            return { id: info.Id, outputs: { name: info.Name, driver: info.Driver, internal: info.Internal, ipv6: info.EnableIPv6, options: info.Options ?? {}, ipamConfigs: this.ipamConfigsOf(info), scope: info.Scope } };
        }
        if (type === "docker:index/container:Container") {
            const info = await this.docker.getContainer(id).inspect();
            return { id: info.Id, outputs: { name: info.Name.replace(/^\//, ""), image: info.Image, networkDatas: this.networkDatasOf(info) } };
        }
        throw new Error(`DockerMockEngine: reading an existing ${type} is not supported`);
    }

    // ------------------------------------------------------------ docker.Image

    private async createImage(logical: string, inp: ImageInputs): Promise<Created> {
        const built = await buildImage(this.docker, logical, inp, {
            cwd: this.cwd, log: (line) => this.log(line), ...(this.options.onBuildLine ? { onBuildLine: this.options.onBuildLine } : {}),
        });
        this.imageRecords.push({ logicalName: logical, imageName: built.imageName, id: built.id });
        return {
            id: built.id,
            outputs: {
                imageName: built.imageName,
                baseImageName: built.imageName,
                context: built.context,
                dockerfile: built.relDockerfile,
                registryServer: inp.registry?.server ?? "",
                ...(inp.build?.platform ? { platform: inp.build.platform } : {}),
                // The provider's documented value for a local (unpushed) image: its image ID.
                repoDigest: built.id,
            },
        };
    }

    // ------------------------------------------------------------ docker.Network

    private async createNetwork(logical: string, inp: NetworkInputs): Promise<Created> {
        rejectUnsupported("docker.Network", inp as Record<string, unknown>, NETWORK_KEYS as ReadonlySet<string>);
        const name = inp.name ?? autoName(logical);
        const driver = inp.driver ?? "bridge";
        const options: Record<string, string> = { ...(inp.options ?? {}) };
        let veth: { name: string; peer: string } | undefined;
        if (driver === "macvlan" || driver === "ipvlan") {
            if (options.parent) await this.guardParent(options.parent);
            else if (driver === "macvlan" && await this.needsVethParent()) {
                veth = await this.createVethParent(name);
                options.parent = veth.name;
            }
        }
        let net: Docker.Network;
        try {
            net = await this.docker.createNetwork({
                Name: name,
                CheckDuplicate: true,
                Driver: driver,
                Options: options,
                EnableIPv6: inp.ipv6 ?? false,
                Internal: inp.internal ?? false,
                Attachable: inp.attachable ?? false,
                Ingress: inp.ingress ?? false,
                Labels: labelsToMap(inp.labels),
                IPAM: {
                    Driver: inp.ipamDriver ?? "default",
                    ...(inp.ipamOptions ? { Options: inp.ipamOptions } : {}),
                    Config: (inp.ipamConfigs ?? []).map((c) => ({
                        ...(c.subnet ? { Subnet: c.subnet } : {}),
                        ...(c.gateway ? { Gateway: c.gateway } : {}),
                        ...(c.ipRange ? { IPRange: c.ipRange } : {}),
                        ...(c.auxAddress ? { AuxiliaryAddresses: c.auxAddress } : {}),
                    })),
                },
            });
        } catch (e) {
            if (veth) await this.removeVeth(veth.name).catch(() => undefined);
            throw new Error(`create network ${name}: ${(e as Error).message}`);
        }
        this.owned.push({ kind: "network", id: net.id, name });
        const info = await net.inspect() as Docker.NetworkInspectInfo;
        this.networkRecords.push({ logicalName: logical, name, id: info.Id, driver: info.Driver, ...(veth ? { vethParent: veth.name } : {}) });
        return {
            id: info.Id,
            outputs: {
                name: info.Name,
                driver: info.Driver,
                internal: info.Internal,
                attachable: info.Attachable,
                ingress: info.Ingress,
                ipv6: info.EnableIPv6,
                ipamDriver: info.IPAM?.Driver ?? "default",
                ipamConfigs: this.ipamConfigsOf(info),
                scope: info.Scope,
                // As declared: where Docker itself supplies the parent (a real user's host), options carry none either.
                options: inp.options ?? {},
            },
        };
    }

    private ipamConfigsOf(info: Docker.NetworkInspectInfo): Record<string, unknown>[] {
        return (info.IPAM?.Config ?? []).map((c) => ({
            ...(c.Subnet ? { subnet: c.Subnet } : {}),
            ...(c.Gateway ? { gateway: c.Gateway } : {}),
            ...(c.IPRange ? { ipRange: c.IPRange } : {}),
            ...(c.AuxiliaryAddresses ? { auxAddress: c.AuxiliaryAddresses } : {}),
        }));
    }

    private async needsVethParent(): Promise<boolean> {
        const mode = this.options.macvlanParent ?? "auto";
        if (mode === "veth") return true;
        if (mode === "docker") return false;
        return !(await kernelHasDummyLinks());
    }

    /** Refuses a macvlan/ipvlan parent that would put lab traffic on a real NIC. */
    private async guardParent(parent: string): Promise<void> {
        const base = parent.split(".")[0];
        const routed = await defaultRouteDevices();
        if (routed.has(base) || fs.existsSync(`/sys/class/net/${base}/device`)) {
            throw new Error(`refusing macvlan parent ${parent}: ${base} is a host NIC (lab traffic must stay on the machine)`);
        }
    }

    /** An isolated veth pair as macvlan parent (see vethNames); a stale one that no network uses is replaced. */
    private async createVethParent(network: string): Promise<{ name: string; peer: string }> {
        const { name, peer } = vethNames(network);
        if (linkExists(name) || linkExists(peer)) {
            const users = (await this.docker.listNetworks()).filter((n) => n.Options?.parent === name || n.Options?.parent === peer);
            if (users.length > 0) throw new Error(`veth ${name} already exists as parent of network ${users.map((u) => u.Name).join(", ")}`);
            this.log(`removing stale veth ${name} (no network uses it)`);
            await deleteLink(linkExists(name) ? name : peer);
        }
        this.owned.push({ kind: "veth", name, peer });
        await addVethPair(network);
        this.log(`veth ${name}/${peer} as parent of ${network}`);
        return { name, peer };
    }

    // ------------------------------------------------------------ docker.Container

    private imagePresent(image: string): Promise<void> {
        let seen = this.imagesSeen.get(image);
        if (!seen) {
            seen = this.docker.getImage(image).inspect().then(() => undefined, (e: unknown) => {
                if (statusCode(e) === 404) throw new Error(`image ${image} is not present locally (the provider would pull it; nothing can be pulled here)`);
                throw e;
            });
            this.imagesSeen.set(image, seen);
        }
        return seen;
    }

    /**
     * A few containers at a time are created and connected, those with the
     * most networks first (the router's 101 connects are the longest chain),
     * and a few more at a time get their uploads and start. Unbounded, every
     * container's requests queued in the daemon at once, and networks still
     * being created waited behind them: the router, which needs every ISP
     * network, began 38 s into a 65 s boot of 100 branches. (Holding every
     * container until all networks existed, as the floor does, was slower
     * once creations were bounded: 10 branches 6.55 against 6.15 s, six boots
     * each; 100 branches 64.9 and 65.3 against 61.5 and 58.4 s.)
     */
    private async admitContainer(logical: string, inp: ContainerInputs): Promise<Created> {
        const made = await this.connectGate.run(inp.networksAdvanced?.length ?? 0, () => this.unlessClosed(logical, () => this.makeContainer(logical, inp)));
        // Started in the order they finished being made.
        return this.startGate.run(0, () => this.unlessClosed(logical, () => this.startContainer(made, inp)));
    }

    /** Work that waited its turn does not begin once teardown has: a failed lab is removed without first making the rest of it. */
    private unlessClosed<T>(logical: string, work: () => Promise<T>): Promise<T> {
        return this.closed ? Promise.reject(new Error(`container ${logical} not created: the engine is tearing down`)) : work();
    }

    private async makeContainer(logical: string, inp: ContainerInputs): Promise<MadeContainer> {
        rejectUnsupported("docker.Container", inp as Record<string, unknown>, CONTAINER_KEYS as ReadonlySet<string>);
        const name = inp.name ?? autoName(logical);
        if (!inp.image) throw new Error("image is required");
        await this.imagePresent(inp.image);
        if (inp.command?.some((c) => c === "")) throw new Error("values for command may not be empty"); // as the provider
        const uploads = await this.uploadTar(inp.uploads ?? []);

        const declared = inp.networksAdvanced ?? [];
        // Deliberately not the declared order: nothing may depend on which network is attached first.
        const attach = [...declared].reverse();
        const endpoint = (n: NetworkAttachment): Docker.EndpointSettings => {
            if (n.gwPriority) this.log(`container ${name}: gwPriority ignored (Docker API 1.41 has none)`);
            const ipam = { ...(n.ipv4Address ? { IPv4Address: n.ipv4Address } : {}), ...(n.ipv6Address ? { IPv6Address: n.ipv6Address } : {}), ...(n.linkLocalIps?.length ? { LinkLocalIPs: n.linkLocalIps } : {}) };
            return {
                ...(Object.keys(ipam).length > 0 ? { IPAMConfig: ipam } : {}),
                ...(n.aliases?.length ? { Aliases: n.aliases } : {}),
                ...(n.macAddress ? { MacAddress: n.macAddress } : {}),
                ...(n.driverOpts?.length ? { DriverOpts: Object.fromEntries(n.driverOpts.map((o) => [o.split("=")[0], o.split("=").slice(1).join("=")])) } : {}),
            };
        };
        const createWith = inp.networkMode === undefined ? attach[0] : undefined;
        const connectLater = createWith ? attach.slice(1) : attach;

        const hostConfig: Docker.HostConfig & { CgroupnsMode?: string } = {
            Privileged: inp.privileged ?? false,
            CapAdd: inp.capabilities?.adds ?? [],
            CapDrop: inp.capabilities?.drops ?? [],
            Devices: (inp.devices ?? []).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: d.permissions ?? "rwm" })),
            Sysctls: inp.sysctls ?? {},
            // The provider always sends Init explicitly, false by default.
            Init: inp.init ?? false,
            RestartPolicy: { Name: inp.restart ?? "no", MaximumRetryCount: inp.maxRetryCount ?? 0 },
            NetworkMode: inp.networkMode ?? createWith?.name ?? "default",
            AutoRemove: inp.rm ?? false,
            ReadonlyRootfs: inp.readOnly ?? false,
            LogConfig: { Type: inp.logDriver ?? "json-file", Config: inp.logOpts ?? {} },
            ...(inp.tmpfs ? { Tmpfs: inp.tmpfs } : {}),
            ...(inp.dns ? { Dns: inp.dns } : {}),
            ...(inp.dnsOpts ? { DnsOptions: inp.dnsOpts } : {}),
            ...(inp.dnsSearches ? { DnsSearch: inp.dnsSearches } : {}),
            ...(inp.hosts ? { ExtraHosts: inp.hosts.map((h) => `${h.host}:${h.ip}`) } : {}),
            ...(inp.securityOpts ? { SecurityOpt: inp.securityOpts } : {}),
            ...(inp.groupAdds ? { GroupAdd: inp.groupAdds } : {}),
            // The provider's memory inputs are in MB.
            ...(inp.memory ? { Memory: inp.memory * 1024 * 1024 } : {}),
            ...(inp.memorySwap ? { MemorySwap: inp.memorySwap > 0 ? inp.memorySwap * 1024 * 1024 : inp.memorySwap } : {}),
            ...(inp.shmSize ? { ShmSize: inp.shmSize * 1024 * 1024 } : {}),
            ...(inp.ulimits ? { Ulimits: inp.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
            ...(inp.ipcMode ? { IpcMode: inp.ipcMode } : {}),
            ...(inp.pidMode ? { PidMode: inp.pidMode } : {}),
            ...(inp.usernsMode ? { UsernsMode: inp.usernsMode } : {}),
            ...(inp.cgroupnsMode ? { CgroupnsMode: inp.cgroupnsMode } : {}),
            ...(inp.publishAllPorts ? { PublishAllPorts: true } : {}),
            ...(inp.ports?.length ? {
                PortBindings: Object.fromEntries(inp.ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, [{ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external ? String(p.external) : "" }]])),
            } : {}),
            ...(inp.mounts?.length ? {
                Mounts: inp.mounts.map((m) => ({
                    Type: m.type as Docker.MountType, Target: m.target, Source: m.source ?? "", ReadOnly: m.readOnly ?? false,
                    ...(m.tmpfsOptions ? { TmpfsOptions: { SizeBytes: m.tmpfsOptions.sizeBytes ?? 0, Mode: m.tmpfsOptions.mode ?? 0 } } : {}),
                })),
            } : {}),
            ...(inp.volumes?.length ? {
                Binds: inp.volumes.map((v) => {
                    const src = v.hostPath ?? v.volumeName;
                    if (!src || !v.containerPath) throw new Error("volumes: only hostPath/volumeName with containerPath are implemented");
                    return `${src}:${v.containerPath}${v.readOnly ? ":ro" : ""}`;
                }),
            } : {}),
        };
        if (inp.healthcheck?.startInterval) this.log(`container ${name}: healthcheck.startInterval ignored (Docker API 1.41 has none)`);
        const healthcheck = inp.healthcheck ? {
            Test: inp.healthcheck.tests ?? [],
            Interval: parseGoDuration(inp.healthcheck.interval ?? "0s"),
            Timeout: parseGoDuration(inp.healthcheck.timeout ?? "0s"),
            StartPeriod: parseGoDuration(inp.healthcheck.startPeriod ?? "0s"),
            Retries: inp.healthcheck.retries ?? 0,
        } : undefined;

        const created = await this.docker.createContainer({
            name,
            Image: inp.image,
            Labels: labelsToMap(inp.labels),
            Tty: inp.tty ?? false,
            OpenStdin: inp.stdinOpen ?? false,
            ...(inp.hostname ? { Hostname: inp.hostname } : {}),
            ...(inp.domainname ? { Domainname: inp.domainname } : {}),
            ...(inp.command?.length ? { Cmd: inp.command } : {}),
            ...(inp.entrypoints?.length ? { Entrypoint: inp.entrypoints } : {}),
            ...(inp.envs?.length ? { Env: inp.envs } : {}),
            ...(inp.user ? { User: inp.user } : {}),
            ...(inp.workingDir ? { WorkingDir: inp.workingDir } : {}),
            ...(inp.stopSignal ? { StopSignal: inp.stopSignal } : {}),
            ...(inp.stopTimeout ? { StopTimeout: inp.stopTimeout } : {}),
            ...(healthcheck ? { Healthcheck: healthcheck } : {}),
            ...(inp.ports?.length ? { ExposedPorts: Object.fromEntries(inp.ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, {}])) } : {}),
            HostConfig: hostConfig,
            ...(createWith ? { NetworkingConfig: { EndpointsConfig: { [createWith.name]: endpoint(createWith) } } } : {}),
        }).catch((e: unknown) => { throw new Error(`create container ${name}: ${(e as Error).message}`); });
        const id = created.id;
        this.owned.push({ kind: "container", id, name });
        this.containerRecords.push({
            logicalName: logical, name, id, labels: labelsToMap(inp.labels),
            declaredNetworks: declared.map((n) => n.name), attachOrder: attach.map((n) => n.name),
        });

        for (const n of connectLater) {
            await this.docker.getNetwork(n.name).connect({ Container: id, EndpointConfig: endpoint(n) })
                .catch((e: unknown) => { throw new Error(`connect container ${name} to network ${n.name}: ${(e as Error).message}`); });
        }
        if (inp.networkMode !== undefined && declared.length > 0 && !declared.some((n) => n.name === "bridge")
            && ["bridge", "default"].includes(inp.networkMode)) {
            // The provider leaves the default bridge once networksAdvanced are attached.
            await this.docker.getNetwork("bridge").disconnect({ Container: id }).catch(() => undefined);
        }
        this.log(`container ${name}: attached ${attach.map((n) => n.name).join(", ") || "(no networksAdvanced)"} in that order`);
        return { id, name, uploads };
    }

    private async startContainer({ id, name, uploads }: MadeContainer, inp: ContainerInputs): Promise<Created> {
        if (uploads) {
            // Before the first start, so the command finds its files; Docker creates missing parent directories (0755).
            await this.docker.getContainer(id).putArchive(uploads, { path: "/" })
                .catch((e: unknown) => { throw new Error(`upload into ${name}: ${(e as Error).message}`); });
        }

        if (inp.start !== false) {
            await this.docker.getContainer(id).start().catch((e: unknown) => { throw new Error(`start container ${name}: ${(e as Error).message}`); });
            if (inp.wait) await this.waitHealthy(id, name, inp.waitTimeout ?? 60);
        }

        // As the provider's read after create: a container that is already gone is an error.
        const info = await this.docker.getContainer(id).inspect();
        if (inp.start !== false && inp.mustRun !== false && !info.State.Running) {
            throw new Error(`container ${name} exited immediately (exit code ${info.State.ExitCode})\n--- last container output ---\n${await containerLogTail(this.docker, id)}`);
        }
        return {
            id,
            outputs: {
                name,
                image: info.Image,
                hostname: info.Config.Hostname,
                networkMode: inp.networkMode ?? "default",
                networkDatas: this.networkDatasOf(info),
                ...(info.State.Running ? {} : { exitCode: info.State.ExitCode }),
            },
        };
    }

    /**
     * Per-network addresses as the provider reports them. The list follows
     * Docker's map (sorted by network name), not the declared order, as
     * with the real provider: look entries up by networkName.
     */
    private networkDatasOf(info: Docker.ContainerInspectInfo): Record<string, unknown>[] {
        const nets = info.NetworkSettings.Networks as Record<string, Docker.EndpointSettings & { GlobalIPv6PrefixLen?: number }>;
        return Object.keys(nets).sort().map((networkName) => {
            const n = nets[networkName];
            return {
                networkName,
                ipAddress: n.IPAddress ?? "",
                ipPrefixLength: n.IPPrefixLen ?? 0,
                gateway: n.Gateway ?? "",
                globalIpv6Address: n.GlobalIPv6Address ?? "",
                globalIpv6PrefixLength: n.GlobalIPv6PrefixLen ?? n.GlobalIPV6PrefixLen ?? 0,
                ipv6Gateway: n.IPv6Gateway ?? "",
                macAddress: n.MacAddress ?? "",
            };
        });
    }

    /**
     * One tar for all uploads. Modes as the provider: `permissions` (octal)
     * wins, else `executable` gives 0744 — owner execute only, as the
     * provider's code does — else 0644.
     */
    private async uploadTar(uploads: readonly UploadInput[]): Promise<Buffer | undefined> {
        if (uploads.length === 0) return undefined;
        const pack = tar.pack();
        const chunks: Buffer[] = [];
        pack.on("data", (c: Buffer) => chunks.push(c));
        const ended = new Promise<void>((resolve, reject) => { pack.on("end", resolve); pack.on("error", reject); });
        for (const u of uploads) {
            const given = [u.content, u.contentBase64, u.source].filter((v) => v !== undefined && v !== "").length;
            // The provider counts "" as unset, so an empty upload fails there too.
            if (given !== 1) throw new Error(`upload ${u.file}: exactly one of content, contentBase64 or source must be set (non-empty)`);
            const body = u.content !== undefined && u.content !== "" ? Buffer.from(u.content, "utf8")
                : u.contentBase64 ? Buffer.from(u.contentBase64, "base64")
                    : await fs.promises.readFile(path.resolve(this.cwd, u.source ?? ""));
            let mode = u.executable ? 0o744 : 0o644;
            if (u.permissions) {
                if (!/^[0-7]{3,4}$/.test(u.permissions)) throw new Error(`upload ${u.file}: permissions "${u.permissions}" is not an octal mode`);
                mode = parseInt(u.permissions, 8);
            }
            const numericId = (v: string | undefined, what: string): number => {
                if (v === undefined || v === "") return 0;
                if (!/^\d+$/.test(v)) throw new Error(`upload ${u.file}: ${what} "${v}" must be numeric for the mock engine`);
                return Number(v);
            };
            const header: tar.Headers = {
                name: u.file.replace(/^\/+/, ""), mode, size: body.length, mtime: new Date(), type: "file",
                uid: numericId(u.owner, "owner"), gid: numericId(u.group, "group"),
            };
            await new Promise<void>((resolve, reject) => { pack.entry(header, body, (err) => (err ? reject(err) : resolve())); });
        }
        pack.finalize();
        await ended;
        return Buffer.concat(chunks);
    }

    /**
     * The provider's `wait`: poll until healthy within waitTimeout. It fails
     * early here when the container exits or turns unhealthy, with the
     * container's output, instead of at the timeout.
     */
    private async waitHealthy(id: string, name: string, timeoutSeconds: number): Promise<void> {
        const deadline = Date.now() + timeoutSeconds * 1000;
        const c = this.docker.getContainer(id);
        const failWith = async (why: string): Promise<never> => {
            throw new Error(`container ${name} ${why}\n--- last container output ---\n${await containerLogTail(this.docker, id)}`);
        };
        for (;;) {
            const st = (await c.inspect()).State as Docker.ContainerInspectInfo["State"] & { Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] } };
            if (!st.Health) await failWith("has no healthcheck, but wait is set");
            if (st.Health?.Status === "healthy") {
                this.log(`container ${name} healthy`);
                return;
            }
            if (!st.Running) await failWith(`exited (code ${st.ExitCode}) before it was healthy`);
            if (st.Health?.Status === "unhealthy") {
                const last = st.Health.Log?.at(-1);
                await failWith(`became unhealthy${last ? ` (last check: exit ${last.ExitCode} ${last.Output.trim()})` : ""}`);
            }
            if (Date.now() > deadline) await failWith(`was not healthy within ${timeoutSeconds} s (health: ${st.Health?.Status})`);
            await sleep(250);
        }
    }
}

export interface BuiltImage {
    readonly imageName: string;
    /** The image ID ("sha256:..."): what was built, whatever the tag names by the time it is used. */
    readonly id: string;
    readonly context: string;
    readonly relDockerfile: string;
}

/**
 * Builds a docker.Image's inputs as the provider does (BuildKit by default,
 * never pushed). The engine's docker.Image and the dataplane preflight
 * (engine/preflight.ts) share it, so both run the same node image.
 */
export async function buildImage(
    docker: Docker, logical: string, inp: ImageInputs,
    options: { readonly cwd: string; readonly log: (line: string) => void; readonly onBuildLine?: (line: string) => void },
): Promise<BuiltImage> {
    rejectUnsupported("docker.Image", inp as Record<string, unknown>, IMAGE_KEYS as ReadonlySet<string>);
    const imageName = inp.imageName;
    if (!imageName) throw new Error("imageName is required");
    if (!inp.skipPush) {
        // The provider pushes after building unless skipPush is set; no registry is reachable here (nor wanted for a lab).
        throw new Error(`skipPush is not set: the provider would push ${imageName} to a registry after the build`);
    }
    const build = inp.build ?? {};
    const context = build.context ?? ".";
    const ctx = await makeBuildContext(context, build.dockerfile, options.cwd);
    const tail = new TailLog(40, (line) => {
        options.log(`build ${logical}: ${line}`);
        options.onBuildLine?.(line);
    });
    const decoder = new BuildStreamDecoder(tail);
    const opts: Docker.ImageBuildOptions = {
        t: imageName,
        dockerfile: ctx.dockerfileInTar,
        // The provider's default builder is BuildKit ("2"); dockerode opens the session it needs.
        version: build.builderVersion === "BuilderV1" ? "1" : "2",
        ...(build.args ? { buildargs: build.args } : {}),
        ...(build.network ? { networkmode: build.network } : {}),
        ...(build.target ? { target: build.target } : {}),
        ...(build.platform ? { platform: build.platform } : {}),
    };
    if (build.addHosts && build.addHosts.length > 0) {
        // docker-modem repeats array parameters, which is how the daemon reads extrahosts.
        (opts as Record<string, unknown>).extrahosts = build.addHosts;
    }
    if (build.cacheFrom?.images?.length) options.log(`build ${logical}: cacheFrom ignored (nothing can be pulled here)`);
    options.log(`build ${logical}: ${imageName} from ${path.resolve(options.cwd, context)} (Dockerfile ${ctx.relDockerfile}, BuildKit=${opts.version === "2"})`);
    const stream = await docker.buildImage(Readable.from([ctx.tarball]), opts);
    for await (const chunk of stream as AsyncIterable<Buffer>) decoder.write(chunk);
    decoder.end();
    if (decoder.error !== undefined) {
        throw new Error(`docker build of ${imageName} failed: ${decoder.error}\n--- last build output ---\n${tail.text()}`);
    }
    // The ID the build produced: another build may move the tag at any moment.
    const id = decoder.imageId ?? (await docker.getImage(imageName).inspect()).Id;
    return { imageName, id, context, relDockerfile: ctx.relDockerfile };
}

/**
 * Removes containers and networks by name — what an aborted earlier run of
 * a test with fixed names may have left — together with the veth parents
 * this engine gave those networks. Returns what it removed.
 */
export async function purgeByName(docker: Docker, names: { containers?: readonly string[]; networks?: readonly string[] }): Promise<string[]> {
    const removed: string[] = [];
    await inParallel(names.containers ?? [], async (name) => {
        try {
            await docker.getContainer(name).remove({ force: true, v: true });
            removed.push(`container ${name}`);
        } catch (e) {
            if (statusCode(e) !== 404) throw e;
        }
    });
    await inParallel(names.networks ?? [], async (name) => {
        let info: Docker.NetworkInspectInfo;
        try {
            info = await docker.getNetwork(name).inspect() as Docker.NetworkInspectInfo;
        } catch (e) {
            if (statusCode(e) === 404) return;
            throw e;
        }
        await docker.getNetwork(info.Id).remove();
        removed.push(`network ${name}`);
        const parent = info.Options?.parent;
        if (parent && /^vl[0-9a-f]{8}a$/.test(parent) && linkExists(parent)) {
            await deleteLink(parent);
            removed.push(`veth ${parent}`);
        }
    });
    return removed.sort();
}

/** Throws unless the engine left nothing behind on the host. */
export async function assertNoLeftovers(engine: DockerMockEngine): Promise<void> {
    const left = await engine.leftovers();
    if (left.length > 0) throw new Error(`DockerMockEngine left behind: ${left.join(", ")}`);
}
