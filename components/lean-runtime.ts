/** Set to 1 to keep what leanRuntime drops, for a program being debugged. */
export const PROGRAM_DEBUG_ENV = "VNETLAB_PROGRAM_DEBUG";

/** The part of the SDK's log module that leanRuntime replaces. */
interface SdkLog {
    debug: (message: string, ...rest: unknown[]) => Promise<void>;
}

/**
 * Drops two things the Pulumi SDK does for every resource, which a lab of
 * hundreds pays for with nothing to show, for the rest of the program's run:
 * - a stack trace for every promise it makes (for its report of leaked
 *   promises) and every resource it registers (a source position kept in
 *   state), formatted through ts-node's source maps;
 * - three debug-level log messages per resource, each an RPC to the engine,
 *   which shows them only under `pulumi --debug`.
 *
 * A no-op preview of 100 branches (713 resources): CPU -16 %, wall -13 %
 * (README, Performance). Errors keep their message, not where they came
 * from: with VNETLAB_PROGRAM_DEBUG=1 the program keeps both. Call it from
 * the program only (index.ts): it changes the whole process.
 * Returns whether it dropped them.
 */
export function leanRuntime(env: NodeJS.ProcessEnv = process.env): boolean {
    if (env[PROGRAM_DEBUG_ENV] === "1") return false;
    Error.stackTraceLimit = 0;
    // The SDK's modules call log.debug through this module object, so replacing it there reaches them.
    const sdkLog = require("@pulumi/pulumi/log") as SdkLog;
    sdkLog.debug = () => Promise.resolve();
    return true;
}
