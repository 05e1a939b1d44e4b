// The kernel dataplane's files of the transport-mode lab, byte for byte.
// This project's machines cannot run that lab (no ESP in their kernel), so
// its rendering is pinned here: what a gateway on a kernel with ESP gets.
//
// After an intended change to a renderer, regenerate and review the diff:
//
//     VNETLAB_UPDATE_GOLDEN=1 npx mocha test/unit/golden.test.ts && git diff test/unit/golden
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import { FIREWALL_FILES, NODE_CONF, SWANCTL_CONF, renderNodeFiles, strongswanConfPath } from "../../configs";

const STACK = "host-to-host-transport";
const DIR = path.join(__dirname, "golden", STACK);
const UPDATE = process.env.VNETLAB_UPDATE_GOLDEN === "1";

/** Golden name per rendered path: the files the kernel dataplane reads. */
const FILES: Readonly<Record<string, string>> = {
    [SWANCTL_CONF]: "swanctl.conf",
    [strongswanConfPath("kernel")]: "strongswan.conf",
    [NODE_CONF]: "node.conf",
    [FIREWALL_FILES.ipv4]: "firewall.v4",
    [FIREWALL_FILES.ipv6]: "firewall.v6",
};

describe(`golden files: ${STACK}, kernel dataplane`, () => {
    const plan = planLab(parseLab(loadStackLab(STACK), STACK), STACK);
    const gateways = plan.nodes.filter((n) => n.role === "gateway");

    it("has the gateways the stack declares, in transport mode on the dataplane the host picks", () => {
        expect(gateways.map((g) => g.name)).to.deep.equal(["host-a", "host-b"]);
        expect(plan.tunnels.map((t) => [t.name, t.type, t.mode])).to.deep.equal([["a-b", "host-to-host", "transport"]]);
        expect(plan.dataplane).to.equal("auto");
    });

    for (const gw of gateways) {
        for (const [rendered, golden] of Object.entries(FILES)) {
            it(`${gw.name}/${golden} is exactly ${path.relative(path.join(__dirname, "../.."), path.join(DIR, gw.name, golden))}`, () => {
                const file = renderNodeFiles(gw, plan).find((f) => f.path === rendered);
                if (!file) throw new Error(`${gw.name} has no ${rendered}`);
                const at = path.join(DIR, gw.name, golden);
                if (UPDATE) {
                    fs.mkdirSync(path.dirname(at), { recursive: true });
                    fs.writeFileSync(at, file.content);
                }
                // Compared as bytes: a changed line ending or a missing final newline is a change too.
                expect(Buffer.from(file.content, "utf8").equals(fs.readFileSync(at)), `${at} differs:\n${file.content}`).to.equal(true);
            });
        }
    }

    it("holds no golden file that nothing renders", () => {
        const expected = gateways.flatMap((g) => Object.values(FILES).map((f) => path.join(g.name, f))).sort();
        const present = fs.readdirSync(DIR).flatMap((d) => fs.readdirSync(path.join(DIR, d)).map((f) => path.join(d, f))).sort();
        expect(present).to.deep.equal(expected);
    });
});
