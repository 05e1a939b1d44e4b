// Deploying and verifying labs in the end-to-end tests: the product's own
// engine (engine/lab.ts), with the report printed when a check fails.
import { verifyLab, formatTable, CheckResult } from "../../verify";
import { deploy, DeployedLab } from "../../engine/lab";

export { deploy, DeployedLab };

export async function verify(deployed: DeployedLab): Promise<CheckResult[]> {
    const results = await verifyLab(deployed.plan, { docker: deployed.engine.docker });
    if (process.env.VNETLAB_DEBUG || results.some((r) => !r.pass)) console.log(formatTable(results));
    return results;
}
