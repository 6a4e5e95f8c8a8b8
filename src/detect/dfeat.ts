/**
 * DFeat: a random forest on the raw deep features (the authors: sklearn, 30 trees), via
 * ml-random-forest. Score = the fraction of trees voting "adversarial".
 *
 * ml-random-forest draws its feature subset once per tree (sklearn draws one per split), and
 * its CART evaluates every threshold, which is slow on 128-d features: 30 trees on 800 x 128
 * take over a minute with all features. The default per-tree subset is therefore round(sqrt(d))
 * features (sklearn's count, per tree), with bootstrap row sampling as sklearn's default.
 */
import { RandomForestClassifier } from "ml-random-forest";
import { checkBothClasses, checkSet, toRows, type Detector, type FeatureSet } from "./types";
import { checkWhole } from "../config/check";

export interface DFeatOptions {
  /** Trees (default 30, as the authors). */
  readonly nEstimators?: number;
  /** Features per tree: a count, a fraction in (0, 1), or "sqrt" (default). */
  readonly maxFeatures?: number | "sqrt";
  readonly maxDepth?: number;
  readonly seed?: number;
}

export class DFeatDetector implements Detector {
  readonly name = "DFeat";
  readonly options: Required<DFeatOptions>;
  private forest?: RandomForestClassifier;
  private d = 0;

  constructor(options: DFeatOptions = {}) {
    this.options = { nEstimators: 30, maxFeatures: "sqrt", maxDepth: Infinity, seed: 0, ...options };
    checkWhole(this.options.nEstimators, "DFeat: nEstimators", 1);
  }

  /** DFeat has no unsupervised statistic the authors could leak; `leak` is ignored. */
  fit(train: FeatureSet, _leak?: FeatureSet): this {
    checkSet(train, "DFeat.fit", ["isAdv"]);
    checkBothClasses(train.isAdv!, "DFeat.fit");
    const { maxFeatures } = this.options;
    const m = maxFeatures === "sqrt" ? Math.max(1, Math.round(Math.sqrt(train.d))) : maxFeatures;
    // ml-random-forest reads 1 as "all features" (a fraction), so a single feature is d = 1 only.
    if (!(m > 0 && (m < 1 || (Number.isInteger(m) && m <= train.d)))) throw new Error(`DFeat: maxFeatures ${maxFeatures} is not a fraction in (0, 1) or a count in 1..${train.d}`);
    this.d = train.d;
    this.forest = new RandomForestClassifier({
      nEstimators: this.options.nEstimators,
      maxFeatures: m,
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      seed: this.options.seed,
      treeOptions: { maxDepth: this.options.maxDepth },
    });
    this.forest.train(toRows(train), Array.from(train.isAdv!));
    return this;
  }

  /** Fraction of trees voting adversarial (the library's predictProbability skips a tree). */
  score(set: FeatureSet): Float64Array {
    if (!this.forest) throw new Error("DFeat: call fit first");
    checkSet(set, "DFeat.score");
    if (set.d !== this.d) throw new Error(`DFeat: fitted on ${this.d} features, given ${set.d}`);
    const votes = this.forest.predictionValues(toRows(set));
    return Float64Array.from({ length: set.n }, (_, i) => {
      let s = 0;
      for (let t = 0; t < votes.columns; t++) s += votes.get(i, t);
      return s / votes.columns;
    });
  }
}
