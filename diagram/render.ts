// DOT → SVG with Graphviz compiled to WebAssembly (no binary on the host),
// SVG → PNG with resvg (a prebuilt binary inside its npm package).
import * as fs from "fs";
import { instance, type Viz } from "@viz-js/viz";
import { Resvg } from "@resvg/resvg-js";

let viz: Promise<Viz> | undefined;

/** Lays the graph out with Graphviz's `dot` engine; throws Graphviz's own message on a bad graph. */
export async function dotToSvg(dot: string): Promise<string> {
    viz ??= instance();
    const result = (await viz).render(dot, { format: "svg", engine: "dot" });
    if (result.status !== "success") {
        throw new Error(`graphviz: ${result.errors.map((e) => e.message.trim()).join("; ")}`);
    }
    return result.output;
}

/**
 * The diagram's text asks for Helvetica/Arial, whose widths Graphviz assumes when it sizes the
 * boxes; Liberation Sans has the same metrics. Without it, DejaVu Sans (Debian's default) is
 * close enough.
 */
const SANS = [
    { family: "Liberation Sans", file: "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf" },
    { family: "DejaVu Sans", file: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" },
];

/** A PNG of the SVG at `zoom` times its size in points, on white. */
export function svgToPng(svg: string, zoom = 1.5): Buffer {
    const sans = SANS.find((f) => fs.existsSync(f.file))?.family;
    const png = new Resvg(svg, {
        fitTo: { mode: "zoom", value: zoom },
        background: "white",
        font: { loadSystemFonts: true, ...(sans ? { sansSerifFamily: sans, defaultFontFamily: sans } : {}) },
    }).render();
    return png.asPng();
}
