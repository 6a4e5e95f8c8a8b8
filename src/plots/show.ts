/**
 * Showing figures inline in a notebook: the interactive HTML (each figure finds plotly.js on its
 * own: see plotly.ts), the plotly JSON and a static PNG. Apart from plotly.ts so that the figure format
 * does not depend on the exporter (export.ts builds on plotly.ts, this builds on both).
 */
import { display, inNotebook } from "../ui/display";
import { figureHtml, type Figure } from "./plotly";

let pngUnavailable: string | undefined;

/**
 * Shows a figure inline (in a notebook) or prints a one-line summary (elsewhere). In a notebook
 * the bundle carries the interactive HTML, the plotly JSON for JupyterLab and a static PNG
 * rendered in headless Chromium, so viewers that run no scripts still show the figure.
 */
export async function showFigure(fig: Figure): Promise<void> {
  const title = typeof fig.layout?.title === "string" ? fig.layout.title : fig.layout?.title?.text;
  const summary = `[plotly figure${title ? `: ${title}` : ""}, ${fig.data.length} trace(s)]`;
  if (!inNotebook()) {
    console.log(summary);
    return;
  }
  let png: Buffer | undefined;
  if (pngUnavailable === undefined) {
    try {
      // Imported lazily: only notebooks that show figures need a browser.
      png = (await (await import("./export.js")).renderFigure(fig)).png;
    } catch (e) {
      pngUnavailable = (e as Error).message.split("\n")[0];
      console.warn(`[plots] no static PNG beside interactive figures (${pngUnavailable})`);
    }
  }
  const html = figureHtml(fig, { fallbackPng: png });
  display({
    "text/html": html,
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} },
    ...(png ? { "image/png": png } : {}),
    "text/plain": summary,
  });
}
