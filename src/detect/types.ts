/**
 * Shared types for the adversarial detectors: a row-major feature matrix plus the per-sample
 * annotations the detectors need (true class, the model's predicted class, adversarial flag,
 * source image). Detectors follow scikit-learn's shape: options in the constructor, `fit` on
 * the training split, `score` on anything afterwards.
 */
import { rng } from "../data/split";

/** n x d numbers, row-major. */
export interface Matrix {
  readonly x: Float32Array | Float64Array;
  readonly n: number;
  readonly d: number;
}

export interface FeatureSet extends Matrix {
  /** True class of the clean source image (KD and Mahalanobis fit per class on clean rows). */
  readonly labels?: Int32Array;
  /** The model's predicted class for this row (KD scores a row under this class's density). */
  readonly predicted?: Int32Array;
  /** 1 = adversarial, 0 = clean: the detector's target. Needed by `fit`, never by `score`. */
  readonly isAdv?: Uint8Array;
  /**
   * Source image id: a clean image and its adversarial versions share it. Lets KD and LID keep a
   * training row away from its own clean source, as a test row always is, and keeps a group on
   * one side of a split.
   */
  readonly groups?: Int32Array;
  /** Per-sample MC-dropout uncertainty (see `mcDropoutUncertainty`), read by the BU detector. */
  readonly uncertainty?: Float32Array | Float64Array;
}

/**
 * A fitted detector. `fit(train, leak)`: `leak` exists only to reproduce the authors' mistakes
 * (unsupervised statistics such as KDEs, scalers and thresholds also fitted on the scored data);
 * leave it out for the leakage-free protocol.
 */
export interface Detector {
  readonly name: string;
  fit(train: FeatureSet, leak?: FeatureSet): this;
  /** Per-sample adversarial-ness, higher = more likely adversarial. */
  score(set: FeatureSet): Float64Array;
}

export type Fields = "labels" | "predicted" | "isAdv" | "groups" | "uncertainty";

/** Checks shape, finiteness and the annotations `needs` lists; throws a message naming `who`. */
export function checkSet(set: FeatureSet, who: string, needs: readonly Fields[] = []): void {
  checkMatrix(set, who);
  const { n } = set;
  for (const f of ["labels", "predicted", "isAdv", "groups", "uncertainty"] as const) {
    const a = set[f];
    if (a === undefined) {
      if (needs.includes(f)) throw new Error(`${who}: the feature set needs '${f}'`);
      continue;
    }
    if (a.length !== n) throw new Error(`${who}: '${f}' has ${a.length} entries for ${n} rows`);
    for (let i = 0; i < n; i++) {
      const v = a[i];
      if (f === "isAdv" ? v !== 0 && v !== 1 : f === "uncertainty" ? !Number.isFinite(v) : f !== "groups" && v < 0) {
        throw new Error(`${who}: '${f}'[${i}] = ${v} is not valid`);
      }
    }
  }
}

export function checkMatrix(m: Matrix, who: string): void {
  const { n, d, x } = m;
  if (!(Number.isInteger(n) && Number.isInteger(d) && n >= 1 && d >= 1)) throw new Error(`${who}: need n >= 1 rows and d >= 1 columns, got n ${n}, d ${d}`);
  if (x.length !== n * d) throw new Error(`${who}: ${x.length} values for ${n} x ${d}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${who}: feature [row ${Math.floor(i / d)}, col ${i % d}] is ${x[i]}`);
  }
}

/** Both classes present in `isAdv`; the detector cannot learn from one. */
export function checkBothClasses(isAdv: Uint8Array, who: string): void {
  let pos = 0;
  for (const v of isAdv) pos += v;
  if (pos === 0 || pos === isAdv.length) throw new Error(`${who}: training needs both clean and adversarial rows (${pos} of ${isAdv.length} adversarial)`);
}

export function checkSameWidth(a: Matrix, b: Matrix, who: string): void {
  if (a.d !== b.d) throw new Error(`${who}: fitted on ${a.d} features, given ${b.d}`);
}

/** Rows `idx` of a set, annotations included. */
export function selectRows(set: FeatureSet, idx: ArrayLike<number>): FeatureSet {
  const { d } = set;
  const x = new (set.x instanceof Float64Array ? Float64Array : Float32Array)(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(Number.isInteger(i) && i >= 0 && i < set.n)) throw new Error(`selectRows: row ${i} outside 0..${set.n - 1}`);
    x.set(set.x.subarray(i * d, i * d + d), r * d);
  }
  const pick = <T extends Int32Array | Uint8Array | Float32Array | Float64Array>(a: T | undefined): T | undefined => {
    if (!a) return undefined;
    const out = new (a.constructor as new (n: number) => T)(idx.length);
    for (let r = 0; r < idx.length; r++) out[r] = a[idx[r]];
    return out;
  };
  return { x, n: idx.length, d, labels: pick(set.labels), predicted: pick(set.predicted), isAdv: pick(set.isAdv), groups: pick(set.groups), uncertainty: pick(set.uncertainty) };
}

/** Rows of a then rows of b; an annotation survives only if both sets carry it. */
export function concatSets(a: FeatureSet, b: FeatureSet): FeatureSet {
  checkSameWidth(a, b, "concatSets");
  const x = new Float64Array((a.n + b.n) * a.d);
  x.set(a.x);
  x.set(b.x, a.n * a.d);
  const cat = <T extends Int32Array | Uint8Array | Float32Array | Float64Array>(p: T | undefined, q: T | undefined): T | undefined => {
    if (!p || !q) return undefined;
    const out = new (p.constructor as new (n: number) => T)(p.length + q.length);
    out.set(p as never);
    out.set(q as never, p.length);
    return out;
  };
  return { x, n: a.n + b.n, d: a.d, labels: cat(a.labels, b.labels), predicted: cat(a.predicted, b.predicted), isAdv: cat(a.isAdv, b.isAdv), groups: cat(a.groups, b.groups), uncertainty: cat(a.uncertainty, b.uncertainty) };
}

/** Row i as a plain array, for the libraries that want number[][]. */
export function toRows(m: Matrix): number[][] {
  return Array.from({ length: m.n }, (_, i) => Array.from(m.x.subarray(i * m.d, i * m.d + m.d)));
}

/** Indices of the rows with isAdv === value. */
export function rowsWhere(isAdv: Uint8Array, value: 0 | 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < isAdv.length; i++) if (isAdv[i] === value) out.push(i);
  return out;
}

/**
 * Carves a validation split out of a training split (for KD's bandwidth): whole groups go to
 * one side (a clean image and its adversarial versions stay together), seeded.
 */
export function carveValidation(train: FeatureSet, fraction = 0.2, seed = 0): { fit: FeatureSet; val: FeatureSet } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`carveValidation: fraction must be in (0, 1), got ${fraction}`);
  const groupOf = (i: number) => (train.groups ? train.groups[i] : i);
  const ids = [...new Set(Array.from({ length: train.n }, (_, i) => groupOf(i)))].sort((a, b) => a - b);
  const r = rng(seed);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  const valIds = new Set(ids.slice(0, Math.max(1, Math.round(ids.length * fraction))));
  const fit: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < train.n; i++) (valIds.has(groupOf(i)) ? val : fit).push(i);
  if (fit.length === 0) throw new Error("carveValidation: nothing left to fit on");
  return { fit: selectRows(train, fit), val: selectRows(train, val) };
}
