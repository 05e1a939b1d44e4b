// npm run verify -- [--stack NAME | --manifest FILE] [--json] [--html FILE] [--timeout SECONDS] [--only TEXT] [--until-pass SECONDS]
import * as fs from "fs";
import * as path from "path";
import type Docker from "dockerode";
import type { LabPlan } from "../plan/types";
import { labDocker } from "../host/engines";
import { deployedLab } from "../automation/lab";
import { parseCommandLine, positiveSeconds, runCommand, UsageError } from "../cli/args";
import { deployedStack, resolveLab } from "../cli/lab-name";
import { formatTable, loadManifest, nodeLogs, summary, verifyLab, CheckResult } from ".";
import { verifyUntilPass } from "./until";
import { renderHtmlReport } from "./html";
import { progressReporter } from "./progress";

const USAGE = "npm run verify -- [--stack NAME | --manifest FILE] [--json] [--html FILE] [--timeout SECONDS] [--only TEXT] [--until-pass SECONDS]";

function parse(argv: readonly string[]) {
    const { values } = parseCommandLine({
        args: [...argv],
        options: {
            stack: { type: "string" },
            manifest: { type: "string" },
            json: { type: "boolean" },
            html: { type: "string" },
            timeout: { type: "string" },
            only: { type: "string" },
            "until-pass": { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    const nonEmpty = (option: string, value: string | undefined) => {
        if (value !== undefined && value.trim() === "") throw new UsageError(`${option}: empty value`);
        return value;
    };
    if (values.stack !== undefined && values.manifest !== undefined) throw new UsageError("--stack and --manifest: give one, not both");
    const manifest = nonEmpty("--manifest", values.manifest);
    if (manifest !== undefined && !fs.existsSync(manifest)) throw new UsageError(`--manifest: no such file "${manifest}"`);
    const html = nonEmpty("--html", values.html);
    if (html !== undefined && !fs.existsSync(path.dirname(path.resolve(html)))) {
        throw new UsageError(`--html: no such directory "${path.dirname(html)}"`);
    }
    const stack = nonEmpty("--stack", values.stack);
    return {
        help: values.help ?? false,
        stack: stack === undefined ? undefined : resolveLab(stack, "--stack"),
        manifest,
        json: values.json ?? false,
        html,
        timeout: positiveSeconds("--timeout", values.timeout),
        only: nonEmpty("--only", values.only),
        untilPass: positiveSeconds("--until-pass", values["until-pass"]),
    };
}

/** The lab's plan and a client that reaches its nodes, from the deployed stack or the manifest file the arguments name. */
async function labToVerify(args: Pick<ReturnType<typeof parse>, "stack" | "manifest">): Promise<{ readonly plan: LabPlan; readonly docker: Docker }> {
    if (args.stack) return deployedLab(deployedStack(args.stack));
    if (args.manifest === undefined) throw new Error("a manifest file or a stack is needed");
    // A TLS host's material is in the stack's secrets; a manifest file alone reaches the others.
    const { plan } = await loadManifest(args.manifest);
    return { plan, docker: labDocker(plan) };
}

async function main(): Promise<number> {
    const args = parse(process.argv.slice(2));
    if (args.help) {
        console.log(`usage: ${USAGE}`);
        return 0;
    }
    const { plan, docker } = await labToVerify(args);
    const once = async () => {
        const progress = progressReporter(process.stderr);
        return verifyLab(plan, {
            docker,
            ...(args.timeout !== undefined ? { timeoutSeconds: args.timeout } : {}),
            ...(args.only !== undefined ? { only: args.only } : {}),
            onProgress: progress.onProgress,
            onResult: progress.onResult,
        }).finally(progress.done);
    };
    let results: readonly CheckResult[];
    if (args.untilPass === undefined) results = await once();
    else {
        // A lab healing after a fault: run after run until one passes, each summed up in a line.
        const run = await verifyUntilPass(once, {
            seconds: args.untilPass,
            onRun: (n, r, seconds) => process.stderr.write(`run ${n} at ${seconds.toFixed(1)} s: ${r.error ?? summary(r.results)}\n`),
        });
        if (run.error !== undefined) throw new Error(`not healed within ${args.untilPass} s (${run.runs} runs): ${run.error}`);
        results = run.results;
        process.stderr.write(run.healed
            ? `healed: every check passed ${run.seconds.toFixed(1)} s after the first run began (${run.runs} runs)\n`
            : `not healed within ${args.untilPass} s (${run.runs} runs)\n`);
    }

    const failedNodes = [...new Set(results.filter((r) => !r.pass).flatMap((r) => r.nodes))];
    const logs = new Map<string, string>();
    for (const node of failedNodes) logs.set(node, await nodeLogs(docker, plan, node));

    if (args.html) {
        fs.writeFileSync(args.html, await renderHtmlReport({ plan, results, logs }));
        process.stderr.write(`report: ${args.html}\n`);
    }
    if (args.json) {
        console.log(JSON.stringify({ lab: plan.name, stack: plan.stack, results }, null, 2));
    } else {
        console.log(formatTable(results));
        for (const [node, text] of logs) console.log(`\nlogs of ${node} (involved in a failed check):\n${text}`);
        console.log(`\n${summary(results)}`);
    }
    return results.every((r) => r.pass) ? 0 : 1;
}

// A lab that cannot be read or reached is no verdict either way: exit 2, as before.
runCommand("vnetlab verify", main, 2);
