// One way to name a lab, for every command (plan, lab, verify --stack,
// diagram, bench): a stack of the project (Pulumi.<name>.yaml: a shipped
// stack, or one vnetlab or its user wrote) or a generated hub-and-spoke-<N>.
// An unknown name is the same UsageError everywhere.
//
// A generated lab without a stack file is planned in memory: the generator is
// a pure function of N, so plan, diagram and bench need no file, and a
// command that only reads leaves the project as it found it. Only
// `npm run lab -- up|preview` writes the stack file (LabStack.open), since
// Pulumi reads its stack from there; once written, the file is the stack.
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "./args";
import { PROJECT_DIR } from "../model/stack-file";
import { HUB_AND_SPOKE_NAME, MAX_BRANCHES, hubAndSpokeBranches, hubAndSpokeLab } from "../model/hub-and-spoke";
import { LAB_KEY, readStackDocument, stackFile } from "../model/stack-file";

/** Stack files vnetlab writes itself (.gitignore): generated labs, the tests' and the bench's. */
const WRITTEN_STACK = /^(hub-and-spoke-\d+|e2e-.+|bench-.+)$/;

/** What Pulumi takes for a stack name; anything else (a path, a space) is no lab of this project. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The shipped stacks: one Pulumi.<stack>.yaml each, not counting those vnetlab wrote. */
export function knownStacks(dir: string = PROJECT_DIR): string[] {
    return fs.readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined && !WRITTEN_STACK.test(s))
        .sort();
}

/** A lab, named on a command line, and where its config comes from. */
export interface LabSource {
    /** The stack: Pulumi.<stack>.yaml, and the stack of that name in the backend. */
    readonly stack: string;
    /** Its `vnetlab:lab`, not yet validated. */
    readonly lab: unknown;
    /** The stack file it was read from; none for a generated lab that no `npm run lab` has written yet. */
    readonly file?: string;
    /** For a generated hub-and-spoke-<N>: N. */
    readonly branches?: number;
}

/** Where a lab's config came from, for messages: its stack file, or the generator. */
export function labOrigin(source: LabSource): string {
    return source.file !== undefined ? path.basename(source.file) : `the generated ${source.stack}`;
}

/** The stack of a lab that `npm run lab -- up` has deployed: a generated lab gets its stack file there. */
export function deployedStack(source: LabSource): string {
    if (source.file === undefined) throw new Error(`lab ${source.stack} is not deployed: it has no stack file yet (npm run lab -- up ${source.stack})`);
    return source.stack;
}

/** What every command says of a name that is no lab. */
function unknownLab(name: string, dir: string): string {
    if (HUB_AND_SPOKE_NAME.test(name)) return `unknown lab "${name}" (a generated hub-and-spoke-<N> has N of 1 to ${MAX_BRANCHES} branches, without leading zeros)`;
    return `unknown lab "${name}" (no Pulumi.${name}.yaml; known: ${knownStacks(dir).join(", ")}, or hub-and-spoke-<N> for N of 1 to ${MAX_BRANCHES})`;
}

/**
 * The lab a command line names: its stack file if there is one (shipped,
 * written by `npm run lab` for a generated lab, or the user's own), else the
 * generated hub-and-spoke-<N>, else a UsageError that starts with `what`
 * (the argument: "<stack>", "--stack", ...) and is otherwise the same for
 * every command.
 */
export function resolveLab(name: string, what = "<stack>", dir: string = PROJECT_DIR): LabSource {
    const branches = hubAndSpokeBranches(name);
    if (STACK_NAME.test(name) && fs.existsSync(stackFile(name, dir))) {
        const file = stackFile(name, dir);
        return { stack: name, lab: readStackDocument(file).config?.[LAB_KEY], file, ...(branches !== undefined ? { branches } : {}) };
    }
    if (branches !== undefined) return { stack: name, lab: hubAndSpokeLab(branches), branches };
    throw new UsageError(`${what}: ${unknownLab(name, dir)}`);
}
