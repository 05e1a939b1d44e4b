// Prints the plan of a stack without Pulumi: `npx ts-node scripts/plan.ts <stack>`.
import { loadStackLab } from "../model/stack-file";
import { parseLab } from "../model/validate";
import { planLab } from "../plan/plan";

const stack = process.argv[2] ?? "dev";
console.log(JSON.stringify(planLab(parseLab(loadStackLab(stack), stack), stack), null, 2));
