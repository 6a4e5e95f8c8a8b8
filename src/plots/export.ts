/**
 * Static figures: PNG (for viewers that run no scripts), SVG (vector, for a paper's LaTeX) and a
 * standalone interactive HTML, rendered by plotly.js itself in headless Chromium. Exported
 * figures go to figures/ (MIA_FIGURES_DIR) with figures/INDEX.md mapping each file to the paper
 * figure it mirrors, the notebook and the cell.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { figuresDir } from "../config/paths";
import { writeFileAtomic } from "../config/io";
import { newPage } from "./browser";
import { figureHtml, PLOTLY_FILE, plotlyPath, plotlySource, type Figure } from "./plotly";
import type { LabelledGrid } from "./grid";

let page: Promise<Page> | undefined;

/** A page with plotly.js loaded once, reused for every render. */
function plotlyPage(): Promise<Page> {
  page ??= (async () => {
    const p = await newPage();
    await p.setContent('<!doctype html><html><body><div id="fig"></div></body></html>');
    await p.addScriptTag({ content: plotlySource() });
    return p;
  })().catch((e: unknown) => {
    page = undefined;
    throw e;
  });
  return page;
}

export interface Rendered {
  readonly png: Buffer;
  readonly svg: string;
}

/** Renders a figure to PNG and SVG at the given size (CSS pixels; PNG at `scale`x). */
export async function renderFigure(fig: Figure, options: { width?: number; height?: number; scale?: number } = {}): Promise<Rendered> {
  const width = options.width ?? 800;
  const height = options.height ?? (typeof fig.layout?.height === "number" ? fig.layout.height : 450);
  const p = await plotlyPage();
  const out = await p.evaluate(
    async ({ data, layout, width, height, scale }) => {
      const P = (window as unknown as { Plotly: any }).Plotly; // eslint-disable-line @typescript-eslint/no-explicit-any
      const gd = document.getElementById("fig")!;
      await P.newPlot(gd, data, { ...layout, width, height }, { staticPlot: true });
      const svg = await P.toImage(gd, { format: "svg", width, height });
      const png = await P.toImage(gd, { format: "png", width, height, scale });
      P.purge(gd);
      return { svg, png };
    },
    { data: fig.data as unknown[], layout: (fig.layout ?? {}) as Record<string, unknown>, width, height, scale: options.scale ?? 2 },
  );
  const svg = decodeURIComponent(out.svg.replace(/^data:image\/svg\+xml,/, ""));
  const png = Buffer.from(out.png.replace(/^data:image\/png;base64,/, ""), "base64");
  return { png, svg };
}

export interface FigureEntry {
  /** File stem, named after the paper figure it mirrors, e.g. "F-acc_cxr". */
  readonly name: string;
  /** The paper figure/table this mirrors (PAPER.md ids: F-acc, F-saliency, T-detect, ...). */
  readonly paper: string;
  readonly title: string;
  readonly notebook?: string;
  readonly cell?: string;
}

const FIGURES_HINT = "Free space or make the folder writable, or set MIA_FIGURES_DIR to another folder.";

export { figuresDir };

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Writes <name>.png, .svg and .html to figures/ and records the figure in INDEX.md. */
export async function exportFigure(fig: Figure, entry: FigureEntry, options: { dir?: string; width?: number; height?: number } = {}): Promise<{ png: string; svg: string; html: string }> {
  if (!SAFE_NAME.test(entry.name)) throw new Error(`Figure name '${entry.name}' must be letters, digits, '.', '_' or '-' (it becomes a file name).`);
  const dir = options.dir ?? figuresDir();
  fs.mkdirSync(dir, { recursive: true });
  const { png, svg } = await renderFigure(fig, options);
  const files = { png: path.join(dir, `${entry.name}.png`), svg: path.join(dir, `${entry.name}.svg`), html: path.join(dir, `${entry.name}.html`) };
  writeFileAtomic(files.png, png, FIGURES_HINT);
  writeFileAtomic(files.svg, svg, FIGURES_HINT);
  // The page loads plotly.js from its own folder: one copy of the library for every figure.
  const lib = path.join(dir, PLOTLY_FILE);
  if (!fs.existsSync(lib) || fs.statSync(lib).size !== fs.statSync(plotlyPath()).size) writeFileAtomic(lib, fs.readFileSync(plotlyPath()), FIGURES_HINT);
  writeFileAtomic(
    files.html,
    `<!doctype html><html><head><meta charset="utf-8"><title>${entry.title.replace(/</g, "&lt;")}</title></head><body>\n${figureHtml(fig, { librarySrc: PLOTLY_FILE, id: "fig", fallbackPng: png })}\n</body></html>\n`,
  );
  recordFigure(dir, entry, ["png", "svg", "html"]);
  return files;
}

/**
 * Writes an image figure (a labelled grid: showImageGrid / labelledGrid) as <name>.png (print
 * size) and <name>.svg (its labels as text) and records both in INDEX.md.
 */
export function exportImage(fig: LabelledGrid, entry: FigureEntry, options: { dir?: string } = {}): { png: string; svg: string } {
  if (!SAFE_NAME.test(entry.name)) throw new Error(`Figure name '${entry.name}' must be letters, digits, '.', '_' or '-' (it becomes a file name).`);
  if (!fig || !Buffer.isBuffer(fig.png) || typeof fig.svg !== "string") throw new Error(`exportImage('${entry.name}') needs the labelled figure that plots.showImageGrid or plots.labelledGrid returns (its PNG and SVG), not a bare PNG.`);
  const dir = options.dir ?? figuresDir();
  fs.mkdirSync(dir, { recursive: true });
  const files = { png: path.join(dir, `${entry.name}.png`), svg: path.join(dir, `${entry.name}.svg`) };
  writeFileAtomic(files.png, fig.png, FIGURES_HINT);
  writeFileAtomic(files.svg, fig.svg, FIGURES_HINT);
  recordFigure(dir, entry, ["png", "svg"]);
  return files;
}

/** Writes a table (e.g. a danfojs DataFrame's columns) as <name>.csv and records it in INDEX.md. */
export function exportTable(table: { columns: string[]; index?: Array<string | number>; rows: unknown[][] }, entry: FigureEntry, options: { dir?: string } = {}): string {
  if (!SAFE_NAME.test(entry.name)) throw new Error(`Figure name '${entry.name}' must be letters, digits, '.', '_' or '-' (it becomes a file name).`);
  const dir = options.dir ?? figuresDir();
  fs.mkdirSync(dir, { recursive: true });
  const cell = (v: unknown) => {
    const t = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  const header = (table.index ? [""] : []).concat(table.columns).map(cell).join(",");
  const lines = table.rows.map((r, i) => (table.index ? [table.index[i], ...r] : r).map(cell).join(","));
  const file = path.join(dir, `${entry.name}.csv`);
  writeFileAtomic(file, [header, ...lines].join("\n") + "\n", FIGURES_HINT);
  recordFigure(dir, entry, ["csv"]);
  return file;
}

/** figures/index.json holds the entries; INDEX.md is regenerated from it on every export. */
export function recordFigure(dir: string, entry: FigureEntry, formats: readonly string[]): void {
  const json = path.join(dir, "index.json");
  let entries: Array<FigureEntry & { formats?: string[] }> = [];
  if (fs.existsSync(json)) {
    try {
      const parsed = JSON.parse(fs.readFileSync(json, "utf8")) as unknown;
      if (!Array.isArray(parsed)) throw new Error("not a list of figures");
      entries = parsed as Array<FigureEntry & { formats?: string[] }>;
    } catch (err) {
      // Never drop the other figures' entries silently: keep the damaged file beside the new one.
      const kept = `${json}.damaged-${Date.now()}`;
      fs.renameSync(json, kept);
      console.warn(`[figures] ${json} could not be read (${(err as Error).message}); kept it as ${kept} and started a new index: re-run the notebooks whose figures are missing from INDEX.md.`);
    }
  }
  // One entry per file set: a table (.csv) and a figure (.png/.svg/.html) may share a name.
  const kind = (f: readonly string[] | undefined) => ((f ?? ["png"]).includes("csv") ? "table" : "picture");
  entries = [...entries.filter((e) => e.name !== entry.name || kind(e.formats) !== kind(formats)), { ...entry, formats: [...formats] }].sort((a, b) => a.paper.localeCompare(b.paper) || a.name.localeCompare(b.name) || kind(a.formats).localeCompare(kind(b.formats)));
  writeFileAtomic(json, JSON.stringify(entries, null, 2), FIGURES_HINT);
  const rows = entries.map((e) => `| ${e.paper} | ${e.title} | ${(e.formats ?? ["png"]).map((f) => `[${f}](${e.name}.${f})`).join(" · ")} | ${e.notebook ?? ""} | ${e.cell ?? ""} |`);
  writeFileAtomic(
    path.join(dir, "INDEX.md"),
    `# Figures\n\nGenerated by the notebooks (\`make run\`); each file mirrors a figure or table of Ma et al. (2021), ids as in PAPER.md.\n\n| paper | figure | files | notebook | cell |\n|---|---|---|---|---|\n${rows.join("\n")}\n`,
  );
}
