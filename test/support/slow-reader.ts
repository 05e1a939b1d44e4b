// A slow reader at the end of a pipe, as a pager or a busy consumer is:
//   <command> | node -r ts-node/register test/support/slow-reader.ts <file>
// reads a little of its stdin, sleeps, reads on, and writes all it read to
// <file>. A command whose output arrives here whole did not exit before its
// writes to the pipe were done.
import * as fs from "fs";

const [file, chunkText = "8192", pauseText = "5"] = process.argv.slice(2);
if (!file) {
    process.stderr.write("usage: slow-reader.ts <file> [bytes per read] [ms between reads]\n");
    process.exit(2);
}
const chunk = Buffer.alloc(Number(chunkText));
const pauseMs = Number(pauseText);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

const out = fs.openSync(file, "w");
for (;;) {
    let n: number;
    try {
        n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        sleep(pauseMs);
        continue;
    }
    if (n === 0) break;
    fs.writeSync(out, chunk, 0, n);
    sleep(pauseMs);
}
fs.closeSync(out);
