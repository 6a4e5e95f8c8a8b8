/**
 * The notebook runner, for real: Debian's nbclient driving the project's tslab kernel.
 * Needs `make setup` (Jupyter + kernelspec + dist/).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeBrowser, newPage } from "../src/plots/browser";

const ROOT = path.resolve(__dirname, "..", "..");
const RUNNER = path.join(ROOT, "scripts", "run_notebooks.py");

interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Array<{ output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string }>;
}
const text = (s: string | string[] | undefined): string => (Array.isArray(s) ? s.join("") : (s ?? ""));

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, execution_count: null, outputs: [], source })),
  });
}

function run(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync("/usr/bin/python3", [RUNNER, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: res.status, out: res.stdout + res.stderr };
}

test("runner stops at the first failing cell, names notebook and cell, keeps the partial output", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-runner-"));
  const nbPath = path.join(dir, "bad.ipynb");
  fs.writeFileSync(nbPath, notebook(['console.log("first ran");', 'throw new Error("boom in cell two");', 'console.log("never");']));
  const out = path.join(dir, "out");
  const r = run(["--profile", "smoke", "--out", out, "--no-html", nbPath]);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /FAILED bad\.ipynb at cell 2 \(code cell 2\): throw new Error\("boom in cell two"\);/);
  assert.match(r.out, /boom in cell two/);
  const executed = JSON.parse(fs.readFileSync(path.join(out, "bad.ipynb"), "utf8")) as { cells: Cell[] };
  assert.equal(text(executed.cells[0].outputs?.[0]?.text), "first ran\n");
  // tslab records a thrown error as the cell's stderr.
  assert.match(executed.cells[1].outputs?.map((o) => text(o.text)).join("") ?? "", /Error: boom in cell two/);
  assert.doesNotMatch(r.out, /<Error>:/, "the runner prints the cell's own error, not nbclient's empty one");
  assert.equal(executed.cells[2].execution_count ?? null, null, "cells after the failure do not run");
  // The source notebook is left untouched (output-free).
  assert.equal(JSON.parse(fs.readFileSync(nbPath, "utf8")).cells[0].outputs.length, 0);
});

test("runner fails a notebook whose table shows NaN (a missing value must say why), and passes one that says why", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-runner-nan-"));
  // A text table as danfojs prints one (box-drawing rules).
  const show = (v: string) => `console.log("║ cxr        │ 3                 │ ${v} ║");`;
  fs.writeFileSync(path.join(dir, "nan.ipynb"), notebook(['console.log("first");', show("NaN")]));
  fs.writeFileSync(path.join(dir, "why.ipynb"), notebook([show("— (2 usable models; needs 3)")]));
  const out = path.join(dir, "out");
  const bad = run(["--profile", "smoke", "--out", out, "--no-html", path.join(dir, "nan.ipynb")]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /FAILED nan\.ipynb: a table shows NaN \(a missing value must say why\) at cell 2 \(code cell 2\)/);
  assert.ok(fs.existsSync(path.join(out, "nan.ipynb")), "the executed copy is kept");
  const good = run(["--profile", "smoke", "--out", out, "--no-html", path.join(dir, "why.ipynb")]);
  assert.equal(good.code, 0, good.out);
});

test("runner rejects an unknown profile and a missing notebook with clear messages", () => {
  const bad = run(["--profile", "huge"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /Unknown profile 'huge'\. Choose one of: smoke, cpu, cpu-long, paper/);
  const missing = run(["--profile", "smoke", "notebooks/99-nope.ipynb"]);
  assert.equal(missing.code, 2);
  assert.match(missing.out, /no such notebook: .*99-nope\.ipynb/);
});

test("00-environment runs through Jupyter + tslab, and its HTML export renders in a real browser", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-nb00-"));
  const figures = path.join(dir, "figures");
  const r = run(["--profile", "smoke", "--out", dir, path.join(ROOT, "notebooks", "00-environment.ipynb")], { MIA_BACKEND: "", MIA_FIGURES_DIR: figures });
  assert.equal(r.code, 0, r.out);
  const nb = JSON.parse(fs.readFileSync(path.join(dir, "00-environment.ipynb"), "utf8")) as { cells: Cell[] };
  const code = nb.cells.filter((c) => c.cell_type === "code");
  const outputs = code.flatMap((c) => c.outputs ?? []);
  assert.ok(!outputs.some((o) => o.output_type === "error" || o.name === "stderr"), "no errors or stderr");
  const streams = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text)).join("");
  // The parameters cell (tagged, papermill's convention) comes first and prints nothing.
  assert.deepEqual((nb.cells.find((c) => c.cell_type === "code") as Cell & { metadata?: { tags?: string[] } }).metadata?.tags, ["parameters"]);
  assert.equal(code[0].outputs?.length ?? 0, 0);
  // Banner first, one line; on this machine (no libtensorflow) it must report wasm.
  const first = text(code[1].outputs?.[0]?.text);
  assert.match(first, /^mia \| backend \S+ .*\| tfjs 4\.22\.0 \| threads \d+ \| profile smoke \| node [\d.]+/);
  assert.equal(first.trim().split("\n").length, 1);
  const native = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].some((p) => fs.existsSync(path.join(ROOT, "node_modules", p)));
  if (!native) assert.match(first, /^mia \| backend wasm \(simd; convolutions (oneDNN|XNNPACK)/);
  // Autodiff gradient matched the closed form.
  const diff = /max \|difference\| {2}= ([\d.e+-]+)/.exec(streams);
  assert.ok(diff && Number(diff[1]) < 1e-5, `gradient check line: ${diff?.[0]}`);
  // Interactive plotly figures (line chart, heatmap, 3-D surface) as HTML, plotly JSON and a static PNG.
  const figs = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
  assert.equal(figs.length, 3);
  for (const f of figs) assert.ok(String(f.data!["image/png"] ?? "").length > 1000, "a static PNG beside each figure");
  const spec = figs[0].data!["application/vnd.plotly.v1+json"] as { data: Array<{ y: number[] }> };
  assert.equal(spec.data.length, 2);
  const [fgsm, rnd] = spec.data.map((t) => t.y);
  assert.equal(fgsm.length, 21);
  assert.ok(fgsm.every((v, i) => i === 0 || v > fgsm[i - 1]), "loss rises monotonically along the gradient sign");
  assert.ok(fgsm[20] > rnd[20], "gradient-sign direction beats a random sign direction");
  // Each figure finds plotly.js on its own (from the Jupyter server in a live session): the
  // executed notebook holds no copy of the library.
  for (const f of figs) assert.ok(!String(f.data!["text/html"]).includes("plotly.js v") && String(f.data!["text/html"]).includes("lib/plotly.min.js"));
  assert.ok(fs.statSync(path.join(dir, "00-environment.ipynb")).size < 3_000_000, "no library in the executed notebook");
  // danfojs tables as HTML: the profiles (4 rows) and the paper-vs-run comparison.
  const tables = outputs.map((o) => String(o.data?.["text/html"] ?? "")).filter((h) => h.includes("mia-table"));
  assert.equal(tables.length, 2);
  assert.equal((tables[0].match(/<tr><th>(smoke|cpu|cpu-long|paper)<\/th>/g) ?? []).length, 4);
  assert.ok(tables[1].includes("Paper setting vs this run"));
  assert.match(streams, /The environment works: tfjs autodiff on \S+ matches the closed form/);
  // The progress bar was updated in place: one display, ending at 20/20.
  const bars = outputs.filter((o) => String(o.data?.["text/html"] ?? "").includes("mia-progress"));
  assert.equal(bars.length, 1, "one progress display, updated in place");
  assert.match(String(bars[0].data!["text/plain"]), /^demo loop: 20\/20 \(100%\).*, done$/);
  // Every figure and the table went to (this run's) figures/, listed in INDEX.md.
  for (const f of ["env_loss-line.png", "env_loss-line.svg", "env_loss-line.html", "env_loss-heatmap.svg", "env_loss-surface.png", "env_colormaps.png", "env_profiles.csv"]) {
    assert.ok(fs.statSync(path.join(figures, f)).size > 0, f);
  }
  assert.equal((fs.readFileSync(path.join(figures, "INDEX.md"), "utf8").match(/^\| env \|/gm) ?? []).length, 5);
  // HTML export written beside the executed copy.
  const html = fs.readFileSync(path.join(dir, "00-environment.html"), "utf8");
  assert.ok(html.includes("mia-plotly") && html.includes("mia-table"));
  assert.equal((html.match(/plotly\.js v\d/g) ?? []).length, 1, "the HTML export inlines the library once, in its head");
  assert.ok(html.indexOf("plotly.js v") < html.indexOf("mia-plotly"));

  // The real-browser check: open the HTML export in headless Chromium.
  const expectedTraces = figs.map((f) => (f.data!["application/vnd.plotly.v1+json"] as { data: unknown[] }).data.length);
  assert.deepEqual(expectedTraces, [2, 1, 1], "line chart (2 traces), heatmap, 3-D surface");
  const page = await newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`file://${path.join(dir, "00-environment.html")}`, { waitUntil: "load", timeout: 60_000 });
    await page.waitForFunction(() => [...document.querySelectorAll(".mia-plotly")].every((d) => d.classList.contains("js-plotly-plot")), undefined, { timeout: 30_000 });
    const plots = await page.evaluate(() =>
      [...document.querySelectorAll(".mia-plotly")].map((d) => ({
        traces: ((d as unknown as { data?: unknown[] }).data ?? []).length,
        svgChildren: d.querySelector("svg.main-svg")?.childElementCount ?? 0,
        canvases: d.querySelectorAll("canvas").length,
        fallbackLeft: d.querySelectorAll("img[alt=figure]").length,
        height: (d as HTMLElement).getBoundingClientRect().height,
      })),
    );
    assert.deepEqual(plots.map((p) => p.traces), expectedTraces, "every figure rendered with its traces");
    for (const p of plots) {
      assert.ok(p.svgChildren > 0 || p.canvases > 0, "non-empty SVG or canvas");
      assert.equal(p.fallbackLeft, 0, "the static PNG was replaced by the live plot");
      assert.ok(p.height > 100);
    }
    const images = await page.evaluate(() => [...document.querySelectorAll("img")].map((i) => ({ ok: i.complete && i.naturalWidth > 0, src: i.src.slice(0, 30) })));
    assert.ok(images.length >= 1 && images.every((i) => i.ok), `every image output decodes: ${JSON.stringify(images.filter((i) => !i.ok))}`);
    const shots = path.join(ROOT, "build", "screenshots");
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "00-environment.png"), fullPage: true });
    assert.deepEqual(errors, [], "no JavaScript errors on the page");
  } finally {
    await page.close();
    await closeBrowser();
  }
});

test("a custom task through the notebooks: MIA_TASKS (runner --tasks) puts your own ImageFolder in place of the profile's tasks", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-nb-custom-"));
  const sharp = (await import("sharp")).default;
  // Train / valid / test folders, two classes told apart by brightness; a distinct grey per image.
  let k = 0;
  for (const [split, n] of [["train", 24], ["valid", 8], ["test", 12]] as const)
    for (let i = 0; i < n; i++, k++)
      for (const [cls, base] of [["clear", 10], ["opaque", 160]] as const) {
        const file = path.join(dir, "lungs", split, cls, `${cls}-${i}.png`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: base + k, g: base + k, b: base + k } } }).png().toFile(file);
      }
  const env = {
    MIA_CUSTOM_TASKS_DIR: path.join(dir, "tasks"),
    MIA_MODELS_DIR: path.join(dir, "models"),
    MIA_RESULTS_DIR: path.join(dir, "results"),
    MIA_CACHE_DIR: path.join(dir, "cache"),
    MIA_FIGURES_DIR: path.join(dir, "figures"),
  };
  // Trained once by name, as a user does (which registers it), then the notebooks on it.
  const trained = spawnSync(process.execPath, [path.join(ROOT, "dist", "src", "cli", "main.js"), "train", "--imagefolder", path.join(dir, "lungs"), "--name", "lungs", "--profile", "smoke", "--json"], { encoding: "utf8", env: { ...process.env, MIA_WORKERS: "2", ...env }, timeout: 240_000 });
  assert.equal(trained.status, 0, trained.stderr);
  assert.ok(fs.existsSync(path.join(env.MIA_CUSTOM_TASKS_DIR, "lungs.json")));
  const out = path.join(dir, "out");
  const r = run(["--profile", "smoke", "--tasks", "lungs", "--out", out, "--no-html", path.join(ROOT, "notebooks", "02-training.ipynb"), path.join(ROOT, "notebooks", "03-attacks.ipynb")], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /profile smoke, tasks lungs, 2 notebook\(s\)/);
  const streams = (nb: string) => (JSON.parse(fs.readFileSync(path.join(out, nb), "utf8")) as { cells: Cell[] }).cells.flatMap((c) => c.outputs ?? []).map((o) => text(o.text) + String(o.data?.["text/plain"] ?? "")).join("\n");
  const s02 = streams("02-training.ipynb");
  assert.match(s02, /lungs/);
  assert.doesNotMatch(s02, /\bcxr:|\bderm:/, "the profile's own tasks were replaced");
  assert.ok(fs.existsSync(path.join(env.MIA_MODELS_DIR, "smoke", "lungs")), "the custom task's model");
  assert.ok(fs.readdirSync(path.join(env.MIA_RESULTS_DIR, "smoke", "lungs")).length > 0, "its attack results");
  assert.ok(fs.existsSync(path.join(env.MIA_FIGURES_DIR, "attacks_accuracy-vs-eps.png")), "figures of the custom run");
});
