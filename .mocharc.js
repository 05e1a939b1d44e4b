// Which tests run: unit tests always; end-to-end tests (a real Docker engine)
// where an engine answers, or always when VNETLAB_REQUIRE_ENGINE=1 (CI), so
// that a missing engine fails there instead of being skipped.
const { execFileSync } = require("child_process");

// `npm test` type-checks the whole project with tsc first; here only transpile.
process.env.TS_NODE_TRANSPILE_ONLY = "true";

const UNIT = ["test/unit/**/*.test.ts"];
const E2E = ["test/e2e/**/*.e2e.ts"];

function engineAnswers() {
    try {
        execFileSync("docker", ["info"], { stdio: "ignore", timeout: 15000 });
        return true;
    } catch {
        return false;
    }
}

// Files named on the command line run alone: mocha would otherwise add them to the config's spec.
const named = process.argv.slice(2).some((a) => /\.ts$/.test(a) && !a.startsWith("-"));
const which = named ? "named" : process.env.VNETLAB_TESTS || "all";
const required = process.env.VNETLAB_REQUIRE_ENGINE === "1";
let spec = UNIT;
if (which === "named") spec = [];
else if (which === "e2e") spec = E2E;
else if (which === "all" && (required || engineAnswers())) spec = [...UNIT, ...E2E];
else if (which === "all") console.error("vnetlab: no Docker engine answers; running unit tests only (see README: npm run setup:engine)");

module.exports = {
    require: ["ts-node/register"],
    spec,
    timeout: 60000,
    reporter: "spec",
    "forbid-only": true,
    "forbid-pending": required,
    // Pulumi's mock runtime and dockerode keep handles open after the last test.
    exit: true,
};
