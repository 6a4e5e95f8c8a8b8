/**
 * Embeddings against known answers: t-SNE keeps two well-separated Gaussian clusters apart (and
 * is reproducible for a seed), PCA recovers planted principal axes and their variance shares, and
 * the F-tsne figure colours by clean / adversarial.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pca, tsne, tsneCached } from "../src/features";
import { ADV_COLOR, CLEAN_COLOR, classKey, embeddingFigure, embeddingTraces } from "../src/plots";
import { rng } from "../src/data/split";

function gaussian(seed: number): () => number {
  const r = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

test("t-SNE separates two well-separated Gaussian clusters (1-NN perfect) and is reproducible for a seed", () => {
  const per = 20;
  const d = 10;
  const g = gaussian(1);
  const x = new Float64Array(2 * per * d);
  const label = (i: number) => (i < per ? 0 : 1);
  for (let i = 0; i < 2 * per; i++) for (let j = 0; j < d; j++) x[i * d + j] = g() + (label(i) ? 8 : 0);
  const t0 = Date.now();
  const e = tsne(x, 2 * per, d, { perplexity: 10, iterations: 300, seed: 5 });
  assert.ok(Date.now() - t0 < 10000, "fast");
  assert.equal(e.data.length, 2 * per * 2);
  assert.ok(e.data.every(Number.isFinite));
  // Leave-one-out 1-NN in the embedding.
  for (let i = 0; i < 2 * per; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < 2 * per; j++) {
      const dd = j === i ? Infinity : (e.data[2 * i] - e.data[2 * j]) ** 2 + (e.data[2 * i + 1] - e.data[2 * j + 1]) ** 2;
      if (dd < bestD) [best, bestD] = [j, dd];
    }
    assert.equal(label(best), label(i), `point ${i}'s nearest neighbour is in its cluster`);
  }
  assert.deepEqual(tsne(x, 2 * per, d, { perplexity: 10, iterations: 300, seed: 5 }).data, e.data, "same seed, same map");
  assert.notDeepEqual(tsne(x, 2 * per, d, { perplexity: 10, iterations: 300, seed: 6 }).data, e.data);
  assert.throws(() => tsne(x, 2 * per, d, { perplexity: 40 }), /perplexity/);
  assert.throws(() => tsne(x, 2 * per, d, { iterations: 50 }), /iterations/);
  assert.throws(() => tsne(x, 2 * per, d + 1), /n \* d/);
});

test("tsneCached: the same map as tsne, read back on a second call; another input or option is another entry", () => {
  const g = gaussian(3);
  const n = 24;
  const d = 5;
  const x = Float32Array.from({ length: n * d }, () => g());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-tsne-"));
  const o = { perplexity: 5, iterations: 150, seed: 2 };
  const first = tsneCached(x, n, d, { ...o, dir });
  assert.equal(first.cached, false);
  assert.deepEqual(first.data, tsne(x, n, d, o).data, "what tsne() computes");
  const again = tsneCached(x, n, d, { ...o, dir });
  assert.equal(again.cached, true);
  assert.deepEqual(again.data, first.data);
  assert.equal(again.kl, first.kl);
  const y = Float32Array.from(x);
  y[7] += 1e-3;
  assert.equal(tsneCached(y, n, d, { ...o, dir }).cached, false, "one changed value: not the cached map");
  assert.equal(tsneCached(x, n, d, { ...o, seed: 3, dir }).cached, false, "another seed: not the cached map");
  // A cut-short entry is recomputed, not trusted.
  const files = fs.readdirSync(path.join(dir, "tsne"));
  assert.equal(files.length, 3);
  for (const f of files) fs.writeFileSync(path.join(dir, "tsne", f), "{\"data\": [1, 2");
  const redo = tsneCached(x, n, d, { ...o, dir });
  assert.equal(redo.cached, false);
  assert.deepEqual(redo.data, first.data);
});

test("PCA recovers planted principal axes (|cos| > 0.99) and their explained variance ratios", () => {
  const n = 400;
  const d = 5;
  // Orthonormal axes u, v in 5-d; std 5 along u, 2 along v, 0.1 on the rest.
  const u = [1, 2, 0, -1, 1].map((a) => a / Math.sqrt(7));
  const v0 = [0, 1, 1, 2, 0];
  const dot = (a: number[], b: number[]) => a.reduce((s, ai, k) => s + ai * b[k], 0);
  const vr = v0.map((a, k) => a - dot(v0, u) * u[k]);
  const v = vr.map((a) => a / Math.sqrt(dot(vr, vr)));
  const g = gaussian(2);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const [a, b] = [5 * g(), 2 * g()];
    for (let j = 0; j < d; j++) x[i * d + j] = 3 + a * u[j] + b * v[j] + 0.1 * g();
  }
  const p = pca(x, n, d, 2);
  assert.ok(Math.abs(dot(p.components[0], u)) > 0.99, `first axis ${p.components[0]}`);
  assert.ok(Math.abs(dot(p.components[1], v)) > 0.99, `second axis ${p.components[1]}`);
  const total = 25 + 4 + 3 * 0.01;
  assert.ok(Math.abs(p.explainedVarianceRatio[0] - 25 / total) < 0.05, `ratio ${p.explainedVarianceRatio}`);
  assert.ok(Math.abs(p.explainedVarianceRatio[1] - 4 / total) < 0.03, `ratio ${p.explainedVarianceRatio}`);
  assert.equal(p.data.length, n * 2);
  // Coordinates are the centred rows projected on the returned components.
  const mean = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => x[i * d + j]).reduce((s, a) => s + a, 0) / n);
  for (const i of [0, 17, n - 1]) for (const c of [0, 1]) {
    const want = p.components[c].reduce((s, w, j) => s + w * (x[i * d + j] - mean[j]), 0);
    assert.ok(Math.abs(p.data[i * 2 + c] - want) < 1e-9);
  }
  const var0 = Array.from({ length: n }, (_, i) => p.data[2 * i] ** 2).reduce((s, a) => s + a, 0) / (n - 1);
  assert.ok(Math.abs(var0 - 25) < 5, `variance along the first axis ${var0}`);
  assert.throws(() => pca(x, n, d, 6), /k must be/);
});

test("embedding figure: coloured by clean / adversarial (not diagnosis), class as symbol, one panel per (dataset, attack)", () => {
  const points = [0, 0, 1, 1, 2, 2, 3, 3];
  const isAdv = [0, 1, 0, 1];
  const labels = [0, 0, 1, 1];
  const plain = embeddingTraces({ title: "cxr · pgd", points, isAdv });
  assert.deepEqual(plain.map((t) => (t as { name: string }).name), ["clean", "adversarial"]);
  assert.deepEqual(plain.map((t) => (t as { marker: { color: string } }).marker.color), [CLEAN_COLOR, ADV_COLOR]);
  assert.deepEqual((plain[0] as { x: number[] }).x, [0, 2]);
  assert.deepEqual((plain[1] as { y: number[] }).y, [1, 3]);
  const fig = embeddingFigure(
    [
      { title: "CXR · FGSM", points, isAdv, labels, classNames: ["normal", "pneumonia"] },
      { title: "Derm · PGD", points, isAdv, labels, classNames: ["mel", "nv"] },
    ],
    { symbolByClass: true },
  );
  const all = fig.data as Array<{ name: string; marker: { color: string; symbol: string }; xaxis: string; showlegend: boolean; x: number[] }>;
  assert.equal(all.length, 10, "2 panels x (clean, adversarial) x 2 classes, and 2 legend-only traces");
  const t = all.slice(0, 8);
  assert.deepEqual(t.slice(0, 4).map((a) => a.name), ["clean · normal", "clean · pneumonia", "adversarial · normal", "adversarial · pneumonia"]);
  assert.deepEqual(t.slice(0, 4).map((a) => a.marker.color), [CLEAN_COLOR, CLEAN_COLOR, ADV_COLOR, ADV_COLOR], "colour follows clean/adversarial only");
  assert.deepEqual(t.slice(0, 4).map((a) => a.marker.symbol), ["circle", "x", "circle", "x"], "symbol follows the class");
  assert.deepEqual(t.map((a) => a.xaxis), ["x", "x", "x", "x", "x2", "x2", "x2", "x2"]);
  // The legend holds the colours only; each panel names its own classes' symbols (derm's are not cxr's).
  assert.deepEqual(all.filter((a) => a.showlegend).map((a) => [a.name, a.marker.color]), [["clean", CLEAN_COLOR], ["adversarial", ADV_COLOR]]);
  const notes = ((fig.layout as { annotations: Array<{ text: string }> }).annotations).map((a) => a.text);
  assert.deepEqual(notes, ["<b>CXR · FGSM</b>", "● normal · ✕ pneumonia", "<b>Derm · PGD</b>", "● mel · ✕ nv"]);
  assert.deepEqual((fig.layout as { grid: unknown }).grid, { rows: 1, columns: 2, pattern: "independent", ygap: 0.3 });
  assert.throws(() => embeddingTraces({ title: "bad", points: [0, 0, 1], isAdv: [0, 1] }), /n x 2/);
});

test("classKey: ten classes get ten distinct symbols, packed into short lines", () => {
  const labels = [...Array(10).keys()];
  const key = classKey({ title: "cifar10", points: new Array(20).fill(0), isAdv: new Array(10).fill(0), labels, classNames: labels.map((i) => `c${i}`) });
  const lines = key.split("<br>");
  assert.ok(lines.length >= 2 && lines.every((l) => l.length <= 26), lines.join(" / "));
  const symbols = key.split(/<br>| · /).map((s) => s.split(" ")[0]);
  assert.equal(new Set(symbols).size, 10);
  const traces = embeddingTraces({ title: "cifar10", points: new Array(20).fill(0), isAdv: new Array(10).fill(0), labels }, { symbolByClass: true }) as Array<{ marker: { symbol: string } }>;
  assert.equal(new Set(traces.map((t) => t.marker.symbol)).size, 10);
});
