/**
 * Interactive plotly figures inline in tslab notebooks. plotly.js comes from the installed
 * `plotly.js-dist` package and is embedded once per kernel session (the machines here have no
 * network, so no CDN). Each figure is also sent as `application/vnd.plotly.v1+json` so
 * JupyterLab's plotly renderer can draw it without scripts.
 */
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { Config, Data, Layout } from "plotly.js-dist";

export interface Figure {
  data: Data[];
  layout?: Partial<Layout>;
  config?: Partial<Config>;
}

let source: string | undefined;

/** The plotly.js bundle from the installed plotly.js-dist package (read once). */
export function plotlySource(): string {
  source ??= fs.readFileSync(require.resolve("plotly.js-dist"), "utf8");
  return source;
}

/** `</script>` inside inline JSON or code would end the script element early. */
const scriptSafe = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");

/**
 * Standalone HTML for a figure: a div and the script that draws it. With `includeLibrary`
 * the plotly.js source is inlined first (it defines window.Plotly).
 */
export function figureHtml(fig: Figure, options: { includeLibrary?: boolean; id?: string; fallbackPng?: Buffer } = {}): string {
  const id = options.id ?? `mia-plot-${randomBytes(6).toString("hex")}`;
  const spec = scriptSafe(JSON.stringify({ data: fig.data, layout: fig.layout ?? {}, config: { responsive: true, ...fig.config } }));
  const lib = options.includeLibrary ? `<script type="text/javascript">${scriptSafe(plotlySource())}</script>\n` : "";
  return (
    lib +
    // A static PNG inside the div shows where scripts do not run; the script replaces it.
    `<div id="${id}" class="mia-plotly" style="width:100%;min-height:${fig.layout?.height ?? 420}px">` +
    (options.fallbackPng ? `<img alt="figure" style="max-width:100%" src="data:image/png;base64,${options.fallbackPng.toString("base64")}"/>` : "") +
    `</div>\n` +
    `<script type="text/javascript">(function(){var s=${spec};` +
    `var go=function(){var d=document.getElementById(${JSON.stringify(id)});d.innerHTML="";window.Plotly.newPlot(d,s.data,s.layout,s.config);};` +
    `if(window.Plotly){go();}else{var n=0,t=setInterval(function(){if(window.Plotly||++n>100){clearInterval(t);if(window.Plotly)go();}},50);}})();</script>`
  );
}
