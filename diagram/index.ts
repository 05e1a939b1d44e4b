// The lab's picture: plan → DOT → SVG (and PNG). Pure apart from the WASM layout engine.
import type { LabPlan } from "../plan/types";
import { DiagramStatus, labDot } from "./dot";
import { dotToSvg, svgToPng } from "./render";

export { labDot, elementId, STATUS_COLOURS, Status, DiagramStatus } from "./dot";
export { dotToSvg, svgToPng } from "./render";

/** The lab's diagram as SVG text, coloured by `status` when given. */
export function labSvg(plan: LabPlan, status?: DiagramStatus): Promise<string> {
    return dotToSvg(labDot(plan, status));
}

export async function labDiagram(plan: LabPlan): Promise<{ readonly svg: string; readonly png: Buffer }> {
    const svg = await labSvg(plan);
    return { svg, png: svgToPng(svg) };
}
