/**
 * Figures of the attack notebooks: accuracy against eps with one panel per task (the paper's
 * F-acc / F-multi), and clean / adversarial / magnified-perturbation image rows.
 */
import type { Figure } from "./plotly";
import type { GridRow } from "./grid";
import { panelGrid, panelTitle } from "./panels";
import { colormapRgb } from "./colormap";

export interface EpsPoint {
  readonly attack: string;
  readonly eps: number;
  readonly accuracy: number;
}

const ATTACK_LABEL: Record<string, string> = { fgsm: "FGSM", bim: "BIM", pgd: "PGD", cw: "CW-L∞" };
const ATTACK_COLOR: Record<string, string> = { fgsm: "#1f77b4", bim: "#ff7f0e", pgd: "#d62728", cw: "#2ca02c" };
/** Equal curves must not hide each other: each attack has its own dash and marker too (and the
 *  later ones are drawn smaller, so a marker under another still shows). */
export const ATTACK_STYLE: Record<string, { dash: string; symbol: string; size: number }> = {
  fgsm: { dash: "solid", symbol: "circle", size: 10 },
  bim: { dash: "dash", symbol: "square-open", size: 10 },
  pgd: { dash: "dot", symbol: "diamond", size: 7 },
  cw: { dash: "dashdot", symbol: "x-thin-open", size: 9 },
};

/**
 * One panel per task, one line per attack; x = eps in /255, y = accuracy %. `panelTitles` names
 * the panels (e.g. "Chest X-ray: pneumonia vs normal" for cxr); the task id otherwise.
 */
export function accuracyCurvesFigure(byTask: Record<string, readonly EpsPoint[]>, o: { title?: string; maxEps?: number; columns?: number; panelTitles?: Record<string, string> } = {}): Figure {
  const tasks = Object.keys(byTask);
  const { rows, columns } = panelGrid(tasks.length, o.columns ?? 4);
  const data: Figure["data"] = [];
  const annotations: NonNullable<NonNullable<Figure["layout"]>["annotations"]> = [];
  const layout: Record<string, unknown> = {};
  tasks.forEach((task, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const points = byTask[task].filter((p) => o.maxEps === undefined || p.eps <= o.maxEps);
    const attacks = [...new Set(points.map((p) => p.attack))];
    for (const a of attacks) {
      const ps = points.filter((p) => p.attack === a).sort((p, q) => p.eps - q.eps);
      data.push({
        type: "scatter",
        mode: "lines+markers",
        x: ps.map((p) => p.eps),
        y: ps.map((p) => 100 * p.accuracy),
        name: ATTACK_LABEL[a] ?? a,
        legendgroup: a,
        showlegend: i === 0,
        line: { color: ATTACK_COLOR[a], dash: ATTACK_STYLE[a]?.dash as never, width: 2 },
        marker: { color: ATTACK_COLOR[a], symbol: ATTACK_STYLE[a]?.symbol as never, size: ATTACK_STYLE[a]?.size ?? 8 },
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
      });
    }
    layout[`xaxis${ax}`] = { title: { text: "ε (/255)" }, rangemode: "tozero" };
    layout[`yaxis${ax}`] = { title: { text: i % columns === 0 ? "accuracy %" : "" }, range: [0, 102] };
    annotations.push(panelTitle(o.panelTitles?.[task] ?? task, ax, columns) as never);
  });
  return {
    data,
    layout: { ...layout, title: { text: o.title ?? "Accuracy under attack" }, grid: { rows, columns, pattern: "independent" }, annotations, height: 330 * rows + 100, margin: { b: 120 }, legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.32 / rows } },
  };
}

/**
 * Rows "clean", "adversarial" and "perturbation x magnify" (mid-grey = no change) for a few
 * images, from float data in [0, 1] (NHWC).
 */
export function perturbationRows(clean: ArrayLike<number>, adv: ArrayLike<number>, o: { size: number; channels: number; count: number; eps: number }): GridRow[] {
  const per = o.size * o.size * o.channels;
  const n = Math.min(o.count, Math.floor(clean.length / per));
  const to8 = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));
  const rows: GridRow[] = [
    { label: "clean", images: [] },
    { label: "adversarial", images: [] },
    { label: `perturbation ×${Math.round(127 / Math.max(o.eps, 1e-9))}`, images: [] },
  ];
  for (let i = 0; i < n; i++) {
    const c = new Uint8Array(per);
    const a = new Uint8Array(per);
    const d = new Uint8Array(per);
    for (let p = 0; p < per; p++) {
      c[p] = to8(clean[i * per + p]);
      a[p] = to8(adv[i * per + p]);
      // eps/255 maps to the full half-range, so the largest allowed change is black or white.
      d[p] = Math.max(0, Math.min(255, Math.round(128 + ((adv[i * per + p] - clean[i * per + p]) * 255 * 127) / Math.max(o.eps, 1e-9))));
    }
    (rows[0].images as Uint8Array[]).push(c);
    (rows[1].images as Uint8Array[]).push(a);
    (rows[2].images as Uint8Array[]).push(d);
  }
  return rows;
}

export interface CapacityPoint {
  readonly task: string;
  readonly model: string;
  readonly params: number;
  readonly pgdAt1: number;
  readonly epsHalf: number | null;
}

/**
 * Robustness against parameter count (notebook 05): PGD accuracy at 1/255 and the eps where PGD
 * halves accuracy, one colour per task (diamonds: natural); x is log-scaled. An eps at half beyond
 * the grid is drawn at the grid's end with an open marker.
 */
export function capacityFigure(points: readonly CapacityPoint[], o: { title?: string; maxEps: number; natural?: readonly string[]; emptyReason?: string }): Figure {
  const tasks = [...new Set(points.map((p) => p.task))];
  const data: Figure["data"] = [];
  tasks.forEach((task, i) => {
    const ps = points.filter((p) => p.task === task).sort((a, b) => a.params - b.params);
    const color = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"][i % 6];
    const text = ps.map((p) => p.model);
    // Markers, not lines: the grid mixes widths and depths, so neighbours in size are not one family.
    data.push({ type: "scatter", mode: "markers", name: task, legendgroup: task, x: ps.map((p) => p.params), y: ps.map((p) => 100 * p.pgdAt1), text, marker: { color, size: 9, symbol: o.natural?.includes(task) ? "diamond" : "circle" }, xaxis: "x", yaxis: "y" });
    data.push({
      type: "scatter",
      mode: "markers",
      name: task,
      legendgroup: task,
      showlegend: false,
      x: ps.map((p) => p.params),
      y: ps.map((p) => p.epsHalf ?? o.maxEps),
      text,
      marker: { color, symbol: ps.map((p) => (p.epsHalf === null ? "circle-open" : o.natural?.includes(task) ? "diamond" : "circle")), size: 9 },
      xaxis: "x2",
      yaxis: "y2",
    });
  });
  return {
    data,
    layout: {
      title: { text: o.title ?? "Robustness against model size" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { type: "log", title: { text: "parameters" } },
      yaxis: { title: { text: "accuracy % under PGD at 1/255" }, range: [0, 102] },
      xaxis2: { type: "log", title: { text: "parameters" } },
      yaxis2: { title: { text: "ε (/255) where PGD halves accuracy" }, rangemode: "tozero" },
      // An empty figure says why it is empty.
      ...(points.length ? {} : { annotations: [{ text: `No model to plot: ${o.emptyReason ?? "no capacity model was given"}`, xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 14 } }] }),
      height: 440,
      margin: { b: 120 },
      legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.25 },
    },
  };
}

export interface InputSizePoint {
  readonly task: string;
  readonly size: number;
  readonly inputValues: number;
  readonly seed: number;
  /** Clean skill above chance on the attacked images (0 guessing, 1 perfect). */
  readonly skill: number;
  /** Median PGD radius (/255) of the correctly classified attacked images. */
  readonly medianRadius: number;
  /** Epochs, given for a shorter schedule trained only to match the other side's skill: such a
   *  point is drawn (open marker, labelled "<px> px, <e> ep") in the skill panel only. */
  readonly shortEpochs?: number;
}

/**
 * The input-size experiment: median PGD radius against the number of input values (left, one
 * line per task, natural dashed) and against clean skill (right), so a reader sees whether the
 * medical-natural gap is there at matched size and at matched skill.
 */
export function inputSizeFigure(points: readonly InputSizePoint[], o: { title?: string; natural?: readonly string[] } = {}): Figure {
  const tasks = [...new Set(points.map((p) => p.task))];
  const data: Figure["data"] = [];
  tasks.forEach((task, i) => {
    const all = points.filter((p) => p.task === task);
    const ps = all.filter((p) => p.shortEpochs === undefined).sort((a, b) => a.inputValues - b.inputValues || a.seed - b.seed);
    const short = all.filter((p) => p.shortEpochs !== undefined);
    const natural = o.natural?.includes(task) ?? false;
    const color = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"][i % 6];
    const symbol = natural ? "diamond" : "circle";
    const text = ps.map((p) => `${task} ${p.size} px${p.seed ? ` seed ${p.seed}` : ""}`);
    const name = `${task}${natural ? " (natural)" : " (medical)"}`;
    data.push({ type: "scatter", mode: "lines+markers", name, legendgroup: task, x: ps.map((p) => p.inputValues), y: ps.map((p) => p.medianRadius), text, line: { color, dash: natural ? "dash" : "solid" }, marker: { color, size: 9, symbol }, xaxis: "x", yaxis: "y" });
    data.push({ type: "scatter", mode: "markers+text", name, legendgroup: task, showlegend: false, x: ps.map((p) => p.skill), y: ps.map((p) => p.medianRadius), text: ps.map((p) => `${p.size}`), textposition: "top center", marker: { color, size: 9, symbol }, xaxis: "x2", yaxis: "y2" });
    if (short.length) data.push({ type: "scatter", mode: "markers+text", name: `${task}, shorter schedule (skill match)`, legendgroup: task, x: short.map((p) => p.skill), y: short.map((p) => p.medianRadius), text: short.map((p) => `${p.size}, ${p.shortEpochs} ep`), textposition: "bottom center", marker: { color, size: 9, symbol: `${symbol}-open` }, xaxis: "x2", yaxis: "y2" });
  });
  return {
    data,
    layout: {
      title: { text: o.title ?? "PGD robustness against input size and clean skill" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { type: "log", title: { text: "input values (side² × channels)" } },
      yaxis: { type: "log", title: { text: "median PGD radius (/255)" } },
      xaxis2: { title: { text: "clean skill above chance (labels: input px)" }, range: [0, 1.05] },
      yaxis2: { type: "log", title: { text: "median PGD radius (/255)" } },
      height: 460,
      margin: { b: 130 },
      legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.28 },
    },
  };
}

export interface ClassCountPoint {
  /** The task family, e.g. "chest X-ray" (cxr, cxr3, cxr4). */
  readonly family: string;
  readonly classes: number;
  readonly eps: number;
  /** Accuracy in [0, 1], or null where that budget was not run for this model. */
  readonly accuracy: number | null;
}

const FAMILY_STYLE = [
  { dash: "solid", symbol: "circle" },
  { dash: "dash", symbol: "square-open" },
  { dash: "dot", symbol: "diamond-open" },
  { dash: "dashdot", symbol: "x-thin-open" },
] as const;

/**
 * PGD accuracy against the number of classes (notebook 04, the paper's F-multi): one line per
 * family and budget; the colour is the budget (viridis, dark = small eps), dash and marker the
 * family, so equal lines of two families still show. A budget a model was not run at is a gap.
 */
export function classCountFigure(points: readonly ClassCountPoint[], o: { title?: string } = {}): Figure {
  const families = [...new Set(points.map((p) => p.family))];
  const budgets = [...new Set(points.map((p) => p.eps))].sort((a, b) => a - b);
  const colour = (eps: number) => {
    const k = budgets.length > 1 ? budgets.indexOf(eps) / (budgets.length - 1) : 0;
    const [r, g, b] = colormapRgb("viridis", 0.9 * k).map((v) => Math.round(255 * v));
    return `rgb(${r},${g},${b})`;
  };
  const data: Figure["data"] = [];
  families.forEach((fam, f) => {
    const style = FAMILY_STYLE[f % FAMILY_STYLE.length];
    for (const eps of budgets) {
      const ps = points.filter((p) => p.family === fam && p.eps === eps).sort((a, b) => a.classes - b.classes);
      if (!ps.length) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${fam}, ε ${eps}/255`,
        legendgroup: fam,
        x: ps.map((p) => p.classes),
        y: ps.map((p) => (p.accuracy === null ? null : 100 * p.accuracy)),
        line: { color: colour(eps), dash: style.dash },
        marker: { color: colour(eps), symbol: style.symbol, size: 9 - 2 * f },
      } as Figure["data"][number]);
    }
  });
  const classes = [...new Set(points.map((p) => p.classes))].sort((a, b) => a - b);
  return {
    data,
    layout: {
      title: { text: o.title ?? "PGD accuracy vs number of classes" },
      xaxis: { title: { text: "classes" }, tickvals: classes, range: [Math.min(...classes, 2) - 0.3, Math.max(...classes, 2) + 0.3] },
      yaxis: { title: { text: "accuracy % under PGD" }, range: [0, 102] },
      height: 460,
      margin: { r: 200 },
      legend: { x: 1.02, y: 1, title: { text: "family, budget" } },
    },
  };
}
