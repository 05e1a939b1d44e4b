// Which container the engine makes next, and how many at once. Docker serves
// every request from the same two cores: a node whose creation is a long
// chain of requests (the router, with a network per branch) waits behind
// every other node's requests at each link of its chain, and ends last. Fewer
// creations at once, the longest first, keep that chain short without leaving
// the daemon idle.

/** Runs work at most `limit` at once; of those waiting, the highest priority goes first, then the earliest. */
export class PriorityGate {
    private running = 0;
    private readonly waiting: { readonly priority: number; readonly order: number; readonly start: () => void }[] = [];
    private arrivals = 0;
    private dispatchScheduled = false;

    constructor(private readonly limit: number) {
        if (!Number.isInteger(limit) || limit < 1) throw new Error(`PriorityGate: limit must be a positive integer, not ${limit}`);
    }

    run<T>(priority: number, work: () => Promise<T>): Promise<T> {
        return new Promise<T>((resolve, reject) => {
            this.waiting.push({
                priority, order: this.arrivals++,
                start: () => {
                    this.running++;
                    work().then(resolve, reject).finally(() => {
                        this.running--;
                        this.schedule();
                    });
                },
            });
            this.schedule();
        });
    }

    /**
     * Dispatches on the next turn of the event loop, not at once: work that
     * arrives in one burst (every container whose networks just appeared) is
     * all queued before the first slot is given, so priority decides.
     */
    private schedule(): void {
        if (this.dispatchScheduled) return;
        this.dispatchScheduled = true;
        setImmediate(() => {
            this.dispatchScheduled = false;
            while (this.running < this.limit && this.waiting.length > 0) {
                let best = 0;
                for (let i = 1; i < this.waiting.length; i++) {
                    const w = this.waiting[i];
                    const b = this.waiting[best];
                    if (w.priority > b.priority || (w.priority === b.priority && w.order < b.order)) best = i;
                }
                this.waiting.splice(best, 1)[0].start();
            }
        });
    }
}
