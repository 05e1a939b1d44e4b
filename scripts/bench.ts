// Boot time, memory and teardown of each stack on the local Docker engine,
// realized through the test engine (no Pulumi CLI needed):
//   npm run bench [-- dev host-to-host ...]
// Figures are wall-clock on a shared machine: compare the rows of one run.
import * as fs from "fs";
import Docker from "dockerode";
import { deploy } from "../test/e2e/lab";
import { STACKS, stackLab } from "../test/support/recording-mocks";
import { verifyLab } from "../verify";

interface Row {
    stack: string;
    nodes: number;
    bootSeconds: number;
    verifySeconds: number;
    checks: string;
    memoryMiB: number;
    teardownSeconds: number;
}

/**
 * Proportional set size of every process of the lab's containers, read from
 * the host's /proc: shared pages (the same binaries in every node) count once
 * in total, and it works where Docker's cgroup memory stats read 0.
 */
async function memoryMiB(docker: Docker, containers: readonly string[]): Promise<number> {
    let kib = 0;
    for (const name of containers) {
        const top = await docker.getContainer(name).top({ ps_args: "-o pid" });
        for (const [pid] of top.Processes ?? []) {
            const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
            kib += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
        }
    }
    return kib / 1024;
}

async function bench(stack: string): Promise<Row> {
    const t0 = Date.now();
    const lab = await deploy(stack, { lab: stackLab(stack) });
    const booted = Date.now();
    try {
        const results = await verifyLab(lab.plan, { docker: lab.engine.docker });
        const verified = Date.now();
        const memory = await memoryMiB(lab.engine.docker, lab.plan.nodes.map((n) => n.containerName));
        const t1 = Date.now();
        await lab.engine.destroyAll();
        return {
            stack,
            nodes: lab.plan.nodes.length,
            bootSeconds: (booted - t0) / 1000,
            verifySeconds: (verified - booted) / 1000,
            checks: `${results.filter((r) => r.pass).length}/${results.length}`,
            memoryMiB: memory,
            teardownSeconds: (Date.now() - t1) / 1000,
        };
    } finally {
        await lab.engine.destroyAll();
    }
}

async function main(): Promise<void> {
    const stacks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...STACKS];
    const rows: Row[] = [];
    for (const stack of stacks) {
        process.stderr.write(`bench ${stack} ...\n`);
        rows.push(await bench(stack));
    }
    const header = ["stack", "nodes", "boot s", "verify s", "checks", "memory MiB", "teardown s"];
    const lines = rows.map((r) => [r.stack, String(r.nodes), r.bootSeconds.toFixed(1), r.verifySeconds.toFixed(1), r.checks,
        r.memoryMiB.toFixed(1), r.teardownSeconds.toFixed(1)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    for (const line of [header, ...lines]) console.log(line.map((c, i) => c.padEnd(widths[i])).join("  "));
    console.log("\nseed paper (Docker Compose, fresh boot incl. building the environment): 75 s, 278 MB peak");
    process.exit(0);
}

main().catch((e: Error) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
});
