// A generated lab of ten branches, as the bench makes them: every check
// passes and teardown leaves nothing. (Times live in `npm run bench`.)
import { expect } from "chai";
import { hubAndSpokeLab, hubAndSpokeStack } from "../../model/hub-and-spoke";
import { deriveChecks, CheckResult } from "../../verify";
import { deploy, destroy, verify, DeployedLab } from "./lab";

describe("hub-and-spoke with 10 branches: deployed, verified, torn down", function () {
    this.timeout(10 * 60 * 1000);
    const stack = hubAndSpokeStack(10);
    let lab: DeployedLab | undefined;
    let results: CheckResult[];

    before(async () => {
        lab = await deploy(stack, { lab: hubAndSpokeLab(10) });
        results = await verify(lab);
    });

    after(async () => {
        if (lab) await destroy(lab).catch(() => undefined);
    });

    it("passes every derived check, each client's probes against every other gateway included", () => {
        expect(results.map((r) => r.id)).to.deep.equal(deriveChecks(lab!.plan).map((c) => c.id));
        expect(results.filter((r) => r.id.startsWith("isolation: client-b1 -> gateway-"))).to.have.length(10);
        expect(results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.observed}`)).to.deep.equal([]);
    });

    it("leaves no container, network or veth behind", async () => {
        const left = await destroy(lab!);
        lab = undefined;
        expect(left).to.deep.equal([]);
    });
});
