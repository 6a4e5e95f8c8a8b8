/**
 * Interactive plotly figures inline in tslab notebooks. plotly.js comes from the installed
 * `plotly.js-dist-min` package (the minified build of `plotly.js-dist`, whose types the figures
 * use); the machines here have no network, so no CDN. How a figure finds the library:
 * - in a live Notebook session, every figure loads it on its own from the Jupyter server
 *   (`lib/plotly.min.js` beside the notebooks, written by make setup), so a re-run or reopened
 *   cell is still live;
 * - the runner's HTML exports inline it once in the page head;
 * - the standalone figure pages in figures/ load `plotly.min.js` from their own folder;
 * - where none of these runs scripts (GitHub, nbviewer) the static PNG inside the div shows.
 * Each figure is also sent as `application/vnd.plotly.v1+json` for JupyterLab's renderer.
 */
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { Config, Data, Layout } from "plotly.js-dist";

export interface Figure {
  data: Data[];
  layout?: Partial<Layout>;
  config?: Partial<Config>;
}

/** The file name of the library beside the notebooks (notebooks/lib/) and the exported figures. */
export const PLOTLY_FILE = "plotly.min.js";

/** Path of the minified plotly.js bundle in node_modules. */
export function plotlyPath(): string {
  return require.resolve("plotly.js-dist-min");
}

let source: string | undefined;

/** The minified plotly.js bundle (read once). */
export function plotlySource(): string {
  source ??= fs.readFileSync(plotlyPath(), "utf8");
  return source;
}

/** `</script>` inside inline JSON or code would end the script element early. */
const scriptSafe = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");

/**
 * In a classic Notebook page (body data-base-url, data-notebook-path) the library's URL on the
 * Jupyter server: lib/plotly.min.js in the notebook's own folder. Loaded once per page.
 */
const SERVER_LOADER =
  // Its own function scope: its names must not shadow the figure script's.
  `(function(){var b=document.body,base=b&&b.getAttribute("data-base-url"),nb=(b&&b.getAttribute("data-notebook-path"))||"";` +
  `if(base&&!window.__miaPlotlyLoading){window.__miaPlotlyLoading=true;var el=document.createElement("script");` +
  `el.src=base+"files/"+encodeURI(nb.slice(0,nb.lastIndexOf("/")+1))+"lib/${PLOTLY_FILE}";document.head.appendChild(el);}})();`;

export interface FigureHtmlOptions {
  /** Inline the whole library before the figure (a self-contained snippet). */
  readonly includeLibrary?: boolean;
  /** Load the library from this URL (e.g. "plotly.min.js" beside an exported page). */
  readonly librarySrc?: string;
  readonly id?: string;
  /** A static PNG shown inside the div where scripts do not run; the script replaces it. */
  readonly fallbackPng?: Buffer;
}

/**
 * HTML for a figure: a div and the script that draws it. Without a library option the script
 * uses window.Plotly when the page has it and otherwise asks the Jupyter server for it.
 */
export function figureHtml(fig: Figure, options: FigureHtmlOptions = {}): string {
  const id = options.id ?? `mia-plot-${randomBytes(6).toString("hex")}`;
  const spec = scriptSafe(JSON.stringify({ data: fig.data, layout: fig.layout ?? {}, config: { responsive: true, ...fig.config } }));
  const lib = options.includeLibrary
    ? `<script type="text/javascript">${scriptSafe(plotlySource())}</script>\n`
    : options.librarySrc
      ? `<script type="text/javascript" src="${options.librarySrc.replace(/"/g, "&quot;")}"></script>\n`
      : "";
  return (
    lib +
    `<div id="${id}" class="mia-plotly" style="width:100%;min-height:${fig.layout?.height ?? 420}px">` +
    (options.fallbackPng ? `<img alt="figure" style="max-width:100%" src="data:image/png;base64,${options.fallbackPng.toString("base64")}"/>` : "") +
    `</div>\n` +
    `<script type="text/javascript">(function(){var s=${spec};` +
    `var go=function(){var d=document.getElementById(${JSON.stringify(id)});d.innerHTML="";if(!d)return;var p=window.Plotly.newPlot(d,s.data,s.layout,s.config);if(p&&p.catch)p.catch(function(e){console.error("[mia] plotly.js could not draw "+d.id+": "+e);});};` +
    `if(window.Plotly){go();}else{${SERVER_LOADER}var n=0,t=setInterval(function(){if(window.Plotly||++n>600){clearInterval(t);if(window.Plotly)go();}},50);}})();</script>`
  );
}
