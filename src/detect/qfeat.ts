/**
 * QFeat (SafetyNet-style, Lu et al. 2017, as the authors built it): each deep feature binarised
 * at its mean over the TRAINING rows, then an RBF SVM (gamma 2.8, C = 1, the authors' setting)
 * trained by libsvm (libsvm-js, asm build).
 *
 * Score = the SVM decision value f(x) = sum_i α_i y_i exp(-γ ||x - sv_i||²) - ρ, signed so that
 * higher = adversarial, evaluated from the trained model libsvm serialises. libsvm-js returns
 * only labels or Platt probabilities, and the Platt fit draws libsvm's unseeded rand(), so two
 * fits on the same data would score differently; the decision value is deterministic and ranks
 * the same way (Platt scaling is monotone).
 */
import { checkBothClasses, checkSet, concatSets, toRows, type Detector, type FeatureSet, type Matrix } from "./types";

interface Svm {
  train(samples: number[][], labels: number[]): void;
  serializeModel(): string;
  free(): void;
}
interface SvmClass {
  new (options: Record<string, unknown>): Svm;
  readonly SVM_TYPES: { C_SVC: string };
  readonly KERNEL_TYPES: { RBF: string };
}
let svmClass: SvmClass | undefined;
/** libsvm-js/asm is synchronous but untyped; loaded on first use. */
function loadSvm(): SvmClass {
  return (svmClass ??= require("libsvm-js/asm") as SvmClass);
}

/** A trained two-class RBF SVM, read back from libsvm's model text. */
export interface RbfSvmModel {
  readonly gamma: number;
  readonly rho: number;
  /** libsvm's label order: the decision value is positive for labels[0]. */
  readonly labels: readonly number[];
  /** α_i y_i per support vector. */
  readonly coef: Float64Array;
  /** Support vectors, nSV x d row-major. */
  readonly sv: Float64Array;
  readonly d: number;
}

export function parseRbfSvm(text: string, d: number): RbfSvmModel {
  const lines = text.split("\n");
  const header = new Map<string, string>();
  let i = 0;
  for (; i < lines.length && lines[i].trim() !== "SV"; i++) {
    const [key, ...rest] = lines[i].trim().split(/\s+/);
    header.set(key, rest.join(" "));
  }
  if (header.get("kernel_type") !== "rbf" || header.get("nr_class") !== "2") throw new Error(`QFeat: expected a two-class RBF model, got ${header.get("kernel_type")} with ${header.get("nr_class")} classes`);
  const rows = lines.slice(i + 1).map((l) => l.trim()).filter((l) => l.length > 0);
  const coef = new Float64Array(rows.length);
  const sv = new Float64Array(rows.length * d);
  rows.forEach((row, r) => {
    const [c, ...nodes] = row.split(/\s+/);
    coef[r] = Number(c);
    for (const node of nodes) {
      const [index, value] = node.split(":");
      sv[r * d + Number(index) - 1] = Number(value); // libsvm indices are 1-based; absent = 0
    }
  });
  return { gamma: Number(header.get("gamma")), rho: Number(header.get("rho")), labels: (header.get("label") ?? "").split(" ").map(Number), coef, sv, d };
}

export interface QFeatOptions {
  readonly gamma?: number;
  readonly cost?: number;
}

export class QFeatDetector implements Detector {
  readonly name = "QFeat";
  readonly gamma: number;
  readonly cost: number;
  /** Per-feature binarisation thresholds. */
  threshold?: Float64Array;
  model?: RbfSvmModel;

  constructor(options: QFeatOptions = {}) {
    this.gamma = options.gamma ?? 2.8;
    this.cost = options.cost ?? 1;
    if (!(this.gamma > 0 && this.cost > 0)) throw new Error(`QFeat: gamma and cost must be > 0, got ${this.gamma}, ${this.cost}`);
  }

  /** `leak`: the authors' thresholds were means over all data, scored rows included. */
  fit(train: FeatureSet, leak?: FeatureSet): this {
    checkSet(train, "QFeat.fit", ["isAdv"]);
    checkBothClasses(train.isAdv!, "QFeat.fit");
    const pool = leak ? concatSets(train, leak) : train;
    const t = new Float64Array(train.d);
    for (let i = 0; i < pool.n; i++) for (let j = 0; j < pool.d; j++) t[j] += pool.x[i * pool.d + j] / pool.n;
    this.threshold = t;
    const SVM = loadSvm();
    const svm = new SVM({ type: SVM.SVM_TYPES.C_SVC, kernel: SVM.KERNEL_TYPES.RBF, gamma: this.gamma, cost: this.cost, quiet: true });
    try {
      svm.train(toRows(this.binarise(train)), Array.from(train.isAdv!));
      this.model = parseRbfSvm(svm.serializeModel(), train.d);
    } finally {
      svm.free(); // the asm heap is not garbage collected
    }
    return this;
  }

  /** 1 where a feature exceeds its training mean, else 0. */
  binarise(set: Matrix): Matrix {
    if (!this.threshold) throw new Error("QFeat: call fit first");
    if (set.d !== this.threshold.length) throw new Error(`QFeat: fitted on ${this.threshold.length} features, given ${set.d}`);
    const x = new Float64Array(set.n * set.d);
    for (let i = 0; i < x.length; i++) x[i] = set.x[i] > this.threshold[i % set.d] ? 1 : 0;
    return { x, n: set.n, d: set.d };
  }

  /** Decision value towards "adversarial". */
  score(set: FeatureSet): Float64Array {
    const m = this.model;
    if (!m) throw new Error("QFeat: call fit first");
    checkSet(set, "QFeat.score");
    const b = this.binarise(set);
    const sign = m.labels[0] === 1 ? 1 : -1;
    const nSv = m.coef.length;
    return Float64Array.from({ length: set.n }, (_, i) => {
      let f = -m.rho;
      for (let s = 0; s < nSv; s++) {
        let dist = 0;
        for (let j = 0; j < m.d; j++) dist += (b.x[i * m.d + j] - m.sv[s * m.d + j]) ** 2;
        f += m.coef[s] * Math.exp(-m.gamma * dist);
      }
      return sign * f;
    });
  }
}
