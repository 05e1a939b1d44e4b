// Where the Pulumi toolchain is, and the environment every Pulumi command of
// vnetlab runs with. scripts/setup-pulumi.sh builds the CLI, the Node language
// host and the Docker provider from Go modules into VNETLAB_HOME; a machine
// with Pulumi installed the usual way uses its own `pulumi` from PATH.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The Docker provider version that @pulumi/docker asks the engine for. */
export const DOCKER_PROVIDER_VERSION: string = (require("@pulumi/docker/package.json") as { version: string }).version;

export const SETUP_HINT = "run `npm run setup:pulumi` (it builds the Pulumi CLI, language host and Docker provider from Go modules)";

export class ToolchainError extends Error {
    constructor(message: string) {
        super(`${message}; ${SETUP_HINT}`);
        this.name = "ToolchainError";
    }
}

export interface ToolchainPaths {
    readonly home: string;
    /** The CLI, the language host and the dynamic-provider launcher. */
    readonly bin: string;
    /** PULUMI_HOME of vnetlab's own toolchain: its plugin folder holds the Docker provider. */
    readonly pulumiHome: string;
    readonly passphraseFile: string;
    /** The Pulumi schema the bridged Docker provider was built with. */
    readonly dockerSchema: string;
}

export function toolchainPaths(env: NodeJS.ProcessEnv = process.env): ToolchainPaths {
    const home = env.VNETLAB_HOME || path.join(os.homedir(), ".vnetlab");
    return {
        home,
        bin: path.join(home, "bin"),
        pulumiHome: path.join(home, "pulumi"),
        passphraseFile: path.join(home, "passphrase"),
        dockerSchema: path.join(home, "share", "pulumi-resource-docker-schema.json"),
    };
}

export interface Toolchain {
    /** The install root: `pulumi` is in its bin/ (the Automation API's PulumiCommand root). */
    readonly root: string;
    readonly kind: "vnetlab" | "system";
    /** The environment for the CLI and everything it starts. */
    readonly env: Readonly<Record<string, string>>;
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (dir && fs.existsSync(path.join(dir, command))) return dir;
    }
    return undefined;
}

/**
 * vnetlab's build if there is one, else a `pulumi` on PATH. Plugins are never
 * downloaded (nothing could be, here) and the CLI never asks for updates: a
 * missing plugin fails at once, and the error names the setup step.
 */
export function findToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain {
    const paths = toolchainPaths(env);
    const fixed = {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const passphrase: Record<string, string> | undefined = env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined
        ? {}
        : fs.existsSync(paths.passphraseFile) ? { PULUMI_CONFIG_PASSPHRASE_FILE: paths.passphraseFile } : undefined;
    if (fs.existsSync(path.join(paths.bin, "pulumi"))) {
        const plugin = path.join(paths.pulumiHome, "plugins", `resource-docker-v${DOCKER_PROVIDER_VERSION}`, "pulumi-resource-docker");
        if (!fs.existsSync(plugin)) throw new ToolchainError(`the Docker provider ${DOCKER_PROVIDER_VERSION} is not installed (no ${plugin})`);
        if (!passphrase) throw new ToolchainError(`no passphrase for stack secrets (PULUMI_CONFIG_PASSPHRASE unset, no ${paths.passphraseFile})`);
        return {
            root: paths.home,
            kind: "vnetlab",
            env: { ...fixed, ...passphrase, PULUMI_HOME: paths.pulumiHome, PATH: `${paths.bin}${path.delimiter}${env.PATH ?? ""}` },
        };
    }
    const system = onPath("pulumi", env);
    if (!system || path.basename(system) !== "bin") throw new ToolchainError(`no Pulumi CLI (not in ${paths.bin}, not in a bin/ folder on PATH)`);
    if (!passphrase) throw new ToolchainError("no passphrase for stack secrets: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE");
    return { root: path.dirname(system), kind: "system", env: { ...fixed, ...passphrase } };
}
