/**
 * Static figure export in Debian's headless Chromium (installed by make setup): PNG, SVG and
 * standalone HTML rendered by plotly.js itself, and INDEX.md mapping files to paper figures.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { DataFrame } from "danfojs";
import { closeBrowser, exportFigure, exportImage, figureHtml, figuresDir, renderFigure, saveTable } from "../src/plots";
import { REPO_ROOT } from "../src/config/paths";

after(closeBrowser);

const line = { data: [{ type: "scatter" as const, mode: "lines" as const, x: [0, 1, 2], y: [0, 1, 4], name: "fgsm" }, { type: "scatter" as const, x: [0, 1, 2], y: [0, 2, 3], name: "pgd" }], layout: { title: { text: "accuracy vs eps" } } };

test("renderFigure: a PNG of the requested size (x scale) and an SVG with one path per line trace", async () => {
  const { png, svg } = await renderFigure(line, { width: 400, height: 300, scale: 2 });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", 800, 600]);
  const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.ok(new Set(data).size > 10, "the PNG is not blank");
  assert.match(svg, /^<svg[^>]+width="400" height="300"/);
  assert.equal((svg.match(/class="trace scatter/g) ?? []).length, 2, "two traces drawn");
  assert.ok(svg.includes("accuracy vs eps"));
});

test("exportFigure writes png/svg/html named after the paper figure and regenerates INDEX.md", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-figs-"));
  const heat = { data: [{ type: "heatmap" as const, z: [[1, 2], [3, 4]] }], layout: {} };
  await exportFigure(line, { name: "F-acc_cxr", paper: "F-acc", title: "Accuracy vs eps, chest X-ray", notebook: "03-attacks", cell: "7" }, { dir });
  await exportFigure(heat, { name: "F-saliency_demo", paper: "F-saliency", title: "Saliency demo" }, { dir });
  await exportFigure(line, { name: "F-acc_cxr", paper: "F-acc", title: "Accuracy vs eps, chest X-ray (rerun)", notebook: "03-attacks", cell: "8" }, { dir });
  for (const ext of ["png", "svg", "html"]) assert.ok(fs.statSync(path.join(dir, `F-acc_cxr.${ext}`)).size > 100, ext);
  // The pages load one copy of plotly.js from their own folder; each also holds its PNG for pages without scripts.
  const page = fs.readFileSync(path.join(dir, "F-acc_cxr.html"), "utf8");
  assert.ok(page.includes('<script type="text/javascript" src="plotly.min.js"></script>') && page.includes("data:image/png;base64,"));
  assert.ok(page.length < 1_000_000, `${page.length} characters: the library is not inlined`);
  assert.deepEqual(fs.readFileSync(path.join(dir, "plotly.min.js")), fs.readFileSync(require.resolve("plotly.js-dist-min")));
  const index = fs.readFileSync(path.join(dir, "INDEX.md"), "utf8");
  const rows = index.split("\n").filter((l) => l.startsWith("| F-"));
  assert.equal(rows.length, 2, "re-export replaces its row");
  assert.match(rows[0], /^\| F-acc \| Accuracy vs eps, chest X-ray \(rerun\) \| \[png\]\(F-acc_cxr\.png\) .* \| 03-attacks \| 8 \|$/);
  assert.match(rows[1], /^\| F-saliency \| Saliency demo \|/);
  await assert.rejects(exportFigure(line, { name: "../escape", paper: "F-x", title: "x" }, { dir }), /must be letters, digits/);
});

test("figureHtml puts a static PNG inside the plot div for viewers that run no scripts", () => {
  const html = figureHtml(line, { id: "p", fallbackPng: Buffer.from([137, 80, 78, 71]) });
  assert.match(html, /<div id="p" class="mia-plotly"[^>]*><img alt="figure"[^>]*src="data:image\/png;base64,iVBORw=="\/><\/div>/);
  assert.ok(html.includes('d.innerHTML=""'), "the script clears the fallback before plotting");
});

test("saveTable writes a CSV (index first, quoting commas and quotes) and lists it in INDEX.md", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-tables-"));
  const df = new DataFrame({ detector: ["KD", 'LID, "k=20"'], auc: [0.98, 0.5] }, { index: ["cxr", "cifar"] });
  const file = saveTable(df, { name: "T-detect_demo", paper: "T-detect", title: "Detection AUC (demo)" }, { dir });
  assert.equal(fs.readFileSync(file, "utf8"), ',detector,auc\ncxr,KD,0.98\ncifar,"LID, ""k=20""",0.5\n');
  assert.match(fs.readFileSync(path.join(dir, "INDEX.md"), "utf8"), /\| T-detect \| Detection AUC \(demo\) \| \[csv\]\(T-detect_demo\.csv\) \|/);
  // A damaged index is kept aside and said so, not silently replaced.
  fs.writeFileSync(path.join(dir, "index.json"), "[{ broken");
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
  try {
    saveTable(df, { name: "T-other", paper: "T-detect", title: "Other" }, { dir });
  } finally {
    console.warn = warn;
  }
  const kept = fs.readdirSync(dir).filter((f) => f.startsWith("index.json.damaged-"));
  assert.equal(kept.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, kept[0]), "utf8"), "[{ broken");
  assert.match(warnings.join(" "), /index\.json could not be read .*kept it as .*index\.json\.damaged-/);
});

test("INDEX.md lists a figure and a table of the same name both; re-exporting either replaces only its own entry", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-index-"));
  const df = new DataFrame({ auc: [0.9] }, { index: ["cxr"] });
  const fig = { png: Buffer.from("89504e470d0a1a0a", "hex"), svg: "<svg/>", width: 1, height: 1, scale: 1, labels: [] };
  exportImage(fig, { name: "why_spread", paper: "F-saliency", title: "Spread (image)" }, { dir });
  saveTable(df, { name: "why_spread", paper: "F-saliency", title: "Spread (table)" }, { dir });
  saveTable(df, { name: "why_spread", paper: "F-saliency", title: "Spread (table, again)" }, { dir });
  const index = fs.readFileSync(path.join(dir, "INDEX.md"), "utf8");
  assert.match(index, /\| Spread \(image\) \| \[png\]\(why_spread\.png\) · \[svg\]\(why_spread\.svg\) \|/);
  assert.match(index, /\| Spread \(table, again\) \| \[csv\]\(why_spread\.csv\) \|/);
  assert.doesNotMatch(index, /Spread \(table\) \|/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")).length, 2);
});

test("figuresDir: MIA_FIGURES_DIR, else figures/; smoke figures (MIA_PROFILE=smoke, however the kernel was started) go to build/figures/smoke", () => {
  assert.equal(figuresDir({}), path.join(REPO_ROOT, "figures"));
  assert.equal(figuresDir({ MIA_PROFILE: "cpu" }), path.join(REPO_ROOT, "figures"));
  assert.equal(figuresDir({ MIA_PROFILE: " Smoke " }), path.join(REPO_ROOT, "build", "figures", "smoke"));
  assert.equal(figuresDir({ MIA_PROFILE: "smoke", MIA_FIGURES_DIR: "/tmp/f" }), "/tmp/f");
});
