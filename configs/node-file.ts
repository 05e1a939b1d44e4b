// What a renderer hands a component: one file for the container, before its first start.
export interface NodeFile {
    /** Absolute path inside the container. */
    readonly path: string;
    readonly content: string;
    /** Octal permission bits, e.g. "0755". */
    readonly mode: string;
}
