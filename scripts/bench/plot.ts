// The bench's figures as a chart: seconds against branches, one line per
// measure, rendered to SVG by Vega-Lite (no browser, no canvas).
export interface PlotPoint {
    readonly branches: number;
    readonly measure: string;
    readonly seconds: number;
}

/**
 * vega and vega-lite ship only as ES modules with top-level await, which this
 * CommonJS project cannot require(); a real dynamic import (which TypeScript
 * would otherwise compile to require) loads them.
 */
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

interface VegaLite { compile(spec: object): { spec: object } }
interface Vega {
    parse(spec: object): object;
    View: new (runtime: object, options: { renderer: "none" }) => { toSVG(): Promise<string> };
}

export async function plotSvg(points: readonly PlotPoint[], title: string): Promise<string> {
    const vl = await importEsm("vega-lite") as VegaLite;
    const vega = await importEsm("vega") as Vega;
    const spec = vl.compile({
        title,
        width: 560,
        height: 320,
        background: "white",
        data: { values: points },
        mark: { type: "line", point: true },
        encoding: {
            x: { field: "branches", type: "quantitative", title: "branch sites (hub-and-spoke)" },
            y: { field: "seconds", type: "quantitative", title: "seconds" },
            color: { field: "measure", type: "nominal", title: null, legend: { labelLimit: 400 }, sort: ["floor (bare docker run)", "boot", "verify", "teardown"] },
        },
    }).spec;
    return new vega.View(vega.parse(spec), { renderer: "none" }).toSVG();
}
