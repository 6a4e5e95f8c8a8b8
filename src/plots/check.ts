/**
 * The figure check: every picture a run exported (figures/index.json) is at least print size, and
 * every image figure (a labelled grid: PNG + SVG, no HTML) carries its labels as SVG text. Run by
 * `mia figures --check` after the notebooks (make test on smoke, make run on the profile).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { PRINT_MIN_WIDTH_PX } from "./grid";

export interface FigureCheck {
  readonly dir: string;
  /** Pictures checked (PNG files). */
  readonly checked: number;
  /** Image figures whose SVG labels were read back. */
  readonly imageFigures: number;
  readonly problems: readonly string[];
}

const unxml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** The text of an SVG's <text> elements (tspans included), in document order, joined by spaces. */
export function svgText(svg: string): string {
  const out: string[] = [];
  for (const m of svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)) out.push(unxml(m[1].replace(/<[^>]+>/g, " ")));
  return squash(out.join(" "));
}

/** The labels a labelled grid says it carries (its <metadata id="mia-labels">), or null. */
export function svgLabels(svg: string): string[] | null {
  const m = /<metadata id="mia-labels">([\s\S]*?)<\/metadata>/.exec(svg);
  if (!m) return null;
  const parsed = JSON.parse(unxml(m[1])) as unknown;
  return Array.isArray(parsed) ? parsed.map(String) : null;
}

export async function checkFigures(dir: string, o: { minWidth?: number } = {}): Promise<FigureCheck> {
  const minWidth = o.minWidth ?? PRINT_MIN_WIDTH_PX;
  const index = path.join(dir, "index.json");
  if (!fs.existsSync(index)) throw new Error(`No figures to check in ${dir} (no index.json): run the notebooks first (make run, or make test on smoke).`);
  const entries = JSON.parse(fs.readFileSync(index, "utf8")) as Array<{ name: string; formats?: string[] }>;
  const problems: string[] = [];
  let checked = 0;
  let imageFigures = 0;
  for (const e of entries) {
    const formats = e.formats ?? ["png"];
    if (!formats.includes("png")) continue;
    const png = path.join(dir, `${e.name}.png`);
    if (!fs.existsSync(png)) {
      problems.push(`${e.name}.png: listed in INDEX.md but missing`);
      continue;
    }
    checked++;
    const meta = await sharp(png).metadata();
    if ((meta.width ?? 0) < minWidth) problems.push(`${e.name}.png: ${meta.width}x${meta.height} px, narrower than print size (${minWidth} px: 90 mm at 300 dpi)`);
    if (formats.includes("html")) continue;
    // An image figure: its SVG must exist and show every label it was drawn with.
    imageFigures++;
    const svgFile = path.join(dir, `${e.name}.svg`);
    if (!formats.includes("svg") || !fs.existsSync(svgFile)) {
      problems.push(`${e.name}: an image figure without its SVG (export it with plots.exportImage(plots.showImageGrid(...)))`);
      continue;
    }
    const svg = fs.readFileSync(svgFile, "utf8");
    const labels = svgLabels(svg);
    if (labels === null || labels.length === 0) {
      problems.push(`${e.name}.svg: no labels (title, row labels, column headers) recorded`);
      continue;
    }
    const text = svgText(svg);
    for (const l of labels) if (!text.includes(squash(l))) problems.push(`${e.name}.svg: label '${l}' is not drawn as text`);
  }
  return { dir, checked, imageFigures, problems };
}
