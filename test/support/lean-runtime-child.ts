// Run by test/unit/lean-runtime.test.ts in a process of its own (leanRuntime
// changes the whole process): registers one resource through the SDK's mocks,
// with leanRuntime first when the argument says so, and prints what the SDK
// logged at debug level and what a stack trace holds, as one JSON line.
import * as pulumi from "@pulumi/pulumi";
import { leanRuntime } from "../../components/lean-runtime";

// With no engine (mocks), the SDK prints each debug message on stdout under this switch instead.
(require("@pulumi/pulumi/runtime/settings") as { excessiveDebugOutput: boolean }).excessiveDebugOutput = true;
const debugLines: string[] = [];
const print = console.log;
console.log = (...args: unknown[]) => { debugLines.push(args.join(" ")); };

const lean = process.argv[2] === "lean" ? leanRuntime() : false;
pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
}, "vnetlab", "lean", false);

class Thing extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Thing", name, { size: 1 });
    }
}

new Thing("one").urn.apply((urn) => {
    setImmediate(() => {
        console.log = print;
        const frames = (new Error("where").stack ?? "").split("\n").filter((l) => l.trimStart().startsWith("at ")).length;
        print(JSON.stringify({ lean, urn, frames, debug: debugLines.filter((l) => l.startsWith("debug: [runtime] ")) }));
    });
    return urn;
});
