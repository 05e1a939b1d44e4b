// What the Docker host can do with links, asked without changing anything.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Whether the Docker engine runs on this machine's Linux kernel: not a remote DOCKER_HOST, nor Docker Desktop's VM. */
function engineOnThisKernel(env: NodeJS.ProcessEnv): boolean {
    const host = env.DOCKER_HOST;
    return process.platform === "linux" && (host === undefined || host === "" || host.startsWith("unix://"));
}

/**
 * Whether Docker can make a macvlan network without a parent: it then makes a
 * dummy link, which needs the kernel's dummy driver. Answered from what the
 * local kernel has (built in or loaded: /sys/module/dummy; as a module:
 * modules.dep or modules.builtin). Docker not on this machine (Docker
 * Desktop's VM, a remote DOCKER_HOST) is taken to have it, as usual kernels do.
 */
export function dockerMakesMacvlanParents(env: NodeJS.ProcessEnv = process.env): boolean {
    if (!engineOnThisKernel(env)) return true;
    if (fs.existsSync("/sys/module/dummy")) return true;
    const modules = path.join("/lib/modules", os.release());
    return ["modules.dep", "modules.builtin"].some((file) => {
        try {
            return /(^|\/)dummy\.ko/m.test(fs.readFileSync(path.join(modules, file), "utf8"));
        } catch {
            return false;
        }
    });
}

/**
 * Whether the local Docker engine isolates its internal bridge networks with
 * iptables: it runs with `--iptables` (its default), so its
 * DOCKER-ISOLATION-STAGE-1 chain exists. Such an engine also turns
 * br_netfilter on, so frames bridged between two containers of one network go
 * through FORWARD too, where Docker drops each whose source or destination is
 * outside that network's subnet: everything a lab routes across a segment.
 * Asked of iptables (root, as the veth parents need). An engine elsewhere
 * (a remote DOCKER_HOST, Docker Desktop's VM) cannot be asked: no.
 */
export function dockerIsolatesBridges(env: NodeJS.ProcessEnv = process.env): boolean {
    if (!engineOnThisKernel(env)) return false;
    try {
        execFileSync("iptables", ["-w", "-n", "-L", "DOCKER-ISOLATION-STAGE-1"], { stdio: "ignore", timeout: 10000 });
        return true;
    } catch {
        return false;
    }
}
