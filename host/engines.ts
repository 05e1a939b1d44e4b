// The Docker engines of a lab: the local one, or one per host of a lab that
// names several (`hosts`). Every command that reaches into a running lab
// (verify, lab up's readiness, faults, bench) asks here which engine runs a
// node, so that a container is found wherever it runs.
import Docker from "dockerode";
import type { DockerHostPlan, LabPlan } from "../plan/types";
import { LabRefusedError, formatPath } from "../model/errors";

/** How dockerode reaches one engine: plain data, so that a dynamic provider can take it as an input. */
export interface EngineConnection {
    readonly socketPath?: string;
    readonly host?: string;
    readonly port?: number;
    readonly protocol?: "http" | "https" | "ssh";
    readonly username?: string;
}

/** TLS material of a tcp:// engine: PEM text. */
export interface EngineTls {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

/** An address as the config spells it (model/schema.ts); none is the local engine (DOCKER_HOST or the default socket). */
export function connectionOf(address: string | undefined, tls = false): EngineConnection {
    if (address === undefined) return {};
    const url = new URL(address);
    switch (url.protocol) {
        case "unix:":
            return { socketPath: url.pathname };
        case "tcp:":
            return { host: url.hostname, port: Number(url.port), protocol: tls ? "https" : "http" };
        case "ssh:":
            return {
                host: url.hostname, port: url.port === "" ? 22 : Number(url.port), protocol: "ssh",
                ...(url.username !== "" ? { username: decodeURIComponent(url.username) } : {}),
            };
        default:
            throw new Error(`${address}: not a Docker address (unix://, tcp:// or ssh://)`);
    }
}

/** A client of one engine. Local: as `new Docker()` always was. */
export function engineOf(connection: EngineConnection, tls?: EngineTls): Docker {
    if (Object.keys(connection).length === 0) return new Docker();
    return new Docker({ ...connection, ...(tls ?? {}) });
}

/** The stack secret (under `vnetlab:`) that holds one part of a tcp:// host's TLS material. */
export const tlsConfigKey = (host: string, part: keyof EngineTls) => `tls-${host}-${part}`;

/** The same secret as `pulumi config set` and the stack file name it. */
export const tlsStackKey = (host: string, part: keyof EngineTls) => `vnetlab:${tlsConfigKey(host, part)}`;

/** The three parts of a host's TLS material, each a stack secret of its own. */
export const TLS_PARTS: readonly (keyof EngineTls)[] = ["ca", "cert", "key"];

/** One host's TLS material in whatever form a command holds it (PEM text, a Pulumi secret). */
export type TlsParts<T> = { readonly [part in keyof EngineTls]: T };

/** A host with tls whose material is not all in the stack's secrets. The message never holds a value. */
export class HostTlsSecretsError extends LabRefusedError {
    constructor(message: string) {
        super(message);
        this.name = "HostTlsSecretsError";
    }
}

/**
 * The TLS material of each host with tls, by host name, as `secretOf` finds
 * it in the stack. A host that lacks any part is refused here, before
 * anything connects: without its material the host would only seem not to
 * answer. The error names each host's config path and the secrets to set.
 */
export function requireHostTls<T>(
    plan: Pick<LabPlan, "hosts">, stack: string, secretOf: (host: string, part: keyof EngineTls) => T | undefined,
): Record<string, TlsParts<T>> {
    const found: Record<string, TlsParts<T>> = {};
    const problems: string[] = [];
    for (const host of (plan.hosts ?? []).filter((h) => h.tls)) {
        const values = TLS_PARTS.map((part) => secretOf(host.name, part));
        const [ca, cert, key] = values;
        if (ca !== undefined && cert !== undefined && key !== undefined) {
            found[host.name] = { ca, cert, key };
            continue;
        }
        const missing = TLS_PARTS.filter((_, i) => values[i] === undefined).map((part) => ({ part, key: tlsStackKey(host.name, part) }));
        const secrets = missing.length === 1 ? `secret ${missing[0]!.key} is` : `secrets ${missing.map((m) => m.key).join(", ")} are`;
        problems.push([
            `${formatPath(["hosts", host.name, "tls"])}: is on, but the stack ${secrets} not set; set ${missing.length === 1 ? "it" : "each"} from its PEM file:`,
            ...missing.map((m) => `  pulumi config set --stack ${stack} --secret ${m.key} < ${m.part}.pem`),
        ].join("\n  "));
    }
    if (problems.length > 0) throw new HostTlsSecretsError(`the lab's TLS hosts lack their CA, certificate or key in stack ${stack}:\n  ${problems.join("\n  ")}`);
    return found;
}

/** Whether some host of the lab is reached with TLS, whose material is in the stack's secrets. */
export const hasTlsHosts = (plan: Pick<LabPlan, "hosts">): boolean => plan.hosts?.some((h) => h.tls) ?? false;

/** Where to find TLS material for a host, when a command has it (the stack's secrets). */
export type TlsOf = (host: DockerHostPlan) => EngineTls | undefined;

/**
 * A Docker client for a whole lab: container calls go to the engine that
 * runs the container (by the plan's placement); everything else to the local
 * engine. A lab on one host gets a plain client, as before.
 */
export function labDocker(plan: Pick<LabPlan, "hosts" | "nodes">, tlsOf: TlsOf = () => undefined): Docker {
    if (plan.hosts === undefined) return new Docker();
    const clients = new Map(plan.hosts.map((h) => [h.name, engineOf(connectionOf(h.address, h.tls), tlsOf(h))]));
    const byContainer = new Map(plan.nodes.flatMap((n) => (n.host !== undefined ? [[n.containerName, clients.get(n.host)!] as const] : [])));
    return new LabDocker(byContainer);
}

/** Every engine of a lab, by host name ("local" for a lab on one host): what a teardown sweeps. */
export function labEngines(plan: Pick<LabPlan, "hosts">, tlsOf: TlsOf = () => undefined): { readonly host: string; readonly docker: Docker }[] {
    if (plan.hosts === undefined) return [{ host: "local", docker: new Docker() }];
    return plan.hosts.map((h) => ({ host: h.name, docker: engineOf(connectionOf(h.address, h.tls), tlsOf(h)) }));
}

class LabDocker extends Docker {
    constructor(private readonly byContainer: ReadonlyMap<string, Docker>) {
        super();
    }

    override getContainer(id: string): Docker.Container {
        return this.engineOf(id).getContainer(id);
    }

    engineOf(container: string): Docker {
        return this.byContainer.get(container) ?? this;
    }
}

/**
 * The engine that runs a container, for calls that are not the container's
 * own (connecting it to a network is a call on the network, of its engine).
 */
export function engineOfContainer(docker: Docker, container: string): Docker {
    return docker instanceof LabDocker ? docker.engineOf(container) : docker;
}
