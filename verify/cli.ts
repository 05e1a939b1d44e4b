// npm run verify -- --stack <name> [--manifest file] [--json] [--timeout s] [--only text]
import Docker from "dockerode";
import { formatTable, loadManifest, nodeLogs, summary, verifyLab } from ".";

interface Args {
    stack?: string;
    manifest?: string;
    json: boolean;
    timeout?: number;
    only?: string;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { json: false };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
            return v;
        };
        switch (argv[i]) {
            case "--stack": args.stack = value(); break;
            case "--manifest": args.manifest = value(); break;
            case "--json": args.json = true; break;
            case "--timeout": args.timeout = Number(value()); break;
            case "--only": args.only = value(); break;
            case "-h": case "--help":
                console.log("usage: npm run verify -- [--stack NAME | --manifest FILE] [--json] [--timeout SECONDS] [--only TEXT]");
                process.exit(0);
                break;
            default: throw new Error(`unknown argument ${argv[i]}`);
        }
    }
    return args;
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const { plan } = loadManifest({ file: args.manifest, stack: args.stack });
    const docker = new Docker();
    const results = await verifyLab(plan, {
        docker,
        ...(args.timeout ? { timeoutSeconds: args.timeout } : {}),
        ...(args.only ? { only: args.only } : {}),
        onProgress: (i, n, spec) => process.stderr.write(`[${i + 1}/${n}] ${spec.id} ... `),
        onResult: (r) => process.stderr.write(`${r.pass ? "ok" : "FAIL"} (${r.seconds.toFixed(1)}s)\n`),
    });
    if (args.json) {
        console.log(JSON.stringify({ lab: plan.name, stack: plan.stack, results }, null, 2));
    } else {
        console.log(formatTable(results));
        const failed = results.filter((r) => !r.pass);
        const nodes = [...new Set(failed.flatMap((r) => r.nodes))];
        for (const node of nodes) console.log(`\nlogs of ${node} (involved in a failed check):\n${await nodeLogs(docker, plan, node)}`);
        console.log(`\n${summary(results)}`);
    }
    return results.every((r) => r.pass) ? 0 : 1;
}

main().then((code) => process.exit(code), (e: Error) => {
    console.error(`vnetlab verify: ${e.message}`);
    process.exit(2);
});
