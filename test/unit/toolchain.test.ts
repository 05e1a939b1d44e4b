// Which Pulumi toolchain the lab commands run, and with what environment:
// never an automatic plugin download or update check, and a missing piece
// named together with the step that builds it.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKER_PROVIDER_VERSION, SETUP_HINT, ToolchainError, findToolchain, toolchainPaths } from "../../automation/toolchain";

describe("the Pulumi toolchain", () => {
    let dir: string;
    const touch = (file: string) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, "", { mode: 0o755 });
    };
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-toolchain-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** vnetlab's own build in VNETLAB_HOME, as scripts/setup-pulumi.sh leaves it. */
    const built = (parts: { plugin?: boolean; passphrase?: boolean } = {}) => {
        const home = path.join(dir, "home");
        const paths = toolchainPaths({ VNETLAB_HOME: home });
        touch(path.join(paths.bin, "pulumi"));
        if (parts.plugin ?? true) touch(path.join(paths.pulumiHome, "plugins", `resource-docker-v${DOCKER_PROVIDER_VERSION}`, "pulumi-resource-docker"));
        if (parts.passphrase ?? true) touch(paths.passphraseFile);
        return { home, paths };
    };

    it("runs vnetlab's build with its own PULUMI_HOME, its passphrase file, and no plugin download or update check", () => {
        const { home, paths } = built();
        const toolchain = findToolchain({ VNETLAB_HOME: home, PATH: "/usr/bin" });
        expect(toolchain.kind).to.equal("vnetlab");
        expect(toolchain.root).to.equal(home);
        expect(toolchain.env).to.deep.equal({
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_CONFIG_PASSPHRASE_FILE: paths.passphraseFile,
            PULUMI_HOME: paths.pulumiHome,
            PATH: `${paths.bin}:/usr/bin`,
        });
    });

    it("leaves a passphrase the user set alone", () => {
        const { home } = built({ passphrase: false });
        const toolchain = findToolchain({ VNETLAB_HOME: home, PULUMI_CONFIG_PASSPHRASE: "mine" });
        expect(toolchain.env).to.not.have.property("PULUMI_CONFIG_PASSPHRASE_FILE");
        expect(toolchain.env).to.not.have.property("PULUMI_CONFIG_PASSPHRASE");
    });

    it("fails at once, naming npm run setup:pulumi, when the Docker provider is not installed", () => {
        const { home, paths } = built({ plugin: false });
        expect(() => findToolchain({ VNETLAB_HOME: home })).to.throw(ToolchainError,
            `the Docker provider ${DOCKER_PROVIDER_VERSION} is not installed (no ${paths.pulumiHome}/plugins/resource-docker-v${DOCKER_PROVIDER_VERSION}/pulumi-resource-docker); ${SETUP_HINT}`);
        expect(SETUP_HINT).to.include("npm run setup:pulumi");
    });

    it("takes a usual Pulumi install from PATH, with the same two settings, where vnetlab built none", () => {
        const install = path.join(dir, "pulumi");
        touch(path.join(install, "bin", "pulumi"));
        const toolchain = findToolchain({ VNETLAB_HOME: path.join(dir, "none"), PATH: `/nowhere:${path.join(install, "bin")}`, PULUMI_CONFIG_PASSPHRASE: "x" });
        expect(toolchain).to.deep.equal({
            root: install, kind: "system",
            env: { PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
        });
    });

    it("fails, naming npm run setup:pulumi, when there is no Pulumi CLI at all", () => {
        expect(() => findToolchain({ VNETLAB_HOME: path.join(dir, "none"), PATH: "/nowhere" }))
            .to.throw(ToolchainError, /^no Pulumi CLI .*; run `npm run setup:pulumi`/);
    });
});
