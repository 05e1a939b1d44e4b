// The simulated three-host swarm of scripts/sim-swarm.sh, for the commands and
// tests that run a lab over several hosts on one machine: its hosts as a lab
// names them, and the script that starts and dissolves it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TLS_PARTS, tlsStackKey } from "./engines";
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

/** The swarm's host that also listens on TCP with TLS, as a remote engine would, and where its client material is. */
export const SIM_SWARM_TLS = { host: "h3", address: "tcp://100.127.255.3:2376", dir: "/run/vnetlab-swarm/tls" } as const;

/** The stack secrets (`vnetlab:tls-h3-ca`, `-cert`, `-key`) a lab needs to reach that host over TLS. */
export function simSwarmTlsSecrets(): Record<string, string> {
    return Object.fromEntries(TLS_PARTS.map((part) => [
        tlsStackKey(SIM_SWARM_TLS.host, part), fs.readFileSync(path.join(SIM_SWARM_TLS.dir, `${part}.pem`), "utf8"),
    ]));
}
