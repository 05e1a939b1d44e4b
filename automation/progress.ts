// What `npm run lab -- up|down` shows while Pulumi works: every resource the
// engine finishes, from its events, then the nodes as they say they are ready.
// On a terminal one line that keeps changing; elsewhere (CI logs, pipes) one
// plain line per resource that changed, and one per finished kind.
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import type { LabPlan } from "../plan/types";
import type { ProgressStream } from "../verify/progress";

export interface LabProgress {
    readonly onEvent: (event: EngineEvent) => void;
    readonly ready: (node: string) => void;
    /** Ends the display (clears the live line on a terminal). */
    readonly done: () => void;
}

const REDRAW_MS = 200;

/** The kinds of resource a lab is made of, by Pulumi type token. */
export const RESOURCE_KINDS: Readonly<Record<string, string>> = {
    "docker:index/remoteImage:RemoteImage": "image",
    "pulumi-nodejs:dynamic/vnetlab:VethParents": "veth",
    "docker:index/network:Network": "network",
    "docker:index/container:Container": "container",
};

/** What an operation did, in the words of Pulumi's own display. */
const VERBS: Partial<Record<OpType, string>> = {
    create: "created", update: "updated", delete: "deleted", replace: "replaced",
    "create-replacement": "created (replacement)", "delete-replaced": "deleted (replaced)", refresh: "refreshed",
};

const LABELS: Readonly<Record<string, string>> = { image: "image", network: "networks", container: "containers", ready: "nodes ready" };

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

interface Count {
    total: number;
    done: number;
}

export function labProgress(plan: LabPlan, stream: ProgressStream, verb: "up" | "destroy", clock: () => number = Date.now): LabProgress {
    const started = clock();
    const elapsed = () => `${((clock() - started) / 1000).toFixed(1)}s`;
    const counts: Record<string, Count> = {
        image: { total: verb === "up" ? 1 : 0, done: 0 },
        network: { total: plan.segments.length, done: 0 },
        container: { total: plan.nodes.length, done: 0 },
        ...(verb === "up" ? { ready: { total: plan.nodes.length, done: 0 } } : {}),
    };
    let last = "";
    const width = () => Math.max(20, (stream.columns || 80) - 1);
    const draw = () => {
        const summary = Object.entries(counts).filter(([, c]) => c.total > 0 || c.done > 0)
            .map(([kind, c]) => `${LABELS[kind] ?? kind} ${c.done}/${c.total}`).join(" · ");
        stream.write(`\r\x1b[K${`${summary} · ${elapsed()}${last ? ` · ${last}` : ""}`.slice(0, width())}`);
    };
    const timer = stream.isTTY ? setInterval(draw, REDRAW_MS) : undefined;
    timer?.unref();
    const advance = (kind: string, line?: string) => {
        const count = counts[kind];
        if (count) count.done++;
        if (line) last = line;
        if (stream.isTTY) return;
        if (line) stream.write(`[${elapsed()}] ${line}\n`);
        if (count && count.done === count.total) stream.write(`[${elapsed()}] ${LABELS[kind] ?? kind}: ${count.done}/${count.total}\n`);
    };
    return {
        onEvent: (event) => {
            const failed = event.diagnosticEvent;
            if (failed && failed.severity === "error" && failed.urn) {
                stream.write(`${stream.isTTY ? "\r\x1b[K" : ""}[${elapsed()}] error in ${nameOf(failed.urn)}: ${failed.message.trim()}\n`);
                return;
            }
            const step = event.resOutputsEvent?.metadata;
            if (!step) return;
            const kind = RESOURCE_KINDS[step.type];
            if (!kind) return;
            const what = VERBS[step.op];
            advance(kind, what ? `${kind} ${nameOf(step.urn)} ${what}` : undefined);
        },
        ready: (node) => advance("ready", stream.isTTY ? `${node} ready` : undefined),
        done: () => {
            if (timer) clearInterval(timer);
            if (stream.isTTY) stream.write("\r\x1b[K");
        },
    };
}
