/**
 * KD (Feinman et al. 2017, "Detecting adversarial samples from artifacts"): a Gaussian kernel
 * density per true class, fitted on the clean training rows' features (z-scored with the
 * training statistics); a sample's statistic is its log-density under the KDE of the class the
 * model predicts for it. Adversarial samples land off the class's data manifold: low density.
 */
import { rocAuc } from "../train/metrics";
import { logSumExp, sqDist } from "./linalg";
import type { LogisticOptions } from "./logistic";
import { Scaler } from "./scale";
import { StatisticDetector } from "./statistic";
import { checkMatrix, checkSameWidth, checkSet, concatSets, rowsWhere, selectRows, type FeatureSet, type Fields, type Matrix } from "./types";

/**
 * Gaussian KDE log-density of each query row under the reference rows (sklearn's
 * KernelDensity(kernel = "gaussian") score_samples):
 *   log p(q) = logsumexp_j(-||q - x_j||² / (2 h²)) - log m - (d / 2) log(2 π h²),
 * m the number of reference rows used. `skip(i, j)` drops reference row j for query i
 * (leave-one-out); a query with nothing left throws.
 */
export function kdeLogDensity(ref: Matrix, queries: Matrix, bandwidth: number, skip?: (i: number, j: number) => boolean): Float64Array {
  checkMatrix(ref, "kdeLogDensity (reference)");
  checkMatrix(queries, "kdeLogDensity (queries)");
  checkSameWidth(ref, queries, "kdeLogDensity");
  if (!(bandwidth > 0)) throw new Error(`kdeLogDensity: bandwidth must be > 0, got ${bandwidth}`);
  const out = new Float64Array(queries.n);
  for (let i = 0; i < queries.n; i++) out[i] = kdeRow(ref, queries.x, i, bandwidth, skip && ((j) => skip(i, j)));
  return out;
}

/** One query row (row i of qx), unchecked. */
function kdeRow(ref: Matrix, qx: ArrayLike<number>, i: number, bandwidth: number, skip?: (j: number) => boolean): number {
  const { d } = ref;
  const terms = new Float64Array(ref.n);
  let m = 0;
  for (let j = 0; j < ref.n; j++) {
    if (skip?.(j)) continue;
    terms[m++] = -sqDist(qx, i, ref.x, j, d) / (2 * bandwidth * bandwidth);
  }
  if (m === 0) throw new Error(`kdeLogDensity: query ${i} has no reference rows left`);
  return logSumExp(terms, m) - Math.log(m) - (d / 2) * Math.log(2 * Math.PI * bandwidth * bandwidth);
}

export interface KdOptions {
  /** Kernel bandwidth in z-scored feature units. Default 1.0 (the authors' scripts). */
  readonly bandwidth?: number;
  /** z-score the features with the training statistics first (default true). */
  readonly standardize?: boolean;
  readonly lr?: LogisticOptions;
}

interface ClassRef {
  readonly x: Float64Array;
  readonly n: number;
  readonly d: number;
  /** Index of each reference row in the training set (for leave-one-out). */
  readonly row: Int32Array;
  readonly group?: Int32Array;
}

export class KernelDensityDetector extends StatisticDetector {
  readonly name = "KD";
  protected readonly needs: readonly Fields[] = ["predicted"];
  readonly bandwidth: number;
  readonly standardize: boolean;
  private scaler?: Scaler;
  private refs = new Map<number, ClassRef>();
  private d = 0;

  constructor(options: KdOptions = {}) {
    super(options.lr);
    this.bandwidth = options.bandwidth ?? 1.0;
    this.standardize = options.standardize ?? true;
    if (!(this.bandwidth > 0)) throw new Error(`KD: bandwidth must be > 0, got ${this.bandwidth}`);
  }

  protected fitStatistic(train: FeatureSet, leak?: FeatureSet): Matrix {
    checkSet(train, "KD.fit", ["labels"]);
    if (leak) checkSet(leak, "KD.fit (leak)", ["labels"]);
    // The authors' KDEs (and scaler) also saw the scored rows; ours see the clean training rows only.
    const pool = leak ? concatSets(train, leak) : train;
    const clean = selectRows(pool, rowsWhere(pool.isAdv!, 0));
    this.d = train.d;
    this.scaler = Scaler.fit(this.standardize ? "zscore" : "none", leak ? pool : clean);
    const z = this.scaler.transform(clean);
    const cleanRows = rowsWhere(pool.isAdv!, 0);
    const byClass = new Map<number, number[]>();
    for (let r = 0; r < clean.n; r++) {
      const c = clean.labels![r];
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)!.push(r);
    }
    this.refs.clear();
    for (const [c, rows] of byClass) {
      const x = new Float64Array(rows.length * this.d);
      rows.forEach((r, k) => x.set(z.subarray(r * this.d, (r + 1) * this.d), k * this.d));
      this.refs.set(c, {
        x,
        n: rows.length,
        d: this.d,
        row: Int32Array.from(rows, (r) => cleanRows[r]),
        group: clean.groups ? Int32Array.from(rows, (r) => clean.groups![r]) : undefined,
      });
    }
    // Leave-one-out: a clean training row must not find itself in its class's KDE (and, given
    // groups, an adversarial row not its own clean source), as no test row does.
    return this.logDensity(train, leak ? undefined : (i, ref, j) => ref.row[j] === i || (ref.group !== undefined && train.groups![i] === ref.group[j]));
  }

  statistic(set: FeatureSet): Matrix {
    return this.logDensity(set);
  }

  /** Log-density of each row under the KDE of its predicted class (n x 1). */
  logDensity(set: FeatureSet, skip?: (i: number, ref: ClassRef, j: number) => boolean): Matrix {
    if (!this.scaler) throw new Error("KD: call fit first");
    checkSet(set, "KD", ["predicted"]);
    if (set.d !== this.d) throw new Error(`KD: fitted on ${this.d} features, given ${set.d}`);
    const z = this.scaler.transform(set);
    const out = new Float64Array(set.n);
    for (let i = 0; i < set.n; i++) {
      const c = set.predicted![i];
      const ref = this.refs.get(c);
      if (!ref) throw new Error(`KD: row ${i} is predicted as class ${c}, which has no clean training rows (empty class)`);
      out[i] = kdeRow(ref, z, i, this.bandwidth, skip && ((j) => skip(i, ref, j)));
    }
    return { x: out, n: set.n, d: 1 };
  }

  /**
   * Picks the bandwidth with the best validation AUC of -log-density: fits on `fit`, scores
   * `val`; both carved from the training split (see carveValidation), never the test split.
   */
  static selectBandwidth(candidates: readonly number[], fit: FeatureSet, val: FeatureSet, options: Omit<KdOptions, "bandwidth"> = {}): { bandwidth: number; aucs: number[] } {
    if (candidates.length === 0) throw new Error("KD.selectBandwidth: no candidates");
    checkSet(val, "KD.selectBandwidth (validation)", ["isAdv", "predicted"]);
    const aucs = candidates.map((h) => {
      const kd = new KernelDensityDetector({ ...options, bandwidth: h }).fit(fit);
      return rocAuc(val.isAdv!, kd.statistic(val).x.map((v) => -v));
    });
    let best = 0;
    for (let i = 1; i < aucs.length; i++) if (aucs[i] > aucs[best]) best = i;
    return { bandwidth: candidates[best], aucs };
  }
}
