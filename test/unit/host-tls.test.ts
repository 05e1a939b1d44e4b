// A Docker host with tls whose CA, certificate or key is not in the stack's
// secrets: every way into a lab refuses it before anything connects, with the
// host's config path, the missing secrets and how to set them. Without Docker:
// the lab's engines are stand-ins that count who connects to them.
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { refusalOf } from "../support/refusal";
import * as pulumi from "@pulumi/pulumi";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { DeployedStack, LabStack, deployedLab, writeStackLab } from "../../automation/lab";
import { deployLab } from "../../components/deploy";
import { HostTlsSecretsError, engineOfContainer, requireHostTls, tlsStackKey } from "../../host/engines";
import { HOST_ESP_ENV } from "../../host/preflight";
import { stackFile } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { manifestOf } from "../../plan/summary";
import type { LabPlan } from "../../plan/types";
import type { Raw } from "../support/broken-labs";
import { RecordingMocks, TEST_SEED, isSecret, promiseOf, stackLab } from "../support/recording-mocks";

const STACK = "unit-tls-secrets";
const PEM = { ca: "-----CA-----", cert: "-----CERT-----", key: "-----KEY-----" } as const;

/** What every refusal of h3 without any of its material says. */
const H3_WITHOUT_MATERIAL = [
    `the lab's TLS hosts lack their CA, certificate or key in stack ${STACK}:`,
    "  vnetlab:lab.hosts.h3.tls: is on, but the stack secrets vnetlab:tls-h3-ca, vnetlab:tls-h3-cert, vnetlab:tls-h3-key are not set; set each from its PEM file:",
    `    pulumi config set --stack ${STACK} --secret vnetlab:tls-h3-ca < ca.pem`,
    `    pulumi config set --stack ${STACK} --secret vnetlab:tls-h3-cert < cert.pem`,
    `    pulumi config set --stack ${STACK} --secret vnetlab:tls-h3-key < key.pem`,
].join("\n");

/** Three engines that count connections and close each at once: h1 and h2 on unix sockets, h3 on TCP. */
class CountingEngines {
    connections = 0;
    private readonly servers: net.Server[] = [];
    private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-tls-"));

    async start(): Promise<{ readonly h1: string; readonly h2: string; readonly h3: string }> {
        const listen = (where: string | number) => new Promise<net.Server>((resolve) => {
            const server = net.createServer((socket) => { this.connections++; socket.destroy(); });
            this.servers.push(server);
            if (typeof where === "string") server.listen(where, () => resolve(server));
            else server.listen(where, "127.0.0.1", () => resolve(server));
        });
        await listen(path.join(this.dir, "h1.sock"));
        await listen(path.join(this.dir, "h2.sock"));
        const tcp = await listen(0);
        return {
            h1: `unix://${path.join(this.dir, "h1.sock")}`,
            h2: `unix://${path.join(this.dir, "h2.sock")}`,
            h3: `tcp://127.0.0.1:${(tcp.address() as net.AddressInfo).port}`,
        };
    }

    async stop(): Promise<void> {
        await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The multi-host lab on the counting engines, h3 reached over TCP with TLS. */
function tlsLab(addresses: { readonly h1: string; readonly h2: string; readonly h3: string }): Raw {
    const lab = stackLab("multi-host") as Raw;
    lab.hosts = { h1: { address: addresses.h1, manager: true }, h2: { address: addresses.h2 }, h3: { address: addresses.h3, tls: true } };
    return lab;
}

const planOf = (lab: Raw): LabPlan => planLab(parseLab(lab, STACK), STACK);

/** A message without its error's name, as the commands print it (the program's: as a RunError, refusalOf). */
const messageOf = (error: unknown): string => {
    const refusal = pulumi.RunError.isInstance(error) ? refusalOf(error) : error;
    expect(refusal).to.be.instanceOf(HostTlsSecretsError);
    expect((error as Error).message).to.equal((refusal as Error).message);
    return (error as Error).message;
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(() => expect.fail("expected a refusal"), (e: unknown) => e);
}

describe("a Docker host with tls and its stack secrets", function () {
    this.timeout(30_000);
    const engines = new CountingEngines();
    let lab: Raw;
    before(async () => { lab = tlsLab(await engines.start()); });
    after(() => engines.stop());
    beforeEach(() => { engines.connections = 0; });

    describe("requireHostTls, the one rule every path takes", () => {
        it("takes each TLS host's CA, certificate and key, and asks nothing of the hosts without tls", () => {
            const asked: string[] = [];
            const found = requireHostTls(planOf(lab), STACK, (host, part) => {
                asked.push(tlsStackKey(host, part));
                return PEM[part];
            });
            expect(found).to.deep.equal({ h3: PEM });
            expect(asked).to.deep.equal(["vnetlab:tls-h3-ca", "vnetlab:tls-h3-cert", "vnetlab:tls-h3-key"]);
            expect(requireHostTls(planOf(stackLab("multi-host") as Raw), STACK, () => undefined)).to.deep.equal({});
            expect(requireHostTls(planLab(parseLab(stackLab("dev"), "dev"), "dev"), "dev", () => undefined)).to.deep.equal({});
        });

        it("refuses a TLS host that lacks any of them, with its config path, the missing secrets and the command for each", () => {
            expect(() => requireHostTls(planOf(lab), STACK, () => undefined)).to.throw(HostTlsSecretsError, H3_WITHOUT_MATERIAL);
            let error: unknown;
            try {
                requireHostTls(planOf(lab), STACK, (_, part) => (part === "key" ? undefined : PEM[part]));
            } catch (e) {
                error = e;
            }
            expect(messageOf(error).split("\n").slice(1)).to.deep.equal([
                "  vnetlab:lab.hosts.h3.tls: is on, but the stack secret vnetlab:tls-h3-key is not set; set it from its PEM file:",
                `    pulumi config set --stack ${STACK} --secret vnetlab:tls-h3-key < key.pem`,
            ]);
        });

        it("names every TLS host that lacks secrets, not only the first", () => {
            const two = tlsLab({ h1: "unix:///run/h1.sock", h2: "tcp://10.0.0.2:2376", h3: "tcp://10.0.0.3:2376" });
            (two.hosts as Raw).h2.tls = true;
            expect(() => requireHostTls(planOf(two), STACK, (host) => (host === "h3" ? "pem" : undefined)))
                .to.throw(HostTlsSecretsError, /\n {2}vnetlab:lab\.hosts\.h2\.tls: is on, but the stack secrets vnetlab:tls-h2-ca, vnetlab:tls-h2-cert, vnetlab:tls-h2-key are not set/)
                .with.property("message").that.does.not.include("hosts.h3");
        });
    });

    describe("npm run lab -- up|preview (LabStack.open)", () => {
        // Should the refusal ever come later, whatever the stack would leave goes to a backend of its own.
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-tls-backend-"));
        const env = { PULUMI_BACKEND_URL: `file://${backend}` };
        afterEach(() => fs.rmSync(stackFile(STACK), { force: true }));
        after(() => fs.rmSync(backend, { recursive: true, force: true }));

        it("refuses a TLS host without its secrets before any engine is asked and before there is a stack or a stack file", async () => {
            const error = await rejection(LabStack.open(STACK, { lab, env }));
            expect(messageOf(error)).to.equal(H3_WITHOUT_MATERIAL);
            expect(engines.connections).to.equal(0);
            expect(fs.existsSync(stackFile(STACK)), "stack file").to.equal(false);
            expect(fs.readdirSync(backend), "backend").to.deep.equal([]);
        });

        it("counts the secrets in the stack file (encrypted) and those the command is about to set", async () => {
            writeStackLab(STACK, lab);
            const file = fs.readFileSync(stackFile(STACK), "utf8");
            fs.writeFileSync(stackFile(STACK), file.replace(/^config:\n/m, `config:\n  ${tlsStackKey("h3", "ca")}:\n    secure: v1:AAAA\n`));
            const error = await rejection(LabStack.open(STACK, { env, secrets: { [tlsStackKey("h3", "cert")]: PEM.cert } }));
            expect(messageOf(error)).to.include("the stack secret vnetlab:tls-h3-key is not set").and.not.include("tls-h3-ca").and.not.include("tls-h3-cert");
            expect(engines.connections).to.equal(0);
        });
    });

    describe("pulumi up by hand (index.ts)", () => {
        /** The program under mocks, with the lab, the seed and `tls` as stack secrets. */
        async function runProgram(tls: Partial<Record<keyof typeof PEM, string>>): Promise<{ mocks: RecordingMocks; error?: unknown }> {
            const mocks = new RecordingMocks();
            pulumi.runtime.setMocks(mocks, "vnetlab", STACK, false);
            const secrets = Object.fromEntries(Object.entries(tls).map(([part, pem]) => [tlsStackKey("h3", part as keyof typeof PEM), pem]));
            pulumi.runtime.setAllConfig({ "vnetlab:lab": JSON.stringify(lab), "vnetlab:seed": TEST_SEED, ...secrets }, ["vnetlab:seed", ...Object.keys(secrets)]);
            const saved = process.env[HOST_ESP_ENV];
            process.env[HOST_ESP_ENV] = "yes";
            try {
                // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program, as the Pulumi CLI loads it
                await (require("../../index") as () => Promise<unknown>)();
                return { mocks };
            } catch (error) {
                return { mocks, error };
            } finally {
                if (saved === undefined) delete process.env[HOST_ESP_ENV];
                else process.env[HOST_ESP_ENV] = saved;
            }
        }

        it("refuses a TLS host without its secrets before any engine is asked or anything is registered", async () => {
            const { mocks, error } = await runProgram({});
            expect(messageOf(error)).to.equal(H3_WITHOUT_MATERIAL);
            expect(engines.connections).to.equal(0);
            expect(mocks.resources).to.deep.equal([]);
        });

        it("names only the secrets the stack lacks", async () => {
            const { error } = await runProgram({ ca: PEM.ca });
            expect(messageOf(error)).to.include("the stack secrets vnetlab:tls-h3-cert, vnetlab:tls-h3-key are not set").and.not.include("tls-h3-ca");
            expect(engines.connections).to.equal(0);
        });
    });

    describe("deployLab, as the unit tests register a lab", () => {
        const deploy = async (secret: (part: keyof typeof PEM) => string | undefined): Promise<{ mocks: RecordingMocks; error?: unknown }> => {
            const mocks = new RecordingMocks();
            pulumi.runtime.setMocks(mocks, "vnetlab", STACK, false);
            try {
                const deployed = deployLab({ lab, stack: STACK, seed: TEST_SEED, hostTlsSecret: (host, part) => (host === "h3" ? secret(part) : undefined) });
                await promiseOf(deployed.manifest);
                return { mocks };
            } catch (error) {
                return { mocks, error };
            }
        };

        it("registers nothing for a TLS host without its secrets", async () => {
            const { mocks, error } = await deploy(() => undefined);
            expect(messageOf(error)).to.equal(H3_WITHOUT_MATERIAL);
            expect(mocks.resources).to.deep.equal([]);
        });

        it("gives the TLS host's provider its material, as secrets", async () => {
            const { mocks, error } = await deploy((part) => PEM[part]);
            expect(error).to.equal(undefined);
            const provider = mocks.ofType("pulumi:providers:docker").find((p) => p.name === "host-h3")!;
            for (const input of ["caMaterial", "certMaterial", "keyMaterial"]) expect(isSecret(provider.inputs[input]), input).to.equal(true);
        });
    });

    describe("verify and lab fault (deployedLab)", () => {
        const plan = () => planOf(lab);
        /** A selected stack of the deployed lab, and how often it was selected. */
        function deployed(config: ConfigMap) {
            const selected: string[] = [];
            const select = async (name: string): Promise<DeployedStack> => {
                selected.push(name);
                return {
                    outputs: async () => ({ manifest: { value: manifestOf(plan()), secret: false } }),
                    getAllConfig: async () => config,
                };
            };
            return { selected, select };
        }
        const secretsOf = (parts: readonly (keyof typeof PEM)[]): ConfigMap =>
            Object.fromEntries(parts.map((part) => [tlsStackKey("h3", part), { value: PEM[part], secret: true }]));

        it("selects the stack once, for the manifest and the TLS secrets both, and reaches the TLS host with them", async () => {
            const stack = deployed(secretsOf(["ca", "cert", "key"]));
            const { plan: read, docker } = await deployedLab(STACK, stack.select);
            expect(stack.selected).to.deep.equal([STACK]);
            expect(read).to.deep.equal(plan());
            const container = (node: string) => read.nodes.find((n) => n.name === node)!.containerName;
            const modem = (node: string) => engineOfContainer(docker, container(node)).modem as { ca?: string; cert?: string; key?: string; protocol?: string };
            expect(modem("gateway-b")).to.include({ ...PEM, protocol: "https" });
            expect(modem("gateway-a").ca).to.equal(undefined);
            expect(engines.connections).to.equal(0);
        });

        it("refuses a deployed lab whose TLS host has lost a secret, with what to set", async () => {
            const error = await rejection(deployedLab(STACK, deployed(secretsOf(["ca", "cert"])).select));
            expect(messageOf(error)).to.include("vnetlab:lab.hosts.h3.tls: is on, but the stack secret vnetlab:tls-h3-key is not set");
            expect(engines.connections).to.equal(0);
        });
    });
});
