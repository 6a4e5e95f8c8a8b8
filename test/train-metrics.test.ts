/** Metrics against hand-computed cases and brute force; schedules and class weights in closed form. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { accuracy, argmaxRows, classWeightsFor, clearlyBeatsMajority, confusionMatrix, evaluateLogits, learningRateAt, majorityBaseline, multiclassAuc, perClass, rocAuc, rocCurve, softmax, spearman, validateOptimizer } from "../src/train";
import { rng } from "../src/data/split";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** Pairwise definition: P(s+ > s-) + P(s+ = s-)/2. */
function bruteAuc(pos: boolean[], s: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) if (pos[i] && !pos[j]) {
    den++;
    num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
  }
  return num / den;
}

test("ROC AUC: hand-computed cases, ties counted half", () => {
  close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  close(rocAuc([0, 1], [0.5, 0.5]), 0.5);
  close(rocAuc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]), 1);
  close(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]), 0);
  // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
  close(rocAuc([1, 0, 0], [0.5, 0.5, 0.1]), 0.75);
  assert.ok(Number.isNaN(rocAuc([1, 1], [0.1, 0.2])), "one class only: undefined");
  assert.throws(() => rocAuc([1, 0], [0.1, NaN]), /NaN/);
});

test("ROC AUC equals the pairwise definition on random scores with many ties, and the ROC curve's area", () => {
  const r = rng(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + Math.floor(r() * 60);
    const pos = Array.from({ length: n }, () => r() < 0.4);
    if (!pos.includes(true) || !pos.includes(false)) continue;
    const s = Array.from({ length: n }, () => Math.round(r() * 6) / 6); // coarse: many ties
    const auc = rocAuc(pos, s);
    close(auc, bruteAuc(pos, s), 1e-12);
    const { fpr, tpr } = rocCurve(pos, s);
    let area = 0; // trapezoids: ties become diagonal segments
    for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
    close(area, auc, 1e-12);
  }
});

test("multi-class AUC is the mean one-vs-rest AUC; binary uses class 1's score", () => {
  const labels = [0, 1, 2, 0, 1, 2];
  const probs = [0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7, 0.3, 0.3, 0.4, 0.5, 0.4, 0.1, 0.1, 0.1, 0.8];
  const ovr = [0, 1, 2].map((c) => rocAuc(labels.map((y) => y === c), labels.map((_, i) => probs[i * 3 + c])));
  close(multiclassAuc(labels, probs, 3), (ovr[0] + ovr[1] + ovr[2]) / 3);
  close(multiclassAuc([0, 1, 1], [0.9, 0.1, 0.4, 0.6, 0.3, 0.7], 2), 1);
});

test("confusion matrix, per-class precision/recall, accuracy, majority baseline", () => {
  const y = [0, 0, 0, 1, 1, 2];
  const p = [0, 1, 0, 1, 2, 2];
  const m = confusionMatrix(y, p, 3);
  assert.deepEqual(m, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  const rep = perClass(m, ["a", "b", "c"]);
  close(rep[0].recall, 2 / 3);
  close(rep[0].precision, 1);
  close(rep[1].precision, 0.5);
  close(rep[2].precision, 0.5);
  close(rep[2].f1, 2 / 3);
  close(accuracy(y, p), 4 / 6);
  assert.deepEqual(majorityBaseline([1, 1, 0], [0, 0, 0, 1]), { class: 0, accuracy: 1 / 3 });
  assert.throws(() => confusionMatrix([3], [0], 3), /outside 0\.\.2/);
  assert.throws(() => accuracy([1, 2], [1]), /2 labels but 1 predictions/);
});

test("softmax / argmax / evaluateLogits: loss is the mean cross-entropy", () => {
  const logits = new Float32Array([2, 0, 0, 1, 3, 3]);
  const pr = softmax(logits, 2);
  close(pr[0], Math.exp(2) / (Math.exp(2) + 1), 1e-6);
  close(pr[4] + pr[5], 1, 1e-6);
  assert.deepEqual(Array.from(argmaxRows(logits, 2)), [0, 1, 0]);
  const e = evaluateLogits(logits, [0, 1, 1], ["n", "p"]);
  const ce = -(Math.log(pr[0]) + Math.log(pr[3]) + Math.log(pr[5])) / 3;
  close(e.loss, ce, 1e-6);
  close(e.accuracy, 2 / 3);
  assert.equal(e.n, 3);
});

test("learning-rate schedule: linear warm-up, cosine to 1% of lr, constant", () => {
  const c = { kind: "adam" as const, lr: 0.1, schedule: "cosine" as const, warmup: 0.1 };
  close(learningRateAt(c, 0, 100), 0.01);
  close(learningRateAt(c, 9, 100), 0.1);
  close(learningRateAt(c, 10, 100), 0.1);
  close(learningRateAt(c, 99, 100), 0.001);
  close(learningRateAt(c, 10 + 89 / 2, 100), 0.1 * (0.01 + 0.99 * 0.5), 1e-12);
  close(learningRateAt({ ...c, schedule: "constant" }, 57, 100), 0.1);
  assert.throws(() => validateOptimizer({ kind: "rmsprop" as "adam", lr: 1 }), /Unknown optimizer 'rmsprop'/);
  assert.throws(() => validateOptimizer({ kind: "sgd", lr: -1 }), /Learning rate/);
  assert.throws(() => validateOptimizer({ kind: "sgd", lr: 0.1, momentum: 1 }), /Momentum/);
});

test("balanced class weights: every class carries the same total weight, mean weight 1", () => {
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2]);
  const w = classWeightsFor(labels, 3, "balanced");
  const totals = [0, 0, 0];
  let sum = 0;
  for (const y of labels) {
    totals[y] += w[y];
    sum += w[y];
  }
  close(totals[0], totals[1], 1e-6);
  close(totals[1], totals[2], 1e-6);
  close(sum / labels.length, 1, 1e-6);
  assert.deepEqual(Array.from(classWeightsFor(labels, 3, "none")), [1, 1, 1]);
});

test("the bar for a model worth attacking: 10 points above the majority class, or AUC >= 0.75", () => {
  assert.equal(clearlyBeatsMajority({ accuracy: 0.61, auc: 0.6, majority: { class: 0, accuracy: 0.5 } }), true);
  assert.equal(clearlyBeatsMajority({ accuracy: 0.55, auc: 0.6, majority: { class: 0, accuracy: 0.5 } }), false);
  assert.equal(clearlyBeatsMajority({ accuracy: 0.5, auc: 0.8, majority: { class: 0, accuracy: 0.5 } }), true);
});

test("spearman: ±1 for monotone series, average ranks for ties, the Pearson correlation of ranks otherwise", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 25, 1000]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // Ranks a = 1,2,3,4 and b = 1.5,1.5,3,4 (tie): Pearson of ranks = 4.5 / sqrt(5 * 4.5).
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [7, 7, 8, 9]) - 4.5 / Math.sqrt(5 * 4.5)) < 1e-12);
  // d² formula without ties: 1 - 6 Σd² / (n (n² - 1)) with ranks b = 2,1,4,3,5 -> Σd² = 4.
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - (1 - (6 * 4) / (5 * 24))) < 1e-12);
  assert.ok(Number.isNaN(spearman([1, 2, 3], [5, 5, 5])));
  assert.throws(() => spearman([1], [2]), /at least 2/);
});
