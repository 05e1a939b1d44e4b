// CI's watchdog (.ci/watchdog): a test stage that hangs ends within its
// budget, with what the machine was doing, and leaves nothing running.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const WATCHDOG = path.join(__dirname, "../../.ci/watchdog");

/** Running, not merely a zombie that nobody reaped (this machine's init may not). */
function running(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
    } catch {
        return false;
    }
}

/**
 * Runs `run` with a command that starts `sleep 300` in the background and
 * waits for it, and answers whether that sleep still runs afterwards: it
 * would if only the command's shell were stopped.
 */
function sleepOutlives(run: (command: string) => void): boolean {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-watchdog-"));
    try {
        run(`sleep 300 & echo $! > ${dir}/child; wait`);
        return running(Number(fs.readFileSync(path.join(dir, "child"), "utf8")));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function watch(budgetSeconds: number, command: string) {
    const r = spawnSync(WATCHDOG, [String(budgetSeconds), "sh", "-c", command], { encoding: "utf8", timeout: 60000 });
    return { status: r.status, out: r.stdout + r.stderr };
}

describe("CI's watchdog", function () {
    this.timeout(60000);

    it("passes a command's output and exit status through when it ends within its budget", () => {
        const r = watch(30, "echo from the command; exit 3");
        expect(r.status).to.equal(3);
        expect(r.out).to.equal("from the command\n");
    });

    it("still stops the command when nobody reads its report any more", () => {
        expect(sleepOutlives((command) => {
            spawnSync("sh", ["-c", `'${WATCHDOG}' 1 sh -c '${command}' | head -c 1`], { encoding: "utf8", timeout: 60000 });
        })).to.equal(false);
    });

    it("ends a command past its budget with 124, says what ran, and leaves none of its processes behind", () => {
        expect(sleepOutlives((command) => {
            const r = watch(1, command);
            expect(r.status).to.equal(124);
            expect(r.out).to.match(/=== watchdog: 'sh -c .*' still running after 1 s; what the machine is doing ===/);
            expect(r.out).to.match(/--- the command's processes[^\n]*\n[^]*sleep 300/);
            expect(r.out).to.include("=== watchdog: stopping");
        })).to.equal(false);
    });
});
