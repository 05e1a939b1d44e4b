// Command lines of vnetlab's own commands: Node's strict `util.parseArgs`, and
// one rule for what a bad argument does — a one-line error that names it,
// exit code 2, never a silent default.
import { parseArgs, type ParseArgsConfig } from "util";

/** Exit code for a bad command line (as for most Unix tools). */
export const USAGE_EXIT = 2;

/** A bad command line: the message names the argument at fault. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** util.parseArgs, strict, with its errors turned into UsageErrors. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
    try {
        return parseArgs<T>({ strict: true, ...config });
    } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) throw e;
        // Node's messages name the argument; their further sentences are advice about `--`, not about this command.
        const message = (e as Error).message.split(/\.\s/)[0]!.replace(/\.$/, "");
        const known = Object.keys(config.options ?? {}).map((o) => `--${o}`).join(", ");
        if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`${message} (known: ${known})`);
        const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
        if (ambiguous) {
            // `--timeout -1`: the value looks like an option. Say which value, and how to pass it.
            const args = config.args ?? process.argv.slice(2);
            const value = args[args.indexOf(ambiguous[1]!) + 1];
            throw new UsageError(`${ambiguous[1]}: "${value}" is taken for an option, not its value (write ${ambiguous[1]}=${value} if it is the value)`);
        }
        throw new UsageError(message);
    }
}

/** A time in seconds: a finite number greater than 0. */
export function positiveSeconds(option: string, text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
        throw new UsageError(`${option}: "${text}" is not a number of seconds greater than 0`);
    }
    return value;
}

/**
 * Runs a command's main and ends the command with its code. A UsageError
 * prints one line, "<command>: <message> (see --help)", and exits 2; any
 * other error prints "<command>: <message>" and exits with `errorExit`.
 *
 * Every command ends here, and none calls process.exit(): that ends the
 * process at once, and what it wrote to a pipe that the reader had not taken
 * yet is lost (`npm run -s plan -- hub-and-spoke-50 | wc -c` counted 65,536
 * of 250,147 bytes). The code is set as process.exitCode instead, and Node
 * exits once nothing is left to do, after the last queued write to stdout or
 * stderr. So a command must leave no handle open (a socket, a timer, a child
 * process): one that did would hang here, visibly, rather than lose output.
 */
export function runCommand(command: string, main: () => Promise<number>, errorExit = 1): void {
    main().then((code) => { process.exitCode = code; }, (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof UsageError) {
            console.error(`${command}: ${message} (see --help)`);
            process.exitCode = USAGE_EXIT;
            return;
        }
        console.error(`${command}: ${message}`);
        process.exitCode = errorExit;
    });
}
