/**
 * Detectors that reduce each sample to a few statistics (KD's log-density, Mahalanobis
 * distance, BU's uncertainty) and then, as in the papers, fit a logistic regression on them.
 */
import { LogisticRegression, type LogisticOptions } from "./logistic";
import { checkBothClasses, checkSet, type Detector, type FeatureSet, type Fields, type Matrix } from "./types";

export abstract class StatisticDetector implements Detector {
  abstract readonly name: string;
  readonly lr: LogisticRegression;
  /** True after `fit(train, leak)`: the statistic was fitted the authors' (leaky) way. */
  protected leaky = false;

  constructor(lr: LogisticOptions = {}) {
    this.lr = new LogisticRegression(lr);
  }

  /** Annotations `statistic` reads on every set (training rows also need isAdv). */
  protected abstract readonly needs: readonly Fields[];

  /**
   * Fits the statistic's own parameters (densities, means, ...) and returns the statistic of the
   * training rows, computed so a training row is treated as a test row would be (leave-out).
   */
  protected abstract fitStatistic(train: FeatureSet, leak?: FeatureSet): Matrix;

  /** The per-sample statistic (n x columns) of any set, after fit. */
  abstract statistic(set: FeatureSet): Matrix;

  fit(train: FeatureSet, leak?: FeatureSet): this {
    checkSet(train, `${this.name}.fit`, [...this.needs, "isAdv"]);
    checkBothClasses(train.isAdv!, `${this.name}.fit`);
    if (leak) checkSet(leak, `${this.name}.fit (leak)`, [...this.needs, "isAdv"]);
    this.leaky = leak !== undefined;
    const s = this.fitStatistic(train, leak);
    // The authors' scaler saw all the data, scored rows included.
    const scaleWith = leak ? stackMatrices(s, this.statistic(leak)) : undefined;
    this.lr.fit(s, train.isAdv!, scaleWith);
    return this;
  }

  score(set: FeatureSet): Float64Array {
    checkSet(set, `${this.name}.score`, this.needs);
    return this.lr.predictProba(this.statistic(set));
  }
}

/** Rows of a, then rows of b. */
export function stackMatrices(a: Matrix, b: Matrix): Matrix {
  const x = new Float64Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  return { x, n: a.n + b.n, d: a.d };
}
