// What `npm run lab -- up` shows while a lab comes up: the image build, then
// networks, containers and ready nodes, each as done of total, and the time
// so far. On a terminal one line that keeps changing; elsewhere (CI logs,
// pipes) one plain line as each step completes.
import type { LabPlan } from "../plan/types";
import type { ProgressStream } from "../verify/progress";

export interface LabProgress {
    readonly created: (type: string, name: string) => void;
    readonly buildLine: (line: string) => void;
    readonly ready: (node: string) => void;
    /** Ends the display (clears the live line on a terminal). */
    readonly done: () => void;
}

const REDRAW_MS = 200;

interface Step {
    readonly label: string;
    readonly total: number;
    done: number;
}

export function labProgress(plan: LabPlan, stream: ProgressStream, clock: () => number = Date.now): LabProgress {
    const started = clock();
    const elapsed = () => `${((clock() - started) / 1000).toFixed(1)}s`;
    const steps = {
        image: { label: "image", total: 1, done: 0 } as Step,
        networks: { label: "networks", total: plan.segments.length, done: 0 } as Step,
        containers: { label: "containers", total: plan.nodes.length, done: 0 } as Step,
        ready: { label: "ready", total: plan.nodes.length, done: 0 } as Step,
    };
    let building = "";
    const advance = (step: Step) => {
        step.done++;
        if (!stream.isTTY && step.done === step.total) stream.write(`[${elapsed()}] ${step.label}: ${step.done}/${step.total}\n`);
    };
    const width = () => Math.max(20, (stream.columns || 80) - 1);
    const draw = () => {
        const counts = Object.values(steps).map((s) => `${s.label} ${s.done}/${s.total}`).join(" · ");
        const build = steps.image.done === 0 && building ? ` · ${building}` : "";
        stream.write(`\r\x1b[K${`${counts} · ${elapsed()}${build}`.slice(0, width())}`);
    };
    const timer = stream.isTTY ? setInterval(draw, REDRAW_MS) : undefined;
    timer?.unref();
    return {
        created: (type) => {
            if (type === "docker:index/image:Image") advance(steps.image);
            else if (type === "docker:index/network:Network") advance(steps.networks);
            else if (type === "docker:index/container:Container") advance(steps.containers);
        },
        buildLine: (line) => { building = line.replace(/\s+/g, " ").trim(); },
        ready: () => advance(steps.ready),
        done: () => {
            if (timer) clearInterval(timer);
            if (stream.isTTY) stream.write("\r\x1b[K");
        },
    };
}
