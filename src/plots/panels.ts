/**
 * Multi-panel figures: a grid that leaves as few empty slots as it can, and each panel's name
 * above it (as an annotation, not folded into an axis title).
 */

/** Panels in a grid that leaves as few empty slots as `maxColumns` allows (4 panels: 2 x 2, not 3 + 1). */
export function panelGrid(n: number, maxColumns: number): { rows: number; columns: number } {
  const rows = Math.ceil(Math.max(1, n) / Math.max(1, maxColumns));
  return { rows, columns: Math.ceil(Math.max(1, n) / rows) };
}

/** The bold, escaped name above the panel of axes `ax` ("" for the first). */
export function panelTitle(label: string, ax: string, columns: number, y = 1.12): Record<string, unknown> {
  const text = label.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return { text: `<b>${text}</b>`, xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0.5, y, showarrow: false, font: { size: columns > 2 ? 11 : 13 } };
}
