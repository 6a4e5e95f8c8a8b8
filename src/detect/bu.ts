/**
 * BU, Bayesian uncertainty (Feinman et al. 2017): the model is run T times with dropout on (the
 * authors: T = 50); a sample's uncertainty is the variance of the predicted class probabilities
 * across passes, averaged over classes. Adversarial samples tend to be more uncertain. The
 * caller computes it (it needs the model); the detector only fits a logistic regression on it.
 */
import type { LogisticOptions } from "./logistic";
import { StatisticDetector } from "./statistic";
import type { FeatureSet, Fields, Matrix } from "./types";
import { checkWhole } from "../config/check";

/**
 * mean_c Var_t p_t(c | x) per sample, population variance (numpy's var), from T passes each of
 * n x classes probabilities (row-major).
 */
export function mcDropoutUncertainty(probsPerPass: readonly (Float32Array | Float64Array)[], n: number, classes: number): Float64Array {
  const T = probsPerPass.length;
  if (T < 2) throw new Error(`mcDropoutUncertainty: need at least 2 passes, got ${T}`);
  checkWhole(n, "mcDropoutUncertainty: n", 1);
  checkWhole(classes, "mcDropoutUncertainty: classes", 1);
  probsPerPass.forEach((p, t) => {
    if (p.length !== n * classes) throw new Error(`mcDropoutUncertainty: pass ${t} has ${p.length} values, expected ${n} x ${classes}`);
  });
  const out = new Float64Array(n);
  for (let k = 0; k < n * classes; k++) {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += probsPerPass[t][k] / T;
    let v = 0;
    for (let t = 0; t < T; t++) v += (probsPerPass[t][k] - mean) ** 2 / T;
    if (!Number.isFinite(v)) throw new Error(`mcDropoutUncertainty: non-finite probability at sample ${Math.floor(k / classes)}`);
    out[Math.floor(k / classes)] += v / classes;
  }
  return out;
}

export interface BuOptions {
  readonly lr?: LogisticOptions;
}

/** Reads `set.uncertainty`; the features themselves are unused. */
export class BayesianUncertaintyDetector extends StatisticDetector {
  readonly name = "BU";
  protected readonly needs: readonly Fields[] = ["uncertainty"];

  constructor(options: BuOptions = {}) {
    super(options.lr);
  }

  protected fitStatistic(train: FeatureSet): Matrix {
    return this.statistic(train);
  }

  statistic(set: FeatureSet): Matrix {
    return { x: Float64Array.from(set.uncertainty!), n: set.n, d: 1 };
  }
}
