/**
 * Learning curves: training and validation loss, validation accuracy and AUC per epoch. A live
 * version redraws one display in place after every epoch (a static PNG, so the notebook is not
 * flooded with plotly copies); the interactive figure is shown once training ends.
 */
import { randomBytes } from "node:crypto";
import type { Figure } from "./plotly";
import { display, inNotebook } from "./display";

export interface CurvePoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly valAuc: number;
}

/** One figure, loss on the left axis, accuracy/AUC on the right; several runs share it when named. */
export function learningCurveFigure(runs: Record<string, readonly CurvePoint[]>, title = "Learning curves"): Figure {
  const data: Figure["data"] = [];
  const names = Object.keys(runs);
  for (const name of names) {
    const h = runs[name];
    const x = h.map((r) => r.epoch);
    const prefix = names.length > 1 ? `${name}: ` : "";
    data.push({ x, y: h.map((r) => r.trainLoss), name: `${prefix}train loss`, type: "scatter", mode: "lines+markers", legendgroup: name });
    data.push({ x, y: h.map((r) => r.valLoss), name: `${prefix}val loss`, type: "scatter", mode: "lines+markers", line: { dash: "dot" }, legendgroup: name });
    data.push({ x, y: h.map((r) => r.valAccuracy), name: `${prefix}val accuracy`, type: "scatter", mode: "lines+markers", yaxis: "y2", legendgroup: name });
    data.push({ x, y: h.map((r) => r.valAuc), name: `${prefix}val AUC`, type: "scatter", mode: "lines+markers", line: { dash: "dash" }, yaxis: "y2", legendgroup: name });
  }
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: "epoch" }, dtick: 1 },
      yaxis: { title: { text: "cross-entropy" }, rangemode: "tozero" },
      yaxis2: { title: { text: "accuracy / AUC" }, overlaying: "y", side: "right", range: [0, 1.02] },
      height: 380,
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
