/**
 * Interactive plotly figures inline in tslab notebooks. plotly.js comes from the installed
 * `plotly.js-dist` package and is embedded once per kernel session (the machines here have no
 * network, so no CDN). Each figure is also sent as `application/vnd.plotly.v1+json` so
 * JupyterLab's plotly renderer can draw it without scripts.
 */
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { Config, Data, Layout } from "plotly.js-dist";
import { display, inNotebook } from "./display";

export interface Figure {
  data: Data[];
  layout?: Partial<Layout>;
  config?: Partial<Config>;
}

let libraryEmbedded = false;

function plotlySource(): string {
  const file = require.resolve("plotly.js-dist");
  return fs.readFileSync(file, "utf8");
}

/** `</script>` inside inline JSON or code would end the script element early. */
const scriptSafe = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");

/**
 * Standalone HTML for a figure: a div and the script that draws it. With `includeLibrary`
 * the plotly.js source is inlined first (it defines window.Plotly).
 */
export function figureHtml(fig: Figure, options: { includeLibrary?: boolean; id?: string } = {}): string {
  const id = options.id ?? `mia-plot-${randomBytes(6).toString("hex")}`;
  const spec = scriptSafe(JSON.stringify({ data: fig.data, layout: fig.layout ?? {}, config: { responsive: true, ...fig.config } }));
  const lib = options.includeLibrary ? `<script type="text/javascript">${scriptSafe(plotlySource())}</script>\n` : "";
  return (
    lib +
    `<div id="${id}" class="mia-plotly" style="width:100%;min-height:${fig.layout?.height ?? 420}px"></div>\n` +
    `<script type="text/javascript">(function(){var s=${spec};` +
    `var go=function(){window.Plotly.newPlot(${JSON.stringify(id)},s.data,s.layout,s.config);};` +
    `if(window.Plotly){go();}else{var n=0,t=setInterval(function(){if(window.Plotly||++n>100){clearInterval(t);if(window.Plotly)go();}},50);}})();</script>`
  );
}

/** Shows a figure inline (in a notebook) or prints a one-line summary (elsewhere). */
export function showFigure(fig: Figure): void {
  const title = typeof fig.layout?.title === "string" ? fig.layout.title : fig.layout?.title?.text;
  const summary = `[plotly figure${title ? `: ${title}` : ""}, ${fig.data.length} trace(s)]`;
  if (!inNotebook()) {
    console.log(summary);
    return;
  }
  const html = figureHtml(fig, { includeLibrary: !libraryEmbedded });
  libraryEmbedded = true;
  display({
    "text/html": html,
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} },
    "text/plain": summary,
  });
}
