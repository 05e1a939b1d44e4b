// npm run verify -- [--stack NAME | --manifest FILE] [--json] [--html FILE] [--timeout SECONDS] [--only TEXT]
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { parseCommandLine, positiveSeconds, runCommand, UsageError } from "../cli/args";
import { LabSource, resolveLab } from "../cli/lab-name";
import { formatTable, loadManifest, nodeLogs, summary, verifyLab } from ".";
import { renderHtmlReport } from "./html";
import { progressReporter } from "./progress";

const USAGE = "npm run verify -- [--stack NAME | --manifest FILE] [--json] [--html FILE] [--timeout SECONDS] [--only TEXT]";

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
    };
}

/** The stack of a lab that `npm run lab -- up` has deployed: a generated lab gets its stack file there. */
function deployedStack(source: LabSource): string {
    if (source.file === undefined) throw new Error(`lab ${source.stack} is not deployed: it has no stack file yet (npm run lab -- up ${source.stack})`);
    return source.stack;
}

async function main(): Promise<number> {
    const args = parse(process.argv.slice(2));
    if (args.help) {
        console.log(`usage: ${USAGE}`);
        return 0;
    }
    const { plan } = await loadManifest({ file: args.manifest, stack: args.stack && deployedStack(args.stack) });
    const docker = new Docker();
    const progress = progressReporter(process.stderr);
    const results = await verifyLab(plan, {
        docker,
        ...(args.timeout !== undefined ? { timeoutSeconds: args.timeout } : {}),
        ...(args.only !== undefined ? { only: args.only } : {}),
        onProgress: progress.onProgress,
        onResult: progress.onResult,
    }).finally(progress.done);

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
