/**
 * 2-D embeddings of deep features for the paper's F-tsne figure: t-SNE (tsne-js, exact O(n²)) as
 * the authors used (sklearn TSNE, learning rate 100), and PCA (ml-pca) beside it, which is linear
 * and deterministic, so a separation it shows is not an artefact of t-SNE's neighbourhoods.
 */
import * as crypto from "node:crypto";
import { PCA } from "ml-pca";
import { readJsonCache, writeJsonCache } from "../config/json-cache";
import { rng } from "../data/split";

/** tsne-js 1.0.3 ships no types: the part of its API used here. */
interface TsneModel {
  init(o: { data: number[][]; type: "dense" }): void;
  run(): [number, number];
  getOutput(): number[][];
  outputEmbedding: { data: Float64Array };
}
type TsneCtor = new (config: { dim: number; perplexity: number; earlyExaggeration: number; learningRate: number; nIter: number; metric: "euclidean" }) => TsneModel;

export interface Embedding {
  readonly n: number;
  readonly k: number;
  /** n x k, row-major. */
  readonly data: Float64Array;
}

export interface TsneOptions {
  /** Effective neighbours (default 30, sklearn's; must be below n). */
  readonly perplexity?: number;
  /** Default 100, as the authors' script (sklearn's default was 200 / "auto"). */
  readonly learningRate?: number;
  /** Total gradient steps including tsne-js's 100 early-exaggeration steps (default 1000; > 100). */
  readonly iterations?: number;
  /** Early exaggeration factor (default 12, sklearn's; tsne-js's own default is 4). */
  readonly earlyExaggeration?: number;
  readonly seed?: number;
}

function checkMatrix(x: ArrayLike<number>, n: number, d: number, what: string, minN: number): void {
  if (!(Number.isInteger(n) && Number.isInteger(d) && n >= minN && d >= 1) || x.length !== n * d) {
    throw new Error(`${what} needs n >= ${minN} rows of d >= 1 values (n * d values); got n ${n}, d ${d}, ${x.length} values`);
  }
}

const rows = (x: ArrayLike<number>, n: number, d: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => x[i * d + j]));

/**
 * t-SNE of n points (rows of x) into 2-D. Deterministic for a given seed: tsne-js draws its start
 * from Math.random, so the start (N(0, 1e-4²), as tsne-js) is overwritten with a seeded draw, and
 * the rest of tsne-js is deterministic arithmetic. Difference from sklearn: tsne-js calibrates its
 * input affinities on Euclidean distances, not squared ones (a heavier-tailed kernel); clusters
 * that are well separated stay separated, but maps will not match sklearn's point for point.
 * Cost: tsne-js is exact and allocation-heavy, about 0.05 s per iteration at n = 400 (grows as
 * n²), so 1000 iterations take ~50 s; subsample to a few hundred points per panel.
 */
export function tsne(x: ArrayLike<number>, n: number, d: number, o: TsneOptions = {}): Embedding & { kl: number; iterations: number } {
  checkMatrix(x, n, d, "tsne", 3);
  const perplexity = o.perplexity ?? 30;
  const learningRate = o.learningRate ?? 100;
  const iterations = o.iterations ?? 1000;
  if (!(perplexity > 0 && perplexity < n)) throw new Error(`tsne: perplexity must be in (0, n = ${n}), got ${perplexity}; use about n / 3 for small sets`);
  if (!(learningRate > 0)) throw new Error(`tsne: learningRate must be > 0, got ${learningRate}`);
  if (!(Number.isInteger(iterations) && iterations > 100)) throw new Error(`tsne: iterations must be a whole number > 100 (tsne-js spends the first 100 on early exaggeration), got ${iterations}`);
  const TSNE = require("tsne-js") as TsneCtor; // CommonJS, untyped: typed by TsneModel above
  const model = new TSNE({ dim: 2, perplexity, earlyExaggeration: o.earlyExaggeration ?? 12, learningRate, nIter: iterations, metric: "euclidean" });
  model.init({ data: rows(x, n, d), type: "dense" });
  const r = rng(o.seed ?? 0);
  const start = model.outputEmbedding.data;
  for (let i = 0; i < start.length; i += 2) {
    // Box-Muller: two N(0, 1) draws per pair of uniforms.
    const u = 1 - r();
    const v = r();
    const m = 1e-4 * Math.sqrt(-2 * Math.log(u));
    start[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < start.length) start[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  const [kl, iter] = model.run();
  return { n, k: 2, data: Float64Array.from(model.getOutput().flat()), kl, iterations: iter };
}

/**
 * tsne(), remembered: the embedding of the same points with the same options is read from
 * `<dir>/tsne/<key>.json` (dir: MIA_CACHE_DIR, else data/cache). The key hashes every input value,
 * n, d, the options and tsne-js's version, so a changed input can never return a stale map; a
 * re-run of notebook 07 re-plots instead of spending minutes on t-SNE again.
 */
export function tsneCached(x: ArrayLike<number>, n: number, d: number, o: TsneOptions & { dir?: string } = {}): Embedding & { kl: number; iterations: number; cached: boolean } {
  checkMatrix(x, n, d, "tsne", 3);
  const { dir, ...opts } = o;
  const version = (require("tsne-js/package.json") as { version: string }).version;
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify({ n, d, version, opts: Object.fromEntries(Object.entries(opts).sort()) }));
  h.update(Buffer.from(Float64Array.from(x).buffer));
  const key = h.digest("hex").slice(0, 32);
  const hit = readJsonCache<{ data: number[]; kl: number; iterations: number }>("tsne", key, { dir, valid: (j) => Array.isArray((j as { data?: unknown }).data) && (j as { data: unknown[] }).data.length === 2 * n });
  if (hit) return { n, k: 2, data: Float64Array.from(hit.data), kl: hit.kl, iterations: hit.iterations, cached: true };
  const e = tsne(x, n, d, opts);
  writeJsonCache("tsne", key, { data: Array.from(e.data), kl: e.kl, iterations: e.iterations }, { dir });
  return { ...e, cached: false };
}

/**
 * PCA of n points into k dimensions (centred, unscaled). `explainedVarianceRatio` covers the k
 * components kept; `components` are unit vectors (k x d), each signed so that its largest-magnitude
 * entry is positive (a fixed convention, as sklearn's svd_flip fixes one).
 */
export function pca(x: ArrayLike<number>, n: number, d: number, k = 2): Embedding & { explainedVarianceRatio: number[]; components: number[][] } {
  checkMatrix(x, n, d, "pca", 2);
  if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(n, d))) throw new Error(`pca: k must be a whole number in [1, min(n, d) = ${Math.min(n, d)}], got ${k}`);
  const data = rows(x, n, d);
  const p = new PCA(data, { center: true, scale: false });
  const vectors = p.getEigenvectors().to2DArray(); // d x d', columns are components
  const ratio = p.getExplainedVariance().slice(0, k);
  const components = Array.from({ length: k }, (_, c) => {
    const v = vectors.map((row) => row[c] ?? 0);
    const big = v.reduce((b, e) => (Math.abs(e) > Math.abs(b) ? e : b), 0);
    return big < 0 ? v.map((e) => -e) : v;
  });
  // Project onto the signed components ourselves so the coordinates match them.
  const mean = Array.from({ length: d }, (_, j) => data.reduce((s, r) => s + r[j], 0) / n);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = components[c].reduce((s, w, j) => s + w * (data[i][j] - mean[j]), 0);
  return { n, k, data: out, explainedVarianceRatio: ratio, components };
}
