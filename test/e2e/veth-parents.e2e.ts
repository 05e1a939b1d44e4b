// The provider of a lab's veth parents against the real host: one resource
// holds every pair, so adding a segment must leave the other pairs (and the
// macvlans on them) as they are, and refresh must notice a pair that is gone.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { vethNames, vethProvider } from "../../components/veth-parent";

const exists = (link: string) => fs.existsSync(`/sys/class/net/${link}`);
const ifindex = (link: string) => fs.readFileSync(`/sys/class/net/${link}/ifindex`, "utf8").trim();
const operstate = (link: string) => fs.readFileSync(`/sys/class/net/${link}/operstate`, "utf8").trim();

describe("the veth parents of a lab, on this host", function () {
    const [a, b, c] = ["vnetlab-e2e-veth-a", "vnetlab-e2e-veth-b", "vnetlab-e2e-veth-c"].map(vethNames);
    const all = [a!, b!, c!];
    const cleanUp = () => {
        for (const p of all) if (exists(p.name)) execFileSync("ip", ["link", "del", p.name]);
    };
    before(cleanUp);
    after(cleanUp);

    it("makes every pair in one create, both ends up", async () => {
        const created = await vethProvider.create({ pairs: [a, b] });
        expect(created.outs).to.deep.equal({ pairs: [a, b] });
        for (const p of [a!, b!]) {
            expect(exists(p.name) && exists(p.peer), p.name).to.equal(true);
            // A veth is up once both ends are: "up", or "unknown" on kernels that do not say.
            expect(operstate(p.name)).to.not.equal("down");
        }
    });

    it("adds a pair and removes one in an update, leaving the pair both keep as it was", async () => {
        const kept = ifindex(a!.name);
        const diff = await vethProvider.diff!("veth-parents", { pairs: [a, b] }, { pairs: [a, c] });
        expect(diff).to.deep.equal({ changes: true });
        await vethProvider.update!("veth-parents", { pairs: [a, b] }, { pairs: [a, c] });
        expect(ifindex(a!.name), "the kept pair is the same link").to.equal(kept);
        expect(exists(b!.name)).to.equal(false);
        expect(exists(c!.name) && exists(c!.peer)).to.equal(true);
    });

    it("takes a pair left by an interrupted run as it is, instead of failing on it", async () => {
        const left = ifindex(c!.name);
        await vethProvider.create({ pairs: [a, c] });
        expect(ifindex(c!.name)).to.equal(left);
    });

    it("reads back only the pairs that are there, so the next up makes a lost one again", async () => {
        execFileSync("ip", ["link", "del", c!.name]);
        const read = await vethProvider.read!("veth-parents", { pairs: [a, c] });
        expect(read.props).to.deep.equal({ pairs: [a] });
        expect((await vethProvider.diff!("veth-parents", read.props, { pairs: [a, c] })).changes).to.equal(true);
    });

    it("removes every pair on delete, and a pair already gone is no error", async () => {
        await vethProvider.delete!("veth-parents", { pairs: [a, c] });
        for (const p of all) expect(exists(p.name) || exists(p.peer), p.name).to.equal(false);
    });
});
