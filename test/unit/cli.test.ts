// Every command's bad arguments: one line naming the argument, exit code 2,
// as a user sees them (the CLI spawned as `npm run` would run it).
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseCommandLine, positiveSeconds, UsageError } from "../../cli/args";
import { resolveLab } from "../../cli/lab-name";
import { PROJECT_DIR } from "../../model/stack-file";

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function run(script: string, args: readonly string[]): Promise<Run> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register", script, ...args],
            { cwd: PROJECT_DIR, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, timeout: 60000 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }));
    });
}

const BAD: readonly (readonly [string, readonly string[], RegExp])[] = [
    ["verify/cli.ts", ["--timeout", "abc"], /^vnetlab verify: --timeout: "abc" is not a number of seconds greater than 0/],
    ["verify/cli.ts", ["--timeout", "-1"], /^vnetlab verify: --timeout: "-1" is taken for an option/],
    ["verify/cli.ts", ["--timeout=-1"], /^vnetlab verify: --timeout: "-1" is not a number of seconds greater than 0/],
    ["verify/cli.ts", ["--timeout", "0"], /^vnetlab verify: --timeout: "0" is not a number/],
    ["verify/cli.ts", ["--timeout"], /^vnetlab verify: Option '--timeout <value>' argument missing/],
    ["verify/cli.ts", ["--bogus"], /^vnetlab verify: Unknown option '--bogus' \(known: --stack, --manifest, --json, --html, --timeout, --only, --until-pass, --help\)/],
    ["verify/cli.ts", ["--until-pass", "soon"], /^vnetlab verify: --until-pass: "soon" is not a number of seconds greater than 0/],
    ["scripts/lab.ts", ["fault", "dev", "gateway-a", "explode"], /^vnetlab lab: fault: "explode" is not one of restart, stop, start/],
    ["verify/cli.ts", ["--stack", "nope"], /^vnetlab verify: --stack: unknown lab "nope" \(no Pulumi\.nope\.yaml; known: dev, /],
    ["verify/cli.ts", ["--manifest", "/nonexistent/m.json"], /^vnetlab verify: --manifest: no such file "\/nonexistent\/m\.json"/],
    ["verify/cli.ts", ["--html", "/nonexistent/dir/r.html"], /^vnetlab verify: --html: no such directory "\/nonexistent\/dir"/],
    ["verify/cli.ts", ["--json=yes"], /^vnetlab verify: Option '--json' does not take an argument/],
    ["verify/cli.ts", ["dev"], /^vnetlab verify: Unexpected argument 'dev'/],
    ["scripts/plan.ts", ["nope"], /^vnetlab plan: <stack>: unknown lab "nope"/],
    ["scripts/plan.ts", ["--stack", "dev"], /^vnetlab plan: Unknown option '--stack'/],
    ["scripts/diagram.ts", [], /^vnetlab diagram: <stack>: expected one stack name, got 0/],
    ["scripts/diagram.ts", ["nope"], /^vnetlab diagram: <stack>: unknown lab "nope"/],
    ["scripts/diagram.ts", ["dev", "--out"], /^vnetlab diagram: Option '--out <value>' argument missing/],
    ["scripts/diagram.ts", ["dev", "--svg-only"], /^vnetlab diagram: Unknown option '--svg-only'/],
];

describe("command lines", function () {
    this.timeout(120000);

    it("parse strictly: unknown flags, missing and bad values are UsageErrors naming the argument", () => {
        const options = { timeout: { type: "string" }, json: { type: "boolean" } } as const;
        expect(() => parseCommandLine({ args: ["--nope"], options })).to.throw(UsageError, "Unknown option '--nope' (known: --timeout, --json)");
        expect(() => parseCommandLine({ args: ["--timeout"], options })).to.throw(UsageError, "--timeout");
        expect(() => parseCommandLine({ args: ["x"], options })).to.throw(UsageError, "Unexpected argument 'x'");
        expect(parseCommandLine({ args: ["--timeout", "5", "--json"], options }).values).to.deep.equal({ timeout: "5", json: true });
        expect(positiveSeconds("--timeout", "2.5")).to.equal(2.5);
        expect(positiveSeconds("--timeout", undefined)).to.equal(undefined);
        for (const bad of ["abc", "-1", "0", "", " ", "Infinity", "NaN", "1e999"]) {
            expect(() => positiveSeconds("--timeout", bad), bad).to.throw(UsageError, `--timeout: "${bad}" is not a number of seconds`);
        }
        expect(resolveLab("dev").stack).to.equal("dev");
        expect(() => resolveLab("../dev")).to.throw(UsageError, 'unknown lab "../dev"');
    });

    it("each command: a bad argument is one line on stderr naming it, and exit code 2", async () => {
        const runs = await Promise.all(BAD.map(([script, args]) => run(script, args)));
        BAD.forEach(([script, args, message], i) => {
            const r = runs[i]!;
            const what = `${script} ${args.join(" ")}: ${r.stderr}`;
            expect(r.code, what).to.equal(2);
            expect(r.stderr.trimEnd().split("\n"), what).to.have.length(1);
            expect(r.stderr, what).to.match(message);
            expect(r.stdout, what).to.equal("");
        });
    });

    it("good arguments still work: plan prints the plan, diagram writes SVG and PNG, --help exits 0", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-diagram-"));
        try {
            const [plan, diagram, help] = await Promise.all([
                run("scripts/plan.ts", ["site-to-site"]),
                run("scripts/diagram.ts", ["dev", "--out", out]),
                run("verify/cli.ts", ["--help"]),
            ]);
            expect(plan.code, plan.stderr).to.equal(0);
            expect((JSON.parse(plan.stdout) as { stack: string }).stack).to.equal("site-to-site");
            expect(diagram.code, diagram.stderr).to.equal(0);
            expect(fs.readFileSync(path.join(out, "dev.svg"), "utf8")).to.include("<svg");
            expect(fs.statSync(path.join(out, "dev.png")).size).to.be.greaterThan(10000);
            expect(help.code).to.equal(0);
            expect(help.stdout).to.match(/^usage: npm run verify -- .*--html FILE/);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});
