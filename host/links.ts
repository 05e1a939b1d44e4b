// What the Docker host can do with links, asked without changing anything.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Whether Docker can make a macvlan network without a parent: it then makes a
 * dummy link, which needs the kernel's dummy driver. Answered from what the
 * local kernel has (built in or loaded: /sys/module/dummy; as a module:
 * modules.dep or modules.builtin). Docker not on this machine (Docker
 * Desktop's VM, a remote DOCKER_HOST) is taken to have it, as usual kernels do.
 */
export function dockerMakesMacvlanParents(env: NodeJS.ProcessEnv = process.env): boolean {
    if (process.platform !== "linux") return true;
    const host = env.DOCKER_HOST;
    if (host !== undefined && host !== "" && !host.startsWith("unix://")) return true;
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
