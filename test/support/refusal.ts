import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";

/**
 * What the program threw for a lab it refuses: a RunError without a stack,
 * which Pulumi prints as its message alone (components/deploy.ts), carrying
 * the refusal itself as its cause.
 */
export function refusalOf(error: unknown): unknown {
    expect(pulumi.RunError.isInstance(error), `a RunError, not ${String(error)}`).to.equal(true);
    expect((error as Error).stack, "no stack for Pulumi to print").to.equal("");
    return (error as Error).cause;
}
