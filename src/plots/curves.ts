/**
 * Learning curves: training and validation loss, validation accuracy and AUC per epoch. A live
 * version redraws one display in place after every epoch (a static PNG, so the notebook is not
 * flooded with plotly copies); the interactive figure is shown once training ends.
 */
import { randomBytes } from "node:crypto";
import type { Figure } from "./plotly";
import { display, inNotebook } from "../ui/display";

export interface CurvePoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly valAuc: number;
}

const RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

/**
 * Two panels: cross-entropy (left: train solid, validation dotted) and validation accuracy / AUC
 * (right: accuracy solid, AUC dashed, on [0, 1]). One colour per run, so several tasks share the
 * figure without reusing a colour for different things.
 */
export function learningCurveFigure(runs: Record<string, readonly CurvePoint[]>, title = "Learning curves"): Figure {
  const data: Figure["data"] = [];
  const names = Object.keys(runs);
  names.forEach((name, i) => {
    const h = runs[name];
    const x = h.map((r) => r.epoch);
    const color = RUN_COLORS[i % RUN_COLORS.length];
    const prefix = names.length > 1 ? `${name}: ` : "";
    const trace = (y: number[], metric: string, dash: string, axes: [string, string], symbol: string) =>
      ({ x, y, name: `${prefix}${metric}`, type: "scatter", mode: "lines+markers", line: { color, dash }, marker: { color, symbol, size: 5 }, legendgroup: name, xaxis: axes[0], yaxis: axes[1] }) as Figure["data"][number];
    data.push(trace(h.map((r) => r.trainLoss), "train loss", "solid", ["x", "y"], "circle"));
    data.push(trace(h.map((r) => r.valLoss), "val loss", "dot", ["x", "y"], "circle-open"));
    data.push(trace(h.map((r) => r.valAccuracy), "val accuracy", "solid", ["x2", "y2"], "square"));
    data.push(trace(h.map((r) => r.valAuc), "val AUC", "dash", ["x2", "y2"], "diamond-open"));
  });
  const epochs = Math.max(1, ...names.map((n) => runs[n].length));
  const dtick = epochs <= 12 ? 1 : epochs <= 30 ? 5 : 10;
  return {
    data,
    layout: {
      title: { text: title },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { title: { text: "epoch" }, dtick },
      yaxis: { title: { text: "cross-entropy" }, rangemode: "tozero" },
      xaxis2: { title: { text: "epoch" }, dtick },
      yaxis2: { title: { text: "validation accuracy / AUC" }, range: [0, 1.02], dtick: 0.2 },
      height: 420,
      legend: { orientation: "h", y: -0.25 },
    },
  };
}

/** An onEpoch callback that redraws the curves in place (notebooks only; a no-op elsewhere). */
export function liveCurves(title: string): (record: CurvePoint, history: readonly CurvePoint[]) => Promise<void> {
  const id = `mia-curves-${randomBytes(6).toString("hex")}`;
  let shown = false;
  let browserFailed = false;
  return async (_record, history) => {
    if (!inNotebook()) return;
    const last = history[history.length - 1];
    const text = `${title}: epoch ${last.epoch}, train loss ${last.trainLoss.toFixed(3)}, val loss ${last.valLoss.toFixed(3)}, val acc ${last.valAccuracy.toFixed(3)}, val AUC ${last.valAuc.toFixed(3)}`;
    let png: Buffer | undefined;
    if (!browserFailed && history.length >= 2) {
      try {
        png = (await (await import("./export.js")).renderFigure(learningCurveFigure({ [title]: history }, title), { width: 640, height: 320 })).png;
      } catch {
        browserFailed = true;
      }
    }
    display({ "text/plain": text, ...(png ? { "image/png": png } : {}) }, { displayId: id, update: shown });
    shown = true;
  };
}
