import { test } from "node:test";
import assert from "node:assert/strict";
import { DataFrame } from "danfojs";
import sharp from "sharp";
import { capacityFigure, classCountFigure, display, encodeBundle, figureHtml, heatmapRow, imageGridPng, imageRgb, inNotebook, learningCurveFigure, quantile, resizeMap, tableHtml, tableText } from "../src/plots";

test("encodeBundle: bytes become base64, JSON mime types stay objects, other objects are refused", () => {
  const out = encodeBundle({
    "image/png": new Uint8Array([137, 80, 78, 71]),
    "application/vnd.plotly.v1+json": { data: [] },
    "text/plain": "hi",
  });
  assert.equal(out["image/png"], "iVBORw==");
  assert.deepEqual(out["application/vnd.plotly.v1+json"], { data: [] });
  assert.equal(out["text/plain"], "hi");
  assert.throws(() => encodeBundle({ "text/html": { not: "a string" } }), /must be a string or bytes/);
});

test("outside a notebook, display prints the text/plain part", (t) => {
  assert.equal(inNotebook(), false);
  const lines: string[] = [];
  t.mock.method(console, "log", (s: string) => lines.push(s));
  display({ "text/html": "<b>x</b>", "text/plain": "plain x" });
  display({ "image/png": new Uint8Array([1]) });
  assert.deepEqual(lines, ["plain x", "[image/png output: shown in notebooks only]"]);
});

test("figureHtml: embeds plotly.js only when asked, and cannot be broken out of by a title", () => {
  const fig = { data: [{ type: "scatter" as const, x: [1, 2], y: [3, 4] }], layout: { title: { text: "</script><b>oops" } } };
  const bare = figureHtml(fig, { id: "p1" });
  assert.ok(!bare.includes("plotly.js v"), "no library without includeLibrary");
  assert.match(bare, /<div id="p1" class="mia-plotly"/);
  assert.equal((bare.match(/<\/script>/g) ?? []).length, 1, "the title's </script> is escaped");
  assert.ok(bare.includes("<\\/script><b>oops"));
  const withLib = figureHtml(fig, { id: "p2", includeLibrary: true });
  assert.match(withLib, /plotly\.js v\d+\.\d+\.\d+/);
  assert.ok(withLib.length > 1_000_000, "the whole plotly.js bundle is inlined (no CDN)");
  assert.ok(withLib.indexOf("plotly.js v") < withLib.indexOf('<div id="p2"'), "library before the plot");
  // Without the library the script asks the Jupyter server for it (lib/ beside the notebook), once per page.
  assert.ok(bare.includes('"lib/plotly.min.js"') && bare.includes('base+"files/"') && bare.includes("__miaPlotlyLoading"));
  const linked = figureHtml(fig, { id: "p3", librarySrc: "plotly.min.js" });
  assert.match(linked, /^<script type="text\/javascript" src="plotly\.min\.js"><\/script>\n<div id="p3"/);
  assert.ok(linked.length < 10_000);
});

test("tableHtml: one header cell per column, one row per index label, values escaped and rounded", () => {
  const df = new DataFrame({ name: ["<a>", "b&c"], auc: [0.98765, 1] }, { index: ["x", "y"] });
  const html = tableHtml(df, { digits: 2, caption: "AUC" });
  assert.match(html, /^<table class="dataframe mia-table"><caption>AUC<\/caption>/);
  assert.ok(html.includes("<thead><tr><th></th><th>name</th><th>auc</th></tr></thead>"));
  assert.ok(html.includes("<tr><th>x</th><td>&lt;a&gt;</td><td>0.99</td></tr>"));
  assert.ok(html.includes("<tr><th>y</th><td>b&amp;c</td><td>1</td></tr>"));
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
});

test("tableText: every row and every cell in full (danfojs' toString stops at 10 rows and 17 characters), numbers aligned right", () => {
  const names = Array.from({ length: 12 }, (_, i) => `cxr3 · seed ${i}`);
  const df = new DataFrame({ gate: names.map((_, i) => (i === 11 ? "BELOW by 0.002 (a long reason that must not be cut)" : "passes")), auc: names.map((_, i) => 0.9 + i / 1000) }, { index: names });
  const text = tableText(df, { digits: 3, caption: "Seeds" });
  const lines = text.split("\n");
  assert.equal(lines[0], "Seeds");
  assert.equal(lines.length, 3 + 12);
  assert.ok(lines.some((l) => l.startsWith("cxr3 · seed 11") && l.includes("(a long reason that must not be cut)") && l.endsWith("0.911")));
  assert.ok(lines[1].endsWith("  auc") && lines[1].includes("gate"));
  assert.ok(lines.some((l) => / 0\.900$/.test(l)), "a column shares its decimals");
  assert.ok(!lines.some((l) => l.includes("…")));
  // Numbers of different widths end in one column; text starts in one.
  const mixed = tableText(new DataFrame({ "test n": [624, 10000], gate: ["passes", "BELOW by 22.0%"] }, { index: ["cxr", "cifar10"] })).split("\n");
  assert.deepEqual(mixed.slice(2), ["cxr         624  passes", "cifar10   10000  BELOW by 22.0%"]);
  assert.equal(mixed[0], "         test n  gate");
});

test("imageGridPng: each image lands in its cell, upscaled; a wrong-sized image is a clear error", async () => {
  const img = (v: number) => new Uint8Array(4 * 4).fill(v);
  const png = await imageGridPng(
    [
      { label: "a", images: [img(10), img(200)] },
      { label: "b", images: [img(120)] },
    ],
    { size: 4, channels: 1, cell: 8, gap: 2 },
  );
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [8 * 2 + 2, 8 * 2 + 2]);
  const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
  assert.equal(at(3, 3), 10);
  assert.equal(at(10 + 3, 3), 200);
  assert.equal(at(3, 10 + 3), 120);
  assert.equal(at(10 + 3, 10 + 3), 255, "empty cell is background");
  assert.equal(at(9, 3), 255, "gap is background");
  await assert.rejects(imageGridPng([{ label: "x", images: [new Uint8Array(5)] }], { size: 4, channels: 1 }), /image 0 of row 'x' has 5 values, expected 16/);
});

test("colormaps: jet matches MATLAB's, viridis is within 5/255 of matplotlib's reference table", async () => {
  const { applyColormap, colormapRgb } = await import("../src/plots/colormap.js");
  const byte = (v: [number, number, number]) => v.map((x) => Math.round(255 * x));
  assert.deepEqual(byte(colormapRgb("jet", 0)), [0, 0, 128]);
  assert.deepEqual(byte(colormapRgb("jet", 0.5)), [128, 255, 128]);
  assert.deepEqual(byte(colormapRgb("jet", 1)), [128, 0, 0]);
  // matplotlib's viridis at 0, 0.25, 0.5, 0.75, 1.
  const ref: Array<[number, number[]]> = [[0, [68, 1, 84]], [0.25, [59, 82, 139]], [0.5, [33, 145, 140]], [0.75, [94, 201, 98]], [1, [253, 231, 37]]];
  for (const [t, want] of ref) byte(colormapRgb("viridis", t)).forEach((v, c) => assert.ok(Math.abs(v - want[c]) <= 5, `viridis(${t})[${c}] = ${v}, matplotlib ${want[c]}`));
  // A fixed range clamps; without one the values' own range is used.
  assert.deepEqual(Array.from(applyColormap([0, 10], "gray")), [0, 0, 0, 255, 255, 255]);
  assert.deepEqual(Array.from(applyColormap([5, 20], "gray", [0, 10])), [128, 128, 128, 255, 255, 255]);
});

test("progress: text with rate and ETA; a log gets throttled lines and the final one; a TTY one rewritten line", async () => {
  const { progress, progressText } = await import("../src/ui/progress.js");
  assert.equal(progressText("train", 10, 40, 5, "loss 0.31"), "train: 10/40 (25%), 2.00/s, ETA 15s, loss 0.31");
  assert.equal(progressText("pgd", 40, 40, 125), "pgd: 40/40 (100%), 0.32/s, 2m05s");
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream };
  };
  const log = sink(false);
  const p = progress(100, "decode", { stream: log.stream, minIntervalMs: 60_000 });
  for (let i = 1; i < 100; i++) p.update(i);
  p.finish();
  assert.equal(log.out.length, 2, "first update and the final line only");
  assert.match(log.out[0], /^decode: 1\/100 \(1%\)/);
  assert.match(log.out[1], /^decode: 100\/100 \(100%\).*\n$/);
  const tty = sink(true);
  const q = progress(4, "epochs", { stream: tty.stream, minIntervalMs: 0 });
  q.update(2, "loss 1.0");
  q.finish("loss 0.5");
  assert.match(tty.out[0], /^\r\[#{12}\.{12}\] epochs: 2\/4 \(50%\).*loss 1\.0\x1b\[K$/);
  assert.match(tty.out[1], /^\r\[#{24}\] epochs: 4\/4 \(100%\).*loss 0\.5\x1b\[K\n$/);
});

test("map rows: bilinear resize keeps constants and linear ramps, quantiles interpolate, grey images become RGB", () => {
  assert.deepEqual([...resizeMap([3, 3, 3, 3], 2, 2, 4)], new Array(16).fill(3));
  // A 2-pixel ramp 0 -> 1 upsampled to 4: pixel centres at 0.25, 0.75, 1.25, 1.75 source px, clamped at the edges.
  assert.deepEqual([...resizeMap([0, 1], 1, 2, 4)].slice(0, 4), [0, 0.25, 0.75, 1]);
  assert.throws(() => resizeMap([1, 2, 3], 2, 2, 4), /not 2 x 2/);
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.throws(() => quantile([], 0.5), /quantile/);
  assert.deepEqual([...imageRgb([0, 1, 0.5, 0], 0, 2, 1)], [0, 0, 0, 255, 255, 255, 128, 128, 128, 0, 0, 0]);
  const row = heatmapRow("m", [[0, 1], [1, 0]], { h: 1, w: 2, size: 2, range: [0, 1] });
  assert.equal(row.images.length, 2);
  assert.equal(row.images[0].length, 2 * 2 * 3, "maps are upsampled to size x size RGB");
});

test("accuracyCurvesFigure: each attack its own colour, dash and marker; panels named; a grid with few empty slots", async () => {
  const { accuracyCurvesFigure, ATTACK_STYLE } = await import("../src/plots/attack.js");
  const { panelGrid } = await import("../src/plots/panels.js");
  assert.deepEqual(panelGrid(4, 3), { rows: 2, columns: 2 });
  assert.deepEqual(panelGrid(5, 3), { rows: 2, columns: 3 });
  assert.deepEqual(panelGrid(4, 4), { rows: 1, columns: 4 });
  assert.deepEqual(panelGrid(1, 4), { rows: 1, columns: 1 });
  const pts = (acc: number) => ["fgsm", "bim", "pgd", "cw"].flatMap((attack) => [0, 0.5, 1].map((eps) => ({ attack, eps, accuracy: eps === 0 ? 0.9 : acc })));
  const fig = accuracyCurvesFigure({ cxr: pts(0), derm: pts(0.1), cxr3: pts(0), "derm-3": pts(0) }, { columns: 3, panelTitles: { cxr: "Chest X-ray <binary>" } });
  const traces = fig.data as Array<{ line: { dash: string }; marker: { symbol: string }; name: string }>;
  // Identical curves (every attack at 0%) stay distinguishable: no two attacks share dash or marker.
  const first = traces.slice(0, 4);
  assert.equal(new Set(first.map((t) => t.line.dash)).size, 4);
  assert.equal(new Set(first.map((t) => t.marker.symbol)).size, 4);
  assert.deepEqual(first.map((t) => t.marker.symbol), ["fgsm", "bim", "pgd", "cw"].map((a) => ATTACK_STYLE[a].symbol));
  assert.deepEqual((fig.layout as { grid: { rows: number; columns: number } }).grid, { rows: 2, columns: 2, pattern: "independent" } as never);
  const notes = (fig.layout!.annotations as Array<{ text: string }>).map((a) => a.text);
  assert.deepEqual(notes, ["<b>Chest X-ray &lt;binary&gt;</b>", "<b>derm</b>", "<b>cxr3</b>", "<b>derm-3</b>"]);
});

test("rocFigure: a chance diagonal and a title per panel, one legend entry per detector, no empty grid slot", async () => {
  const { rocFigure } = await import("../src/plots/roc.js");
  const line = (name: string) => ({ name, fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] });
  const fig = rocFigure({ cxr: [line("kd"), line("lid")], derm: [line("kd")], dr: [line("kd"), line("lid")], cifar10: [line("lid")] }, { panelTitles: { cxr: "Chest X-ray" }, columns: 3 });
  const traces = fig.data as Array<{ name: string; showlegend: boolean; x: number[]; xaxis: string }>;
  assert.equal(traces.filter((t) => t.name === "chance").length, 4, "a diagonal in every panel");
  assert.deepEqual(traces.filter((t) => t.name === "chance")[0].x, [0, 1]);
  assert.deepEqual(traces.filter((t) => t.showlegend).map((t) => t.name), ["chance", "kd", "lid"], "each name once in the legend");
  assert.deepEqual((fig.layout as { grid: object }).grid, { rows: 2, columns: 2, pattern: "independent" });
  const notes = (fig.layout!.annotations as Array<{ text: string }>).map((a) => a.text);
  assert.deepEqual(notes, ["<b>Chest X-ray</b>", "<b>derm</b>", "<b>dr</b>", "<b>cifar10</b>"]);
  assert.equal((fig.layout as Record<string, { title: { text: string } }>).xaxis2.title.text, "false positive rate", "panel names are not folded into the axis titles");
});

test("learningCurveFigure: one colour per run, loss and accuracy/AUC in separate panels with [0, 1] ticks at 0.2", () => {
  const h = (k: number) => [1, 2, 3].map((epoch) => ({ epoch, trainLoss: k / epoch, valLoss: k / epoch + 0.1, valAccuracy: 0.5 + 0.1 * epoch, valAuc: 0.6 + 0.1 * epoch }));
  const fig = learningCurveFigure({ cxr: h(1), derm: h(2), cifar10: h(3) });
  const t = fig.data as Array<{ name: string; line: { color: string; dash: string }; yaxis: string }>;
  assert.equal(t.length, 12);
  const colourOf = (run: string) => new Set(t.filter((x) => x.name.startsWith(`${run}:`)).map((x) => x.line.color));
  for (const run of ["cxr", "derm", "cifar10"]) assert.equal(colourOf(run).size, 1, `${run}: one colour for its four curves`);
  assert.equal(new Set(["cxr", "derm", "cifar10"].map((r) => [...colourOf(r)][0])).size, 3, "no colour reused across runs");
  assert.deepEqual(t.slice(0, 4).map((x) => [x.yaxis, x.line.dash]), [["y", "solid"], ["y", "dot"], ["y2", "solid"], ["y2", "dash"]]);
  const l = fig.layout as Record<string, any>;
  assert.deepEqual([l.yaxis2.range, l.yaxis2.dtick, l.yaxis2.overlaying], [[0, 1.02], 0.2, undefined]);
});

test("capacityFigure: an empty figure says why it is empty", () => {
  const fig = capacityFigure([], { maxEps: 2, emptyReason: "none of the 4 capacity models clearly beats the majority class" });
  assert.match((fig.layout as { annotations: Array<{ text: string }> }).annotations[0].text, /No model to plot: none of the 4 capacity models/);
  assert.equal((capacityFigure([{ task: "cxr", model: "cnn", params: 10, pgdAt1: 0.5, epsHalf: 1 }], { maxEps: 2 }).layout as { annotations?: unknown }).annotations, undefined);
});

test("classCountFigure: a line per family and budget, colour by budget, dash by family, missing budgets as gaps", () => {
  const pts = [
    { family: "chest X-ray", classes: 2, eps: 0.3, accuracy: 0.5 },
    { family: "chest X-ray", classes: 3, eps: 0.3, accuracy: 0.2 },
    { family: "chest X-ray", classes: 2, eps: 1, accuracy: 0 },
    { family: "chest X-ray", classes: 3, eps: 1, accuracy: null },
    { family: "dermoscopy", classes: 2, eps: 0.3, accuracy: 0.5 },
    { family: "dermoscopy", classes: 3, eps: 0.3, accuracy: 0.2 },
  ];
  const t = classCountFigure(pts).data as Array<{ name: string; y: Array<number | null>; line: { color: string; dash: string } }>;
  assert.deepEqual(t.map((x) => x.name), ["chest X-ray, ε 0.3/255", "chest X-ray, ε 1/255", "dermoscopy, ε 0.3/255"]);
  assert.deepEqual(t[1].y, [0, null]);
  assert.equal(t[0].line.color, t[2].line.color, "same budget, same colour");
  assert.notEqual(t[0].line.dash, t[2].line.dash, "equal lines of two families still differ in dash");
  assert.notEqual(t[0].line.color, t[1].line.color);
});
