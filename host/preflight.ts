// Before a lab is made: can this Docker host's kernel carry the IPsec the lab
// needs (plan/dataplane.ts)? Without ESP in the kernel, a transport-mode lab
// would come up, negotiate IKE and then fail every CHILD SA; refusing first
// leaves nothing half made. Labs that need nothing of the kernel ask nothing.
//
// The answer comes from the node image's own start program,
// `vnetlab-start --probe-esp`, in a throwaway container: the kernel that
// matters is the Docker host's (on Docker Desktop a VM's, not this machine's),
// and the gateways decide their dataplane with that same probe. The container
// has NET_ADMIN only (a test SA in its own network namespace, deleted at once),
// no network, no devices, and is removed whatever happens.
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { promisify } from "util";
import Docker from "dockerode";
import { START_SCRIPT } from "../configs/paths";
import { NODE_IMAGE_CONTEXT } from "../components/node-image";
import { PROJECT_DIR } from "../model/stack-file";
import { DataplaneUnavailableError, HostEsp, kernelIpsecNeeds } from "../plan/dataplane";
import type { LabPlan } from "../plan/types";
import { demuxDockerFrames } from "./logs";
import { TlsOf, labEngines } from "./engines";
import { LabRefusedError, formatPath } from "../model/errors";
import { dockerIsolatesBridges } from "./links";
import { onLocalEngine } from "../plan/hosts";

/**
 * Answers the question without Docker: "yes" or "no". For the Pulumi
 * program's unit tests, which run under mocks with no engine to ask, and for
 * a host the program cannot reach Docker from; the gateways still probe for
 * themselves at start. Unset, the preflight asks the Docker host.
 */
export const HOST_ESP_ENV = "VNETLAB_HOST_ESP";

export interface PreflightOptions {
    readonly docker?: Docker;
    /** What the probe answered, for debugging. */
    readonly log?: (line: string) => void;
    /** The environment to read HOST_ESP_ENV from. */
    readonly env?: NodeJS.ProcessEnv;
}

/** The start program's answer on the Docker host's kernel, from a throwaway container of `imageId`. */
export async function probeHostEsp(
    docker: Docker, imageId: string, lab: Pick<LabPlan, "name" | "stack">, log: (line: string) => void = () => undefined,
): Promise<HostEsp> {
    const container = await docker.createContainer({
        // Named and labelled after the lab, so that a leftover is recognisable as the lab's.
        name: `${lab.name}-preflight-${crypto.randomBytes(3).toString("hex")}`,
        Image: imageId,
        Cmd: [START_SCRIPT, "--probe-esp"],
        Labels: { "vnetlab.lab": lab.name, "vnetlab.stack": lab.stack, "vnetlab.role": "preflight" },
        HostConfig: { CapAdd: ["NET_ADMIN"], NetworkMode: "none", Privileged: false },
    });
    try {
        await container.start();
        const { StatusCode: status } = (await container.wait()) as { StatusCode: number };
        const raw = await container.logs({ stdout: true, stderr: true, follow: false });
        const { stdout, stderr } = demuxDockerFrames(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
        log(`preflight: vnetlab-start --probe-esp exited ${status}: ${stdout.trim()}${stderr.trim() ? ` (stderr: ${stderr.trim()})` : ""}`);
        const answer = /^esp (yes|no)(?: (.*))?$/.exec(stdout.trim());
        if (status !== 0 || !answer) {
            throw new Error(`the ESP probe (vnetlab-start --probe-esp in a throwaway container of ${imageId.slice(0, 19)}) gave no answer: exit ${status}, ${JSON.stringify(`${stdout}${stderr}`.trim())}`);
        }
        return answer[1] === "yes"
            ? { esp: true, detail: "a test ESP SA was accepted" }
            : { esp: false, detail: `a test ESP SA in a throwaway container was refused: ${answer[2] ?? "no reason given"}` };
    } finally {
        await container.remove({ force: true }).catch((e: unknown) => {
            if ((e as { statusCode?: number }).statusCode !== 404) throw e;
        });
    }
}

/** What HOST_ESP_ENV says, or undefined when the host is to be asked. */
function hostEspFromEnv(env: NodeJS.ProcessEnv): HostEsp | undefined {
    const value = env[HOST_ESP_ENV];
    if (value === undefined || value === "") return undefined;
    if (value === "yes") return { esp: true, detail: `${HOST_ESP_ENV}=yes` };
    if (value === "no") return { esp: false, detail: `${HOST_ESP_ENV}=no says so, the Docker host was not asked` };
    throw new Error(`${HOST_ESP_ENV} must be yes or no (or unset, to ask the Docker host), not "${value}"`);
}

/**
 * Builds the node image as the lab's docker.RemoteImage will (from the build
 * cache, usually) and returns its id. Before `up` registers anything there is
 * no provider to ask, so this is the docker CLI's build.
 */
export async function buildNodeImage(image: LabPlan["image"]): Promise<string> {
    const args = ["build", "--quiet", "--network", image.buildNetwork, "--tag", image.name, path.join(PROJECT_DIR, NODE_IMAGE_CONTEXT)];
    try {
        const { stdout } = await promisify(execFile)("docker", args, { maxBuffer: 16 * 1024 * 1024 });
        return stdout.trim();
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr ?? "";
        throw new Error(`docker ${args.join(" ")} failed: ${stderr.trim().split("\n").slice(-20).join("\n") || (e as Error).message}`);
    }
}

/**
 * Throws DataplaneUnavailableError if the lab needs the kernel's IPsec and the
 * Docker host's kernel has no ESP. Builds the node image first when it has to ask.
 */
export async function checkDataplane(plan: LabPlan, options: PreflightOptions = {}): Promise<void> {
    const needs = kernelIpsecNeeds(plan);
    if (!needs) return;
    const log = options.log ?? (() => undefined);
    let host = hostEspFromEnv(options.env ?? process.env);
    if (!host) {
        host = await probeHostEsp(options.docker ?? new Docker(), await buildNodeImage(plan.image), plan, log);
    }
    if (!host.esp) throw new DataplaneUnavailableError(plan.name, needs, host);
}

/**
 * Refuses a lab whose segments on the local engine are Docker bridges where
 * that engine isolates its internal bridges with iptables (host/links.ts):
 * the lab would come up, and drop every packet it routes. Said before
 * anything is made, with the config path and what to do instead.
 */
export function checkBridgeSegments(plan: LabPlan, isolates: () => boolean = dockerIsolatesBridges): void {
    const local = plan.segments.filter((s) => s.driver === "bridge" && onLocalEngine(plan, s));
    if (local.length === 0 || !isolates()) return;
    throw new LabRefusedError(`${formatPath(["network", "driver"])}: is bridge, but this machine's Docker engine isolates its internal bridges with iptables `
        + "(dockerd --iptables, its default, which also sends bridged frames through iptables): every packet the lab routes across "
        + `${local.map((s) => s.key).join(", ")} would be dropped. Use driver: macvlan (the default), or run dockerd with --iptables=false.`);
}

/** How long a host's engine has to answer at preview before the lab is refused. */
const HOST_ANSWER_SECONDS = 10;

/**
 * Before a lab on several hosts registers anything: every host's engine
 * answers, and where a segment spans hosts (an overlay network), those hosts
 * are nodes of one swarm whose manager is the host marked manager. Each
 * failure names the host's config path and what to run.
 */
export async function checkHosts(plan: LabPlan, tlsOf: TlsOf = () => undefined): Promise<void> {
    if (plan.hosts === undefined) return;
    const path = (host: string) => formatPath(["hosts", host]);
    const infos = new Map<string, { readonly nodeId: string; readonly state: string; readonly manager: boolean }>();
    const engines = labEngines(plan, tlsOf);
    const problems: string[] = [];
    await Promise.all(engines.map(async ({ host, docker }) => {
        const address = plan.hosts!.find((h) => h.name === host)!.address ?? "the local engine";
        try {
            const info = await withTimeout(docker.info() as Promise<{ Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean } }>,
                HOST_ANSWER_SECONDS, `no answer within ${HOST_ANSWER_SECONDS} s`);
            infos.set(host, { nodeId: info.Swarm?.NodeID ?? "", state: info.Swarm?.LocalNodeState ?? "inactive", manager: info.Swarm?.ControlAvailable === true });
        } catch (e) {
            problems.push(`${path(host)} (${address}): the Docker engine does not answer: ${(e as Error).message}`);
        }
    }));
    const spanned = [...new Set(plan.segments.filter((s) => s.driver === "overlay").flatMap((s) =>
        plan.nodes.filter((n) => n.interfaces.some((i) => i.segment === s.key)).map((n) => n.host!)))].sort();
    const manager = plan.hosts.find((h) => h.manager)?.name;
    if (problems.length === 0 && spanned.length > 0 && manager !== undefined) {
        const m = infos.get(manager)!;
        if (!m.manager) {
            problems.push(`${path(manager)}: is marked manager, but its engine is no swarm manager (swarm ${m.state}): run \`docker swarm init\` there`);
        } else {
            const docker = engines.find((e) => e.host === manager)!.docker;
            const members = new Set(((await docker.listNodes()) as { ID: string }[]).map((n) => n.ID));
            for (const host of spanned) {
                if (!members.has(infos.get(host)!.nodeId)) {
                    problems.push(`${path(host)}: runs nodes of a segment across hosts, but is no node of ${manager}'s swarm (swarm ${infos.get(host)!.state}): run \`docker swarm join\` there with ${manager}'s token`);
                }
            }
        }
    }
    if (problems.length > 0) throw new LabRefusedError(`the lab's Docker hosts are not ready:\n  ${problems.join("\n  ")}`);
}

function withTimeout<T>(promise: Promise<T>, seconds: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
        promise,
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), seconds * 1000); }),
    ]).finally(() => clearTimeout(timer));
}
