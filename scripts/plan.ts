// Prints the plan of a stack without Pulumi, or why its config is invalid:
//   npm run plan -- <stack>
import { loadStackLab } from "../model/stack-file";
import { LabConfigError } from "../model/errors";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";

const stack = process.argv[2] ?? "dev";
try {
    console.log(JSON.stringify(planLab(parseLab(loadStackLab(stack), stack), stack), null, 2));
} catch (e) {
    if (!(e instanceof LabConfigError)) throw e;
    console.error(`Pulumi.${stack}.yaml: ${e.message}`);
    process.exit(1);
}
