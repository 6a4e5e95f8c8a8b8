/**
 * Mahalanobis detector (beyond the paper; Lee et al. 2018 without input preprocessing): class
 * means and one tied covariance from the clean training rows,
 *   Σ = 1/(n - C) sum_i (x_i - μ_{y_i})(x_i - μ_{y_i})ᵀ + ridge * (tr Σ / d) I,
 * the ridge keeping dead (constant) features invertible. Statistic: the Mahalanobis distance
 * sqrt((x - μ_c)ᵀ Σ⁻¹ (x - μ_c)) to the predicted class c, or the minimum over classes.
 */
import { cholesky, forwardSolve } from "./linalg";
import type { LogisticOptions } from "./logistic";
import { StatisticDetector } from "./statistic";
import { checkSet, concatSets, rowsWhere, selectRows, type FeatureSet, type Fields, type Matrix } from "./types";

export interface MahalanobisOptions {
  /** "predicted": distance to the predicted class (needs `predicted`); "min": nearest class mean. */
  readonly mode?: "predicted" | "min";
  /** Relative ridge on the covariance diagonal (default 1e-3). */
  readonly ridge?: number;
  readonly lr?: LogisticOptions;
}

/** Class means and the Cholesky factor of the tied covariance. */
export class GaussianClasses {
  private constructor(
    readonly means: Map<number, Float64Array>,
    /** Lower Cholesky factor of Σ (+ ridge). */
    readonly chol: Float64Array,
    readonly d: number,
  ) {}

  static fit(x: Matrix, labels: Int32Array, ridge: number): GaussianClasses {
    const { n, d } = x;
    const idx = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      if (!idx.has(labels[i])) idx.set(labels[i], []);
      idx.get(labels[i])!.push(i);
    }
    if (n - idx.size < 1) throw new Error(`Mahalanobis: ${n} clean rows for ${idx.size} classes leave no degrees of freedom for a covariance`);
    const means = new Map<number, Float64Array>();
    for (const [c, rows] of idx) {
      const mu = new Float64Array(d);
      for (const i of rows) for (let j = 0; j < d; j++) mu[j] += x.x[i * d + j] / rows.length;
      means.set(c, mu);
    }
    const cov = new Float64Array(d * d);
    const z = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const mu = means.get(labels[i])!;
      for (let j = 0; j < d; j++) z[j] = x.x[i * d + j] - mu[j];
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += (z[a] * z[b]) / (n - idx.size);
    }
    let trace = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) cov[b * d + a] = cov[a * d + b];
      trace += cov[a * d + a];
    }
    const add = ridge * (trace > 0 ? trace / d : 1);
    for (let a = 0; a < d; a++) cov[a * d + a] += add;
    return new GaussianClasses(means, cholesky(cov, d, "Mahalanobis covariance"), d);
  }

  /** Mahalanobis distance from row i of x to the mean of class c: ||L⁻¹ (x - μ_c)||. */
  distance(x: ArrayLike<number>, i: number, c: number): number {
    const mu = this.means.get(c);
    if (!mu) throw new Error(`Mahalanobis: class ${c} has no clean training rows (empty class)`);
    const z = Float64Array.from(mu, (m, j) => x[i * this.d + j] - m);
    forwardSolve(this.chol, this.d, z);
    let s = 0;
    for (const v of z) s += v * v;
    return Math.sqrt(s);
  }
}

export class MahalanobisDetector extends StatisticDetector {
  readonly name = "Mahalanobis";
  readonly mode: "predicted" | "min";
  readonly ridge: number;
  protected readonly needs: readonly Fields[];
  model?: GaussianClasses;

  constructor(options: MahalanobisOptions = {}) {
    super(options.lr);
    this.mode = options.mode ?? "predicted";
    this.ridge = options.ridge ?? 1e-3;
    this.needs = this.mode === "predicted" ? ["predicted"] : [];
    if (!(this.ridge >= 0)) throw new Error(`Mahalanobis: ridge must be >= 0, got ${this.ridge}`);
  }

  protected fitStatistic(train: FeatureSet, leak?: FeatureSet): Matrix {
    checkSet(train, "Mahalanobis.fit", ["labels"]);
    if (leak) checkSet(leak, "Mahalanobis.fit (leak)", ["labels"]);
    const pool = leak ? concatSets(train, leak) : train;
    const clean = selectRows(pool, rowsWhere(pool.isAdv!, 0));
    this.model = GaussianClasses.fit(clean, clean.labels!, this.ridge);
    return this.statistic(train);
  }

  statistic(set: FeatureSet): Matrix {
    const m = this.model;
    if (!m) throw new Error("Mahalanobis: call fit first");
    if (set.d !== m.d) throw new Error(`Mahalanobis: fitted on ${m.d} features, given ${set.d}`);
    const out = Float64Array.from({ length: set.n }, (_, i) => {
      if (this.mode === "predicted") return m.distance(set.x, i, set.predicted![i]);
      let best = Infinity;
      for (const c of m.means.keys()) best = Math.min(best, m.distance(set.x, i, c));
      return best;
    });
    return { x: out, n: set.n, d: 1 };
  }
}
