// The simulated three-host swarm of scripts/sim-swarm.sh, for the commands and
// tests that run a lab over several hosts on one machine: its hosts as a lab
// names them, and the script that starts and dissolves it.
import { execFileSync } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "../model/stack-file";

const SCRIPT = path.join(PROJECT_DIR, "scripts", "sim-swarm.sh");

/** The swarm's hosts, as `vnetlab:lab.hosts` (h1 the manager): the same as Pulumi.multi-host.yaml's. */
export const SIM_SWARM_HOSTS = {
    h1: { address: "unix:///run/vnetlab-swarm/h1.sock", manager: true },
    h2: { address: "unix:///run/vnetlab-swarm/h2.sock" },
    h3: { address: "unix:///run/vnetlab-swarm/h3.sock" },
} as const;

/** Starts the engines and forms the swarm (nothing if it is up), or leaves it and removes every trace. */
export function simSwarm(command: "up" | "down"): string {
    return execFileSync("bash", [SCRIPT, command], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
