/**
 * Labelled image figures (plots.labelledGrid) and the figure check (plots.checkFigures, `mia
 * figures --check`): print size, labels as SVG text read back, pixel-sharp cells, clear failures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { checkFigures, exportImage, labelledGrid, PRINT_MIN_WIDTH_PX, svgLabels, svgText, wrapText, type GridRow } from "../src/plots";
import { main } from "../src/cli/main";

/** 2 rows x 3 cells of 4x4 RGB images; cell (r, c) is one flat colour. */
const colour = (r: number, c: number) => [40 + 100 * r, 30 + 70 * c, 200 - 60 * c];
const rows: GridRow[] = [0, 1].map((r) => ({ label: r === 0 ? "Chest X-ray (medical)" : "CIFAR-10 & <natural>", images: [0, 1, 2].map((c) => new Uint8Array(48).fill(0).map((_, i) => colour(r, c)[i % 3])) }));
const options = { size: 4, channels: 3 as const, cell: 60, title: "Saliency maps, medical vs natural: a title long enough to be wrapped onto a second line", columns: ["image", "Integrated Gradients", "Grad-CAM"], colorbars: [{ colormap: "jet" as const, range: [0, 1] as [number, number], label: "|grad| / 99th pct" }], note: "each map on its own range" };

test("labelledGrid: title, row labels, column headers and colour-bar label are SVG text; the PNG is print size", async () => {
  const fig = await labelledGrid(rows, options);
  const text = svgText(fig.svg);
  for (const l of ["Chest X-ray (medical)", "CIFAR-10 & <natural>", "Integrated Gradients", "Grad-CAM", "|grad| / 99th pct", "each map on its own range", options.title]) assert.ok(text.includes(l), `'${l}' drawn as text (got: ${text})`);
  // Wrapped: the title is longer than the figure, the header longer than a 60-px cell.
  assert.ok((fig.svg.match(/font-weight="bold"/g) ?? []).length >= 2, "title wrapped onto 2+ lines");
  assert.deepEqual(svgLabels(fig.svg), [options.title, ...rows.map((r) => r.label), ...options.columns, "|grad| / 99th pct"]);
  const meta = await sharp(fig.png).metadata();
  assert.ok(meta.width! >= PRINT_MIN_WIDTH_PX, `PNG ${meta.width} px wide`);
  assert.equal(meta.width, fig.width * fig.scale);
  assert.equal(meta.height, fig.height * fig.scale);
  // The colour-bar ticks show the range.
  assert.match(fig.svg, />0<\/text>/);
  assert.match(fig.svg, />1<\/text>/);
});

test("labelledGrid: cells stay pixel-sharp at print scale (each cell's centre has its exact colour)", async () => {
  const fig = await labelledGrid(rows, { ...options, columns: undefined, colorbars: undefined, note: undefined, title: "t" });
  const { data, info } = await sharp(fig.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // The image element's position in the SVG, in CSS px.
  const m = /<image x="([\d.]+)" y="([\d.]+)"/.exec(fig.svg)!;
  const [x0, y0] = [Number(m[1]), Number(m[2])];
  for (const r of [0, 1]) {
    for (const c of [0, 1, 2]) {
      const px = Math.round((x0 + c * 64 + 30) * fig.scale);
      const py = Math.round((y0 + r * 64 + 30) * fig.scale);
      const at = (py * info.width + px) * info.channels;
      assert.deepEqual([data[at], data[at + 1], data[at + 2]], colour(r, c), `cell (${r}, ${c})`);
    }
  }
});

test("labelledGrid: no rows is a clear error; wrapText keeps words whole", async () => {
  await assert.rejects(labelledGrid([], { size: 4, channels: 3 }), /no rows to draw/);
  assert.deepEqual(wrapText("a bb ccc", 10, 30), ["a bb", "ccc"]);
  assert.deepEqual(wrapText("Supercalifragilistic", 10, 30), ["Supercalifragilistic"]);
});

test("checkFigures: a labelled export passes; a small PNG, an image figure without SVG and a label not drawn fail, each named", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-figcheck-"));
  const fig = await labelledGrid(rows, options);
  exportImage(fig, { name: "why_saliency", paper: "F-saliency", title: "Saliency" }, { dir });
  const ok = await checkFigures(dir);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.checked, 1);
  assert.equal(ok.imageFigures, 1);
  assert.equal(await main(["figures", "--check", "--dir", dir]), 0);

  // A label recorded but not drawn (e.g. a rendering that dropped the row labels).
  fs.writeFileSync(path.join(dir, "why_saliency.svg"), fig.svg.replace(/>Grad-CAM</, "><"));
  // A PNG below print size, listed as a plotly figure (png/svg/html).
  await sharp({ create: { width: 500, height: 248, channels: 3, background: "#fff" } }).png().toFile(path.join(dir, "small.png"));
  const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8"));
  index.push({ name: "small", paper: "F-acc", title: "small", formats: ["png", "svg", "html"] });
  // An image figure exported as a bare PNG (the old exportImage), no SVG.
  await sharp({ create: { width: 1200, height: 600, channels: 3, background: "#fff" } }).png().toFile(path.join(dir, "bare.png"));
  index.push({ name: "bare", paper: "F-repr", title: "bare", formats: ["png"] });
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify(index));
  const bad = await checkFigures(dir);
  assert.equal(bad.checked, 3);
  assert.equal(bad.problems.length, 3, bad.problems.join("\n"));
  assert.match(bad.problems.join("\n"), /why_saliency\.svg: label 'Grad-CAM' is not drawn as text/);
  assert.match(bad.problems.join("\n"), /small\.png: 500x248 px, narrower than print size \(1063 px/);
  assert.match(bad.problems.join("\n"), /bare: an image figure without its SVG/);
  assert.equal(await main(["figures", "--check", "--dir", dir]), 1);
  await assert.rejects(checkFigures(path.join(dir, "nowhere")), /No figures to check .*run the notebooks first/);
});

test("exportImage refuses a bare PNG with the fix named", () => {
  assert.throws(() => exportImage(Buffer.from("89504e47", "hex") as never, { name: "x", paper: "p", title: "t" }, { dir: os.tmpdir() }), /needs the labelled figure that plots\.showImageGrid/);
});
