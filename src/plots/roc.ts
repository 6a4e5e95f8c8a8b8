/**
 * ROC curves, one panel per dataset and one line per detector (notebook 06), with the chance
 * diagonal in every panel and the panel's name above it (not folded into the axis title).
 */
import type { Figure } from "./plotly";
import { panelGrid, panelTitle } from "./panels";

export interface RocLine {
  readonly name: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

export function rocFigure(panels: Record<string, readonly RocLine[]>, o: { title?: string; panelTitles?: Record<string, string>; columns?: number } = {}): Figure {
  const names = Object.keys(panels);
  const { rows, columns } = panelGrid(names.length, o.columns ?? 4);
  const lineNames = [...new Set(names.flatMap((p) => panels[p].map((l) => l.name)))];
  const data: Figure["data"] = [];
  const layout: Record<string, unknown> = {};
  const annotations: Array<Record<string, unknown>> = [];
  names.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    data.push({ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], name: "chance", legendgroup: "chance", showlegend: i === 0, line: { color: "#999", dash: "dot", width: 1 }, hoverinfo: "skip", xaxis: `x${ax}`, yaxis: `y${ax}` });
    for (const l of panels[p]) {
      const k = lineNames.indexOf(l.name);
      data.push({ type: "scatter", mode: "lines", x: [...l.fpr], y: [...l.tpr], name: l.name, legendgroup: l.name, showlegend: !names.slice(0, i).some((q) => panels[q].some((m) => m.name === l.name)), line: { color: COLORS[k % COLORS.length], dash: DASHES[k % DASHES.length] as never, width: 2 }, xaxis: `x${ax}`, yaxis: `y${ax}` });
    }
    layout[`xaxis${ax}`] = { title: { text: "false positive rate" }, range: [0, 1], constrain: "domain" };
    layout[`yaxis${ax}`] = { title: { text: i % columns === 0 ? "true positive rate" : "" }, range: [0, 1.02] };
    annotations.push(panelTitle(o.panelTitles?.[p] ?? p, ax, columns, 1.1));
  });
  return {
    data,
    layout: { ...layout, title: { text: o.title ?? "ROC curves" }, grid: { rows, columns, pattern: "independent" }, annotations: annotations as never, height: 340 * rows + 120, margin: { b: 130, t: 90 }, legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.3 / rows } },
  };
}
