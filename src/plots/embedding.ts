/**
 * The paper's F-tsne figure: 2-D embeddings (t-SNE or PCA) of deep features, coloured by clean
 * vs adversarial. The authors' script coloured the points by diagnosis by mistake, which hides
 * exactly what the figure is meant to show; here the class is at most the marker symbol.
 */
import type { Figure } from "./plotly";

export const CLEAN_COLOR = "#1f77b4";
export const ADV_COLOR = "#d62728";
const SYMBOLS = ["circle", "x", "triangle-up", "square", "diamond", "cross", "star", "triangle-down", "triangle-left", "triangle-right"] as const;
/** The same symbols as text, for the per-panel class key. */
const SYMBOL_TEXT = ["●", "✕", "▲", "■", "◆", "✚", "★", "▼", "◀", "▶"] as const;

export interface EmbeddingPanel {
  /** Panel heading, e.g. "CXR · PGD". */
  readonly title: string;
  /** n x 2 row-major coordinates (an Embedding's data). */
  readonly points: ArrayLike<number>;
  /** 1 (or true) for adversarial points, per row. */
  readonly isAdv: ArrayLike<number | boolean>;
  /** Class per row: with `symbolByClass`, the marker symbol. */
  readonly labels?: ArrayLike<number>;
  readonly classNames?: readonly string[];
}

/** The traces of one panel on axes `x<ax>` / `y<ax>` ("" for the first). */
export function embeddingTraces(p: EmbeddingPanel, o: { ax?: string; symbolByClass?: boolean; showlegend?: boolean; markerSize?: number } = {}): Figure["data"] {
  const n = p.isAdv.length;
  if (p.points.length !== 2 * n) throw new Error(`embedding panel '${p.title}': ${p.points.length} coordinates for ${n} points (need n x 2)`);
  if (p.labels && p.labels.length !== n) throw new Error(`embedding panel '${p.title}': ${p.labels.length} labels for ${n} points`);
  const byClass = !!(o.symbolByClass && p.labels);
  const classes: Array<number | undefined> = byClass ? [...new Set(Array.from(p.labels!))].sort((a, b) => a - b) : [undefined];
  const out: Figure["data"] = [];
  for (const adv of [false, true]) {
    const status = adv ? "adversarial" : "clean";
    for (const c of classes) {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (!!Number(p.isAdv[i]) === adv && (c === undefined || p.labels![i] === c)) idx.push(i);
      if (idx.length === 0) continue;
      const cls = c === undefined ? "" : ` · ${p.classNames?.[c] ?? `class ${c}`}`;
      out.push({
        type: "scatter",
        mode: "markers",
        x: idx.map((i) => p.points[2 * i]),
        y: idx.map((i) => p.points[2 * i + 1]),
        name: `${status}${cls}`,
        legendgroup: `${status}${cls}`,
        showlegend: o.showlegend ?? true,
        marker: { color: adv ? ADV_COLOR : CLEAN_COLOR, symbol: c === undefined ? "circle" : SYMBOLS[classes.indexOf(c) % SYMBOLS.length], size: o.markerSize ?? 5, opacity: 0.7 },
        xaxis: `x${o.ax ?? ""}`,
        yaxis: `y${o.ax ?? ""}`,
      });
    }
  }
  return out;
}

/** "● NORMAL · ✕ PNEUMONIA": which marker means which class in one panel, `perLine` classes a line. */
export function classKey(p: EmbeddingPanel, lineChars = 26): string {
  if (!p.labels) return "";
  const classes = [...new Set(Array.from(p.labels))].sort((a, b) => a - b);
  const items = classes.map((c, k) => `${SYMBOL_TEXT[k % SYMBOL_TEXT.length]} ${p.classNames?.[c] ?? `class ${c}`}`);
  // Packed into lines of about lineChars characters, so a key fits under its panel.
  const lines: string[] = [];
  for (const it of items) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 3 + it.length <= lineChars) lines[last] += ` · ${it}`;
    else lines.push(it);
  }
  return lines.join("<br>");
}

/**
 * One panel per (dataset, attack). The legend holds the colours only (clean, adversarial: the
 * same everywhere); with `symbolByClass` each panel names its own classes' symbols under its
 * title, since the tasks' classes differ.
 */
export function embeddingFigure(panels: readonly EmbeddingPanel[], o: { title?: string; columns?: number; symbolByClass?: boolean; method?: string } = {}): Figure {
  const columns = Math.min(o.columns ?? 4, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / columns);
  const data: Figure["data"] = [];
  const annotations: NonNullable<NonNullable<Figure["layout"]>["annotations"]> = [];
  const layout: Record<string, unknown> = {};
  panels.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    data.push(...embeddingTraces(p, { ax, symbolByClass: o.symbolByClass, showlegend: false }));
    // Embedding axes carry no units: hide the ticks rather than suggest a scale.
    layout[`xaxis${ax}`] = { showticklabels: false, zeroline: false };
    layout[`yaxis${ax}`] = { showticklabels: false, zeroline: false };
    annotations.push({ text: `<b>${p.title}</b>`, xref: `x${ax} domain` as never, yref: `y${ax} domain` as never, x: 0.5, y: 1.1, showarrow: false });
    // The class key under the panel (the axes carry no ticks there).
    const key = o.symbolByClass ? classKey(p) : "";
    if (key) annotations.push({ text: key, xref: `x${ax} domain` as never, yref: `y${ax} domain` as never, x: 0.5, y: -0.03, yanchor: "top", showarrow: false, font: { size: 10 } });
  });
  // Legend-only traces: the two colours.
  for (const [name, color] of [["clean", CLEAN_COLOR], ["adversarial", ADV_COLOR]] as const) {
    data.push({ type: "scatter", mode: "markers", x: [null], y: [null], name, marker: { color, symbol: "circle", size: 8 }, showlegend: true, hoverinfo: "skip", xaxis: "x", yaxis: "y" } as Figure["data"][number]);
  }
  return {
    data,
    layout: { ...layout, title: { text: o.title ?? `${o.method ?? "t-SNE"} of deep features: clean vs adversarial` }, grid: { rows, columns, pattern: "independent", ygap: 0.3 }, annotations, height: 320 * rows + 100, legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.05 } },
  };
}
