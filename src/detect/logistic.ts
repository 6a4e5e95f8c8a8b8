/**
 * L2-regularised logistic regression for the few statistics KD, LID, BU and Mahalanobis produce,
 * fitted by Newton's method (IRLS) with step halving. Objective, on scaled inputs z:
 *   sum_i [log(1 + exp(eta_i)) - y_i eta_i] + (l2 / 2) ||w||²,  eta_i = b + w·z_i,
 * the intercept unpenalised: sklearn's LogisticRegression with C = 1 / l2.
 */
import { choleskySolve, cholesky } from "./linalg";
import { Scaler, type ScaleKind } from "./scale";
import { checkMatrix, type Matrix } from "./types";

export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercept). Default 1 (sklearn's C = 1). */
  readonly l2?: number;
  /** Input scaling fitted on the training rows. Default "zscore" (Feinman et al.; Ma et al. used "minmax"). */
  readonly scale?: ScaleKind;
  readonly maxIter?: number;
  /** Stop when no parameter moves more than this. */
  readonly tol?: number;
}

export class LogisticRegression {
  readonly l2: number;
  readonly scaleKind: ScaleKind;
  readonly maxIter: number;
  readonly tol: number;
  private scaler?: Scaler;
  /** [b, w_1..w_d] in scaled units. */
  private theta?: Float64Array;
  /** Newton iterations the last fit took. */
  iterations = 0;

  constructor(options: LogisticOptions = {}) {
    this.l2 = options.l2 ?? 1;
    this.scaleKind = options.scale ?? "zscore";
    this.maxIter = options.maxIter ?? 100;
    this.tol = options.tol ?? 1e-8;
    if (!(this.l2 >= 0)) throw new Error(`LogisticRegression: l2 must be >= 0, got ${this.l2}`);
  }

  /**
   * Fits on rows x with targets y in {0, 1}. `scaleWith`, when given, is what the scaler is
   * fitted on instead of x (the authors' leak: a scaler fitted on all data).
   */
  fit(x: Matrix, y: ArrayLike<number>, scaleWith?: Matrix): this {
    checkMatrix(x, "LogisticRegression.fit");
    const { n, d } = x;
    if (y.length !== n) throw new Error(`LogisticRegression.fit: ${n} rows but ${y.length} targets`);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] !== 0 && y[i] !== 1) throw new Error(`LogisticRegression.fit: target ${i} is ${y[i]}, not 0 or 1`);
      pos += y[i];
    }
    if (pos === 0 || pos === n) throw new Error("LogisticRegression.fit: targets need both 0 and 1");
    this.scaler = Scaler.fit(this.scaleKind, scaleWith ?? x);
    const z = this.scaler.transform(x);
    const p = d + 1;
    const theta = new Float64Array(p);
    theta[0] = Math.log(pos / (n - pos)); // start at the base rate
    const objective = (t: Float64Array) => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        const eta = linear(t, z, i, d);
        f += softplus(eta) - y[i] * eta;
      }
      for (let j = 1; j < p; j++) f += 0.5 * this.l2 * t[j] * t[j];
      return f;
    };
    let f = objective(theta);
    this.iterations = 0;
    for (let it = 0; it < this.maxIter; it++) {
      this.iterations = it + 1;
      const g = new Float64Array(p);
      const h = new Float64Array(p * p);
      for (let i = 0; i < n; i++) {
        const mu = sigmoid(linear(theta, z, i, d));
        const r = mu - y[i];
        const w = Math.max(mu * (1 - mu), 1e-12);
        for (let a = 0; a < p; a++) {
          const za = a === 0 ? 1 : z[i * d + a - 1];
          g[a] += r * za;
          for (let b = 0; b <= a; b++) h[a * p + b] += w * za * (b === 0 ? 1 : z[i * d + b - 1]);
        }
      }
      for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) h[b * p + a] = h[a * p + b];
      for (let j = 1; j < p; j++) {
        g[j] += this.l2 * theta[j];
        h[j * p + j] += this.l2;
      }
      for (let j = 0; j < p; j++) h[j * p + j] += 1e-10; // keeps a separable, unpenalised fit solvable
      const step = choleskySolve(cholesky(h, p, "LogisticRegression"), p, g);
      // Step halving: Newton can overshoot far from the optimum (or diverge on separable data).
      let scale = 1;
      let next = theta;
      let fNext = Infinity;
      for (let k = 0; k < 30; k++, scale /= 2) {
        next = theta.map((t, j) => t - scale * step[j]);
        fNext = objective(next);
        if (fNext <= f) break;
      }
      if (!(fNext <= f)) break;
      let moved = 0;
      for (let j = 0; j < p; j++) moved = Math.max(moved, Math.abs(next[j] - theta[j]));
      theta.set(next);
      f = fNext;
      if (moved < this.tol) break;
    }
    this.theta = theta;
    return this;
  }

  /** b + w·z per row (log-odds of class 1). */
  decisionFunction(x: Matrix): Float64Array {
    if (!this.theta || !this.scaler) throw new Error("LogisticRegression: call fit first");
    checkMatrix(x, "LogisticRegression");
    const z = this.scaler.transform(x);
    return Float64Array.from({ length: x.n }, (_, i) => linear(this.theta!, z, i, x.d));
  }

  /** P(y = 1) per row. */
  predictProba(x: Matrix): Float64Array {
    return this.decisionFunction(x).map(sigmoid);
  }

  /** Intercept and weights in the units of the unscaled inputs: log-odds = intercept + weights·x. */
  coefficients(): { intercept: number; weights: Float64Array } {
    if (!this.theta || !this.scaler) throw new Error("LogisticRegression: call fit first");
    const { offset, scale } = this.scaler;
    const weights = Float64Array.from(offset, (_, j) => this.theta![j + 1] / scale[j]);
    let intercept = this.theta[0];
    for (let j = 0; j < weights.length; j++) intercept -= weights[j] * offset[j];
    return { intercept, weights };
  }
}

function linear(t: Float64Array, z: Float64Array, i: number, d: number): number {
  let s = t[0];
  for (let j = 0; j < d; j++) s += t[j + 1] * z[i * d + j];
  return s;
}

export function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

/** log(1 + exp(t)), stable for large |t|. */
function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}
