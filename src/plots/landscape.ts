/**
 * The paper's F-landscape figure: one 3-D surface of the mean white-box loss per dataset, over
 * e1 (own FGSM direction) and e2 (a black-box model's FGSM direction), side by side.
 */
import type { Figure } from "./plotly";
import type { Surface } from "../landscape/landscape";

export function landscapeFigure(surfaces: Record<string, Surface>, o: { title?: string; columns?: number; height?: number } = {}): Figure {
  const names = Object.keys(surfaces);
  if (names.length === 0) throw new Error("landscapeFigure needs at least one surface");
  const columns = Math.min(o.columns ?? 2, names.length);
  const rows = Math.ceil(names.length / columns);
  const layout: Record<string, unknown> = {};
  const annotations: Array<Record<string, unknown>> = [];
  const data: Figure["data"] = names.map((name, k) => {
    const s = surfaces[name];
    const scene = k === 0 ? "scene" : `scene${k + 1}`;
    const col = k % columns;
    const row = Math.floor(k / columns);
    const x: [number, number] = [col / columns, (col + 1) / columns];
    const y: [number, number] = [1 - (row + 1) / rows, 1 - row / rows];
    layout[scene] = {
      // The bottom of each cell holds the surface's colour bar (horizontal: beside the scene it crowds the axis titles).
      domain: { x, y: [y[0] + 0.2 / rows, y[1] - 0.06 / rows] },
      xaxis: { title: { text: "ε₁ white-box (/255)" }, nticks: 5 },
      yaxis: { title: { text: "ε₂ black-box (/255)" }, nticks: 5 },
      zaxis: { title: { text: "loss" }, nticks: 5 },
      // Far enough out that the static PNG shows the whole box with its axis titles.
      aspectmode: "cube",
      camera: { eye: { x: 1.9, y: -1.9, z: 1.2 } },
    };
    annotations.push({ text: `<b>${name}</b>`, xref: "paper", yref: "paper", x: (x[0] + x[1]) / 2, y: y[1], xanchor: "center", yanchor: "top", showarrow: false });
    // plotly's surface z is indexed z[y][x], the transpose of mean[e1][e2].
    const z = s.grid.map((_, j) => s.grid.map((_, i) => s.mean[i][j]));
    // Each surface its own colour bar (the losses differ by task), under its scene and high enough
    // that its tick labels clear the next row's panel title.
    const colorbar = { orientation: "h", title: { text: "loss", side: "top" }, x: (x[0] + x[1]) / 2, xanchor: "center", y: y[0] + 0.15 / rows, yanchor: "top", len: 0.6 / columns, thickness: 10, nticks: 5 };
    return { type: "surface", name, x: s.grid, y: s.grid, z, scene, colorscale: "Jet", showscale: true, colorbar } as Figure["data"][number];
  });
  return {
    data,
    layout: { ...layout, title: { text: o.title ?? "Loss landscape (white-box CE along white-box and black-box FGSM directions)" }, annotations: annotations as never, height: o.height ?? 480 * rows + 60, margin: { l: 10, r: 10, t: 70, b: 10 } },
  };
}
