/**
 * Classification metrics on plain arrays: accuracy, ROC AUC (binary; macro one-vs-rest for more
 * classes), confusion matrix, per-class precision/recall, and the majority-class baseline every
 * result is reported beside. ROC AUC is the Mann-Whitney statistic with tied scores counted
 * half, so it equals the area under the step ROC curve with ties drawn as diagonals.
 */

/** Row-wise softmax of logits (n x k, row-major). */
export function softmax(logits: Float32Array | number[], classes: number): Float32Array {
  const n = logits.length / classes;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[i * classes + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += out[i * classes + j] = Math.exp(logits[i * classes + j] - max);
    for (let j = 0; j < classes; j++) out[i * classes + j] /= sum;
  }
  return out;
}

export function argmaxRows(scores: Float32Array | number[], classes: number): Int32Array {
  const n = scores.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (scores[i * classes + j] > scores[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}

export function accuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  if (labels.length !== predictions.length) throw new Error(`accuracy: ${labels.length} labels but ${predictions.length} predictions`);
  if (labels.length === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) hit++;
  return hit / labels.length;
}

/**
 * Binary ROC AUC: P(score of a positive > score of a negative) + P(tie)/2. NaN when one class
 * is absent. O(n log n) via average ranks.
 */
export function rocAuc(isPositive: ArrayLike<boolean | number>, scores: ArrayLike<number>): number {
  const n = scores.length;
  if (isPositive.length !== n) throw new Error(`rocAuc: ${isPositive.length} labels but ${n} scores`);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`rocAuc: score ${i} is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (isPositive[order[k]]) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** ROC curve points (false positive rate, true positive rate), thresholds from high to low. */
export function rocCurve(isPositive: ArrayLike<boolean | number>, scores: ArrayLike<number>): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) P++;
  const N = n - P;
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      if (isPositive[order[j]]) tp++;
      else fp++;
      j++;
    }
    fpr.push(N ? fp / N : NaN);
    tpr.push(P ? tp / P : NaN);
    thresholds.push(scores[order[i]]);
    i = j;
  }
  return { fpr, tpr, thresholds };
}

/**
 * AUC of class probabilities: binary tasks use the positive class's (index 1) score; with more
 * classes, the unweighted mean of one-vs-rest AUCs over the classes present.
 */
export function multiclassAuc(labels: ArrayLike<number>, probs: Float32Array | number[], classes: number): number {
  const n = labels.length;
  if (probs.length !== n * classes) throw new Error(`multiclassAuc: expected ${n}x${classes} scores, got ${probs.length}`);
  const column = (c: number) => Float64Array.from({ length: n }, (_, i) => probs[i * classes + c]);
  if (classes === 2) return rocAuc(Array.from(labels, (y) => y === 1), column(1));
  const aucs: number[] = [];
  for (let c = 0; c < classes; c++) {
    const a = rocAuc(Array.from(labels, (y) => y === c), column(c));
    if (!Number.isNaN(a)) aucs.push(a);
  }
  return aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : NaN;
}

/** counts[true][predicted]. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = predictions[i];
    if (!(y >= 0 && y < classes && p >= 0 && p < classes)) throw new Error(`confusionMatrix: label ${y} / prediction ${p} outside 0..${classes - 1}`);
    m[y][p]++;
  }
  return m;
}

export interface ClassReport {
  readonly class: string;
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function perClass(confusion: number[][], classNames: readonly string[]): ClassReport[] {
  return confusion.map((row, c) => {
    const support = row.reduce((s, v) => s + v, 0);
    const predicted = confusion.reduce((s, r) => s + r[c], 0);
    const tp = row[c];
    const precision = predicted ? tp / predicted : NaN;
    const recall = support ? tp / support : NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
    return { class: classNames[c] ?? String(c), support, precision, recall, f1 };
  });
}

/** Accuracy of always answering the most frequent class of `reference` (e.g. the training labels) on `labels`. */
export function majorityBaseline(labels: ArrayLike<number>, reference: ArrayLike<number> = labels): { class: number; accuracy: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < reference.length; i++) counts.set(reference[i], (counts.get(reference[i]) ?? 0) + 1);
  let best = -1;
  let bestCount = -1;
  for (const [c, k] of [...counts.entries()].sort((a, b) => a[0] - b[0])) if (k > bestCount) [best, bestCount] = [c, k];
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === best) hit++;
  return { class: best, accuracy: labels.length ? hit / labels.length : NaN };
}

export interface Evaluation {
  readonly n: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly auc: number;
  readonly confusion: number[][];
  readonly perClass: ClassReport[];
  /** Majority class of the training labels, scored on these labels. */
  readonly majority: { class: number; accuracy: number };
}

/** Everything above from logits and true labels. */
export function evaluateLogits(logits: Float32Array, labels: ArrayLike<number>, classNames: readonly string[], trainLabels: ArrayLike<number> = labels): Evaluation {
  const k = classNames.length;
  const probs = softmax(logits, k);
  const pred = argmaxRows(logits, k);
  let loss = 0;
  for (let i = 0; i < labels.length; i++) loss -= Math.log(Math.max(probs[i * k + labels[i]], 1e-12));
  const confusion = confusionMatrix(labels, pred, k);
  return {
    n: labels.length,
    loss: loss / labels.length,
    accuracy: accuracy(labels, pred),
    auc: multiclassAuc(labels, probs, k),
    confusion,
    perClass: perClass(confusion, classNames),
    majority: majorityBaseline(labels, trainLabels),
  };
}

/**
 * The notebooks' bar for a model worth attacking: test accuracy at least 10 points above the
 * majority class, or (where one class dominates accuracy) AUC >= 0.75.
 */
export function clearlyBeatsMajority(e: Pick<Evaluation, "accuracy" | "auc" | "majority">): boolean {
  return e.accuracy - e.majority.accuracy >= 0.1 || e.auc >= 0.75;
}

/** Spearman rank correlation (average ranks for ties): does b rise or fall with a? */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) throw new Error(`spearman needs two equal-length series of at least 2 values, got ${a.length} and ${b.length}`);
  const ranks = (v: readonly number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db);
}
