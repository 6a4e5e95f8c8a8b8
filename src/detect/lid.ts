/**
 * LID (Ma et al., ICLR 2018, "Characterizing adversarial subspaces using local intrinsic
 * dimensionality"). A sample's local intrinsic dimensionality is estimated from the distances to
 * its k nearest neighbours among clean features in a minibatch (k = 20, batch 100), one column
 * per layer, then a logistic regression separates clean from adversarial. Two estimators:
 *
 * MLE (Levina-Bickel / Amsaleg et al. 2015, as in Ma et al.'s code), u_1 <= ... <= u_k:
 *     LID = -k / sum_{i=1..k} ln(u_i / u_k)
 *
 * TLE, the "tight local estimator" (Amsaleg et al., SDM 2019, "Intrinsic dimensionality
 * estimation within tight localities"), which reuses the pairwise distances v_ij among the k
 * neighbours as extra samples of the same distance distribution. With r = u_k, the ball B(q, r):
 *   s_ij = r v_ij / w_ij, w_ij the distance from x_i to the sphere of B along the ray x_i -> x_j,
 *          i.e. v_ij rescaled as if x_i were the query and the locality had radius r:
 *          s_ij = 2 r v² / (b + sqrt(b² + 4 v² (r² - u_i²))),  b = u_i² + v² - u_j²;
 *   t_ij = the same with x_j reflected through q, i.e. v² replaced by z² = 2u_i² + 2u_j² - v²;
 *   LID = -N / [sum_{i != j} (ln(s_ij / r) + ln(t_ij / r)) + 2 sum_i ln(u_i / r)],
 * N = 2k² measurements (k(k-1) each of s and t, plus the k distances counted twice). Pairs with
 * v_ij = 0 (duplicate neighbours) or a degenerate s or t (< 1e-4 r) are dropped, both s and t.
 */
import { LogisticRegression, type LogisticOptions } from "./logistic";
import { rng } from "../data/split";
import { sqDist } from "./linalg";
import { stackMatrices } from "./statistic";
import { checkBothClasses, checkMatrix, checkSet, rowsWhere, type Detector, type FeatureSet, type Matrix } from "./types";
import { checkWhole } from "../config/check";

export type LidEstimator = "mle" | "tle";

/** A finite stand-in when every neighbour is at the same distance (the estimate diverges). */
const LID_CAP = 1e6;

/** MLE of LID from the k nearest-neighbour distances, ascending and > 0. */
export function lidMle(u: ArrayLike<number>): number {
  const k = u.length;
  if (k < 2) throw new Error(`lidMle: need at least 2 distances, got ${k}`);
  const r = u[k - 1];
  let s = 0;
  for (let i = 0; i < k; i++) {
    if (!(u[i] > 0 && u[i] <= r)) throw new Error(`lidMle: distances must be > 0 and ascending, got u[${i}] = ${u[i]}`);
    s += Math.log(u[i] / r);
  }
  return s < 0 ? Math.min(-k / s, LID_CAP) : LID_CAP;
}

/**
 * TLE of LID (see the file comment). `u`: the k neighbour distances, ascending and > 0;
 * `v(i, j)`: the distance between neighbours i and j.
 */
export function lidTle(u: ArrayLike<number>, v: (i: number, j: number) => number, epsilon = 1e-4): number {
  const k = u.length;
  if (k < 2) throw new Error(`lidTle: need at least 2 distances, got ${k}`);
  const r = u[k - 1];
  const r2 = r * r;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < k; i++) {
    if (!(u[i] > 0 && u[i] <= r)) throw new Error(`lidTle: distances must be > 0 and ascending, got u[${i}] = ${u[i]}`);
    sum += 2 * Math.log(u[i] / r);
    count += 2;
  }
  const tight = (ui2: number, uj2: number, w2: number): number => {
    const b = ui2 + w2 - uj2;
    const root = Math.sqrt(b * b + 4 * w2 * Math.max(r2 - ui2, 0));
    // Two algebraically equal forms; each avoids the other's cancellation.
    return b >= 0 ? (2 * r * w2) / (b + root) : (r * (root - b)) / (2 * (r2 - ui2));
  };
  for (let i = 0; i < k; i++) {
    const ui2 = u[i] * u[i];
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const vij = v(i, j);
      if (!(vij > 0)) continue; // duplicate neighbours: s_ij = 0 carries no scale
      const v2 = vij * vij;
      const uj2 = u[j] * u[j];
      const s = tight(ui2, uj2, v2);
      const t = tight(ui2, uj2, Math.max(2 * ui2 + 2 * uj2 - v2, 0));
      if (!(s >= epsilon * r && t >= epsilon * r)) continue;
      sum += Math.log(Math.min(s / r, 1)) + Math.log(Math.min(t / r, 1));
      count += 2;
    }
  }
  return sum < 0 ? Math.min(-count / sum, LID_CAP) : LID_CAP;
}

export interface LidQueryOptions {
  readonly k: number;
  readonly estimator?: LidEstimator;
  /** Reference row j is not a neighbour of query i (the query itself, its own clean source). */
  readonly skip?: (i: number, j: number) => boolean;
  /** Ma et al.'s code drops the nearest neighbour of every query (meant to drop the query itself). */
  readonly dropNearest?: boolean;
}

/**
 * LID of every query row among the reference rows. Neighbours at distance 0 are ignored (the
 * point itself or an exact duplicate; ln 0 would make the estimate 0).
 */
export function lidOf(queries: Matrix, ref: Matrix, options: LidQueryOptions): Float64Array {
  const { k } = options;
  const d = ref.d;
  if (queries.d !== d) throw new Error(`lidOf: queries have ${queries.d} features, reference ${d}`);
  checkWhole(k, "lidOf: k", 2);
  const tle = options.estimator === "tle";
  // TLE needs distances among neighbours: all reference pairs at once when the reference is a
  // small batch queried many times, else per query among its k neighbours.
  const pair = tle && ref.n * ref.n <= queries.n * k * k ? pairwise(ref) : undefined;
  const dist = new Float64Array(ref.n);
  const order = new Int32Array(ref.n);
  const out = new Float64Array(queries.n);
  for (let i = 0; i < queries.n; i++) {
    let m = 0;
    for (let j = 0; j < ref.n; j++) {
      if (options.skip?.(i, j)) continue;
      dist[j] = Math.sqrt(sqDist(queries.x, i, ref.x, j, d));
      order[m++] = j;
    }
    const cand = Array.from(order.subarray(0, m)).sort((a, b) => dist[a] - dist[b]);
    const nn = (options.dropNearest ? cand.slice(1) : cand).filter((j) => dist[j] > 0).slice(0, k);
    if (nn.length < k) throw new Error(`lidOf: query ${i} has only ${nn.length} usable neighbours for k = ${k}`);
    const u = nn.map((j) => dist[j]);
    out[i] = !tle ? lidMle(u) : lidTle(u, pair ? (a, b) => pair[nn[a] * ref.n + nn[b]] : (a, b) => Math.sqrt(sqDist(ref.x, nn[a], ref.x, nn[b], d)));
  }
  return out;
}

function pairwise(m: Matrix): Float64Array {
  const out = new Float64Array(m.n * m.n);
  for (let a = 0; a < m.n; a++) for (let b = a + 1; b < m.n; b++) out[a * m.n + b] = out[b * m.n + a] = Math.sqrt(sqDist(m.x, a, m.x, b, m.d));
  return out;
}

function rowsOf(m: Matrix, idx: readonly number[]): Matrix {
  const x = new Float64Array(idx.length * m.d);
  idx.forEach((r, k) => x.set(m.x.subarray(r * m.d, (r + 1) * m.d), k * m.d));
  return { x, n: idx.length, d: m.d };
}

function shuffle(xs: number[], r: () => number): number[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Splits xs into max(1, floor(len / size)) nearly equal chunks (every chunk >= size when len >= size). */
function chunks<T>(xs: readonly T[], count: number): T[][] {
  return Array.from({ length: count }, (_, b) => xs.slice(Math.round((b * xs.length) / count), Math.round(((b + 1) * xs.length) / count)));
}

export interface LidOptions {
  /** Neighbours (default 20, Ma et al.). */
  readonly k?: number;
  /** Minibatch size (default 100, Ma et al.); k must be below it. */
  readonly batchSize?: number;
  readonly estimator?: LidEstimator;
  readonly seed?: number;
  /** Default: min-max scaling, as Ma et al. */
  readonly lr?: LogisticOptions;
}

/**
 * The authors' procedure on one layer of one labelled set: clean and adversarial rows shuffled,
 * cut into minibatches of `batchSize` clean rows (plus the adversarial rows in proportion), and
 * every row's LID taken among the CLEAN rows of its own minibatch, dropping each query's nearest
 * neighbour (Ma et al.'s code). Scoring a test set this way reads its isAdv labels.
 */
export function lidMinibatchFeatures(set: FeatureSet, options: LidOptions = {}): Float64Array {
  const { k, batchSize, estimator, seed } = lidDefaults(options);
  checkSet(set, "lidMinibatchFeatures", ["isAdv"]);
  const r = rng(seed);
  const clean = shuffle(rowsWhere(set.isAdv!, 0), r);
  const adv = shuffle(rowsWhere(set.isAdv!, 1), r);
  const nb = Math.max(1, Math.floor(clean.length / batchSize));
  if (clean.length < k + 2) throw new Error(`lidMinibatchFeatures: ${clean.length} clean rows, need more than k + 1 = ${k + 1}`);
  const out = new Float64Array(set.n);
  const cleanChunks = chunks(clean, nb);
  const advChunks = chunks(adv, nb);
  for (let b = 0; b < nb; b++) {
    const rows = [...cleanChunks[b], ...advChunks[b]];
    const lid = lidOf(rowsOf(set, rows), rowsOf(set, cleanChunks[b]), { k, estimator, dropNearest: true });
    rows.forEach((row, q) => (out[row] = lid[q]));
  }
  return out;
}

function lidDefaults(o: LidOptions) {
  const k = o.k ?? 20;
  const batchSize = o.batchSize ?? 100;
  checkWhole(k, "LID: k", 2);
  if (!(Number.isInteger(batchSize) && batchSize > k + 1)) throw new Error(`LID: batchSize (${batchSize}) must exceed k + 1 = ${k + 1} (k >= batch leaves too few neighbours)`);
  return { k, batchSize, estimator: o.estimator ?? "mle", seed: o.seed ?? 0 };
}

type Layers = FeatureSet | readonly FeatureSet[];
const asLayers = (s: Layers): readonly FeatureSet[] => ("x" in s ? [s as FeatureSet] : (s as readonly FeatureSet[]));

/**
 * LID detector, one LID column per layer. Leakage-free by default: the reference minibatches
 * are the clean TRAINING rows, cut once at fit into random minibatches of `batchSize`, and a
 * sample's LID is the mean of its per-minibatch estimates over all of them. This keeps Ma et
 * al.'s scale (k of 100 clean neighbours) while a sample's score depends only on it and the
 * training data, never on which other test samples it is batched with, nor on their labels.
 * Training rows skip themselves and, given groups, their own clean source.
 * `fit(train, leak)` instead reproduces the authors: every set scored by lidMinibatchFeatures
 * on its own clean rows, and the scaler fitted on train and scored rows together.
 */
export class LidDetector implements Detector {
  readonly name: string;
  readonly k: number;
  readonly batchSize: number;
  readonly estimator: LidEstimator;
  readonly seed: number;
  readonly lr: LogisticRegression;
  private refs: { x: Matrix; row: Int32Array; group?: Int32Array }[][] = [];
  private widths: number[] = [];
  private leaky = false;

  constructor(options: LidOptions = {}) {
    ({ k: this.k, batchSize: this.batchSize, estimator: this.estimator, seed: this.seed } = lidDefaults(options));
    this.name = this.estimator === "tle" ? "LID-TLE" : "LID";
    this.lr = new LogisticRegression({ scale: "minmax", ...options.lr });
  }

  fit(train: Layers, leak?: Layers): this {
    this.widths = [];
    this.refs = [];
    const layers = this.check(asLayers(train), "LID.fit", true);
    const isAdv = layers[0].isAdv!;
    checkBothClasses(isAdv, "LID.fit");
    this.widths = layers.map((l) => l.d);
    this.leaky = leak !== undefined;
    if (this.leaky) {
      const leakLayers = this.check(asLayers(leak!), "LID.fit (leak)", true);
      const s = this.features(layers);
      this.lr.fit(s, isAdv, stackMatrices(s, this.features(leakLayers)));
      return this;
    }
    const clean = shuffle(rowsWhere(isAdv, 0), rng(this.seed));
    if (clean.length < this.k + 2) throw new Error(`LID.fit: ${clean.length} clean training rows, need more than k + 1 = ${this.k + 1}`);
    const batches = chunks(clean, Math.max(1, Math.floor(clean.length / this.batchSize)));
    const groups = layers[0].groups;
    this.refs = layers.map((l) => batches.map((rows) => ({ x: rowsOf(l, rows), row: Int32Array.from(rows), group: groups && Int32Array.from(rows, (i) => groups[i]) })));
    const s = this.poolFeatures(layers, (i, ref, j) => ref.row[j] === i || (ref.group !== undefined && ref.group[j] === groups![i]));
    this.lr.fit(s, isAdv);
    return this;
  }

  /** LID columns (n x layers) of a set: per-sample statistics before the logistic regression. */
  features(set: Layers): Matrix {
    const layers = this.check(asLayers(set), "LID", this.leaky);
    if (this.leaky) {
      const cols = layers.map((l, li) => lidMinibatchFeatures(l, { k: this.k, batchSize: this.batchSize, estimator: this.estimator, seed: this.seed + li }));
      return interleave(cols, layers[0].n);
    }
    return this.poolFeatures(layers);
  }

  score(set: Layers): Float64Array {
    return this.lr.predictProba(this.features(set));
  }

  private poolFeatures(layers: readonly FeatureSet[], skip?: (i: number, ref: { row: Int32Array; group?: Int32Array }, j: number) => boolean): Matrix {
    if (this.refs.length === 0) throw new Error("LID: call fit first");
    const cols = layers.map((l, li) => {
      const sum = new Float64Array(l.n);
      for (const ref of this.refs[li]) {
        const lid = lidOf(l, ref.x, { k: this.k, estimator: this.estimator, skip: skip && ((i, j) => skip(i, ref, j)) });
        for (let i = 0; i < l.n; i++) sum[i] += lid[i] / this.refs[li].length;
      }
      return sum;
    });
    return interleave(cols, layers[0].n);
  }

  private check(layers: readonly FeatureSet[], who: string, needAdv: boolean): readonly FeatureSet[] {
    if (layers.length === 0) throw new Error(`${who}: no layers`);
    layers.forEach((l, li) => {
      checkSet(l, `${who} (layer ${li})`, needAdv ? ["isAdv"] : []);
      if (l.n !== layers[0].n) throw new Error(`${who}: layer ${li} has ${l.n} rows, layer 0 has ${layers[0].n}`);
      if (this.widths.length && l.d !== this.widths[li]) throw new Error(`${who}: layer ${li} has ${l.d} features, fitted on ${this.widths[li]}`);
    });
    if (this.widths.length && layers.length !== this.widths.length) throw new Error(`${who}: fitted on ${this.widths.length} layers, given ${layers.length}`);
    return layers;
  }
}

function interleave(cols: Float64Array[], n: number): Matrix {
  const d = cols.length;
  const x = new Float64Array(n * d);
  cols.forEach((c, j) => c.forEach((v, i) => (x[i * d + j] = v)));
  checkMatrix({ x, n, d }, "LID features");
  return { x, n, d };
}
