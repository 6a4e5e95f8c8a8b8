/** Quality gates and the interval rule of the verdicts: known answers, every branch. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PROFILES } from "../src/config";
import { brokenAtVerdict, bootstrapDifference, bootstrapDifferenceOf, claimVerdict, farBelowGate, gateFor, gateStatus, median, modelsVerdict, restOnPassing, TASK_GATES, thresholdVerdict, untestableReason, verdictOf, type GateResult } from "../src/gates";
import { rng } from "../src/data/split";

const record = (n: number, available: number | undefined, accuracy: number, auc: number, majority = 0.5) => ({
  test: { n, accuracy, auc, majority: { class: 0, accuracy: majority } },
  ...(available === undefined ? {} : { testAvailable: available }),
});

test("every task a notebook draws a verdict from has a gate; every reference names its source", () => {
  for (const p of Object.values(PROFILES)) {
    for (const t of [...p.tasks.medical, ...p.tasks.natural, ...p.tasks.multiclass]) {
      const g = gateFor(t);
      assert.ok(g, `${p.name}: task ${t} has no gate`);
      assert.ok(g.threshold !== null && g.threshold > 0 && g.threshold < 1, `${t}: gate ${g.threshold}`);
      assert.ok(g.reasoning.length > 20 && g.testSet.length > 5);
    }
  }
  for (const g of TASK_GATES) for (const r of g.references) assert.ok(r.source.length > 10 && r.value > 0 && r.value <= 1, `${g.task}: ${JSON.stringify(r)}`);
  assert.equal(gateFor("cifar10")!.metric, "accuracy");
  assert.equal(gateFor("cifar10")!.threshold, 0.9);
  assert.equal(gateFor("cxr")!.threshold, 0.95);
  assert.equal(gateFor("derm-7")!.threshold, 0.92);
  assert.equal(gateFor("my-own-data"), undefined);
});

test("gateStatus: passes, below (by how much), subset of the test split, no gate", () => {
  const pass = gateStatus("cxr", record(624, 624, 0.9, 0.961));
  assert.equal(pass.status, "passes");
  assert.ok(pass.testable);
  assert.match(pass.summary, /^cxr: test AUC 0\.961 on all 624 test images; gate AUC >= 0\.950: passes; reference 0\.944/);

  const below = gateStatus("cxr", record(624, 624, 0.88, 0.934));
  assert.equal(below.status, "below");
  assert.equal(below.testable, false);
  assert.match(below.summary, /BELOW by 0\.016/);

  const cifar = gateStatus("cifar10", record(10000, 10000, 0.531, 0.9));
  assert.equal(cifar.metric, "accuracy");
  assert.equal(cifar.value, 0.531);
  assert.match(cifar.summary, /test accuracy 53\.1% on all 10000 test images; gate accuracy >= 90\.0%: BELOW by 36\.9%/);

  // A class-balanced subset (or a run saved before gates) is never held against the gate.
  const subset = gateStatus("cxr", record(400, 624, 0.99, 0.999));
  assert.equal(subset.status, "subset");
  assert.equal(subset.testable, false);
  assert.match(subset.summary, /on 400 of 624 test images.*not checked/);
  assert.equal(gateStatus("cxr", record(400, undefined, 0.99, 0.999)).status, "subset");

  // Your own task: no gate, the majority-class bar decides, and the summary says which.
  const own = gateStatus("my-derm", record(100, 100, 0.9, 0.95));
  assert.equal(own.status, "no-gate");
  assert.ok(own.testable);
  assert.match(own.summary, /no gate for this task \(clearly above its majority class\)/);
  assert.equal(gateStatus("my-derm", record(100, 100, 0.52, 0.55)).testable, false);
});

test("untestableReason names every model below its gate, and nothing when all pass", () => {
  const gs: GateResult[] = [gateStatus("cxr", record(624, 624, 0.9, 0.96)), gateStatus("cifar10", record(10000, 10000, 0.531, 0.9)), gateStatus("derm", record(50, 1500, 0.8, 0.95))];
  assert.equal(untestableReason(gs.slice(0, 1)), null);
  assert.equal(untestableReason(gs), "not testable here: model below its gate (cifar10 53.1% < 90.0%; derm measured on a test subset)");
  // Seeds of one task: a shared reason once, with its count; different values stay apart.
  const seeds = [gs[2], gateStatus("derm", record(50, 1500, 0.7, 0.9)), gateStatus("cifar10", record(10000, 10000, 0.531, 0.9)), gateStatus("cifar10", record(10000, 10000, 0.6, 0.9))];
  assert.equal(untestableReason(seeds), "not testable here: model below its gate (derm measured on a test subset (2 models); cifar10 53.1% < 90.0%; cifar10 60.0% < 90.0%)");
});

function normal(r: () => number, mu: number, sd: number, n: number): number[] {
  return Array.from({ length: n }, () => mu + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

test("bootstrapDifference: the mean's interval matches the normal closed form; seeded; refuses non-finite values", () => {
  const r = rng(3);
  const a = normal(r, 1, 1, 400);
  const b = normal(r, 0, 2, 300);
  const d = bootstrapDifference([a], [b], { resamples: 4000, seed: 1 });
  const m = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const varOf = (v: number[]) => v.reduce((s, x) => s + (x - m(v)) ** 2, 0) / (v.length - 1);
  const se = Math.sqrt(varOf(a) / a.length + varOf(b) / b.length);
  assert.ok(Math.abs(d.estimate - (m(a) - m(b))) < 1e-12);
  const half = (d.hi - d.lo) / 2;
  assert.ok(Math.abs(half - 1.96 * se) / (1.96 * se) < 0.1, `half-width ${half} vs closed form ${1.96 * se}`);
  assert.ok(d.lo < d.estimate && d.estimate < d.hi);
  assert.deepEqual(bootstrapDifference([a], [b], { resamples: 4000, seed: 1 }), d, "same seed, same interval");
  assert.throws(() => bootstrapDifference([[1, NaN]], [b]), /non-finite value/);
  assert.throws(() => bootstrapDifference([], [b]), /at least one non-empty cluster/);
  assert.throws(() => bootstrapDifference([a], [b], { resamples: 5 }), /resamples/);
});

test("bootstrapDifference over models: spread between seeds widens the interval; the median statistic works", () => {
  const r = rng(9);
  // Three "models" whose means differ by much more than their per-image noise.
  const spread = [normal(r, 0.5, 0.1, 200), normal(r, 1.0, 0.1, 200), normal(r, 1.5, 0.1, 200)];
  const nat = [normal(r, 0, 0.1, 200)];
  const clustered = bootstrapDifference(spread, nat, { seed: 2 });
  const pooled = bootstrapDifference([spread.flat()], nat, { seed: 2 });
  assert.ok(clustered.hi - clustered.lo > 5 * (pooled.hi - pooled.lo), `clustered ${clustered.hi - clustered.lo} vs pooled ${pooled.hi - pooled.lo}`);
  const med = bootstrapDifference([[1, 2, 3, 4, 100]], [[0, 0, 0]], { statistic: median, seed: 0 });
  assert.equal(med.estimate, 3);
});

test("verdictOf: the stated rule, gates first", () => {
  const ok = [gateStatus("cxr", record(624, 624, 0.9, 0.96)), gateStatus("cifar10", record(10000, 10000, 0.91, 0.99))];
  const iv = (estimate: number, lo: number, hi: number) => ({ estimate, lo, hi, level: 0.95 });
  assert.equal(verdictOf({ difference: iv(0.3, 0.1, 0.5), paper: "positive", gates: ok }).word, "holds");
  assert.match(verdictOf({ difference: iv(0.3, 0.1, 0.5), paper: "positive", gates: ok }).text, /^holds: difference \+0\.300 \[95% 0\.100, 0\.500\] excludes 0 on the paper's side$/);
  assert.equal(verdictOf({ difference: iv(0.3, 0.1, 0.5), paper: "negative", gates: ok }).word, "does not hold");
  assert.equal(verdictOf({ difference: iv(-0.3, -0.5, -0.1), paper: "negative", gates: ok }).word, "holds");
  assert.equal(verdictOf({ difference: iv(0.05, -0.1, 0.2), paper: "positive", gates: ok }).word, "not resolved at this size");
  assert.equal(verdictOf({ difference: null, paper: "positive", gates: ok }).word, "not resolved at this size");
  const weak = [...ok, gateStatus("derm", record(1500, 1500, 0.8, 0.86))];
  const v = verdictOf({ difference: iv(0.3, 0.1, 0.5), paper: "positive", gates: weak });
  assert.equal(v.word, "not testable here");
  assert.equal(v.text, "not testable here: model below its gate (derm 0.860 < 0.900)");
});

test("bootstrapDifferenceOf: a statistic of whole items; equals bootstrapDifference on numbers; undefined replicates give no interval", () => {
  const r = rng(3);
  const a = normal(r, 1, 1, 80);
  const b = normal(r, 0, 1, 80);
  const m = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.deepEqual(bootstrapDifferenceOf([a], [b], m, { seed: 2 }), bootstrapDifference([a], [b], { seed: 2 }));
  // Items as (x, y) pairs, statistic their correlation: a replicate of constant pairs is NaN.
  const pairs = a.map((x, i) => [x, 2 * x + 0.1 * b[i]] as const);
  const corr = (ps: readonly (readonly [number, number])[]) => {
    const [mx, my] = [m(ps.map((p) => p[0])), m(ps.map((p) => p[1]))];
    const sxy = ps.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
    const sxx = ps.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
    const syy = ps.reduce((s, p) => s + (p[1] - my) ** 2, 0);
    return sxy / Math.sqrt(sxx * syy);
  };
  const noise = b.map((x, i) => [x, a[i]] as const);
  const d = bootstrapDifferenceOf([pairs], [noise], corr, { resamples: 500 });
  assert.ok(d.lo > 0.4 && d.lo < d.estimate && d.estimate < d.hi && d.hi < 1.3, JSON.stringify(d));
  const constant = [[1, 1], [1, 1], [1, 1]] as const;
  const none = bootstrapDifferenceOf([pairs], [constant], corr, { resamples: 200 });
  assert.ok(Number.isNaN(none.lo) && Number.isNaN(none.hi));
  assert.equal(verdictOf({ difference: none, paper: "positive", gates: [] }).word, "not resolved at this size");
});

test("claimVerdict: leaves out tasks below their gate on either side (and names them); a lone natural task must pass", () => {
  const pass = (t: string) => gateStatus(t, record(624, 624, 0.95, 0.99));
  const below = (t: string) => gateStatus(t, record(624, 624, 0.6, 0.6));
  const r = rng(5);
  const high = [normal(r, 0.4, 0.05, 100)];
  const low = [normal(r, 0.2, 0.05, 100)];
  const gates = { cxr: pass("cxr"), dr: below("dr"), cifar10: pass("cifar10") };
  const v = claimVerdict({ medical: { cxr: high, dr: low }, natural: { cifar10: low }, statistic: median, paper: "positive", gates });
  assert.equal(v.word, "holds", "dr (below its gate) does not drag the medical side down");
  assert.match(v.medicalText, /^cxr 0\.\d{3}, dr 0\.\d{3} \(below gate\)$/);
  assert.match(v.naturalText, /^cifar10 0\.\d{3}$/);
  assert.ok(Math.abs(v.difference!.estimate - (median(high[0]) - median(low[0]))) < 1e-12);
  const natBelow = claimVerdict({ medical: { cxr: high }, natural: { cifar10: low }, statistic: median, paper: "positive", gates: { ...gates, cifar10: below("cifar10") } });
  assert.equal(natBelow.word, "not testable here");
  assert.match(natBelow.text, /cifar10/);
  const allBelow = claimVerdict({ medical: { dr: low }, natural: { cifar10: low }, statistic: median, paper: "positive", gates });
  assert.equal(allBelow.word, "not testable here");
  assert.match(allBelow.text, /dr/);
  assert.equal(claimVerdict({ medical: { cxr: high }, natural: {}, statistic: median, paper: "positive", gates }).word, "not testable here");
  const empty = claimVerdict({ medical: { cxr: high }, natural: { cifar10: [[]] }, statistic: median, paper: "positive", gates });
  assert.equal(empty.word, "not testable here");
  assert.match(empty.text, /no measured values on the natural side/);
  assert.equal(claimVerdict({ medical: { cxr: low }, natural: { cifar10: high }, statistic: median, paper: "positive", gates }).word, "does not hold");
  // Two natural tasks, one below its gate: as on the medical side, it is left out and named.
  const twoNat = claimVerdict({ medical: { cxr: high }, natural: { cifar10: low, svhn: high }, statistic: median, paper: "positive", gates: { ...gates, svhn: below("svhn") } });
  assert.equal(twoNat.word, "holds", "the below-gate natural task does not count");
  assert.match(twoNat.naturalText, /svhn 0\.\d{3} \(below gate\)$/);
  const noGate = claimVerdict({ medical: { cxr: high }, natural: { cifar10: low, svhn: high }, statistic: median, paper: "positive", gates });
  assert.deepEqual(noGate.difference, twoNat.difference, "a task with no gate result counts as unchecked: left out too");
  assert.equal(claimVerdict({ medical: { cxr: high }, natural: { svhn: high }, statistic: median, paper: "positive", gates }).word, "not testable here");
});

test("thresholdVerdict: every interval on the claimed side holds, one wholly on the other does not, else not resolved", () => {
  const iv = (lo: number, hi: number) => ({ lo, hi });
  assert.equal(thresholdVerdict([iv(0.985, 0.99), iv(0.99, 1)], 0.98, "above"), "holds: every lower bound above 0.98");
  assert.equal(thresholdVerdict([iv(0.985, 0.99), iv(0.8, 0.9)], 0.98, "above"), "does NOT hold: some upper bound below 0.98");
  assert.equal(thresholdVerdict([iv(0.97, 0.99), iv(0.985, 1)], 0.98, "above"), "not resolved at this size: an interval contains 0.98");
  assert.equal(thresholdVerdict([iv(0.6, 0.7)], 0.8, "below"), "holds: every upper bound below 0.8");
  assert.equal(thresholdVerdict([iv(0.6, 0.7), iv(0.85, 0.9)], 0.8, "below"), "does NOT hold: some lower bound above 0.8");
  assert.equal(thresholdVerdict([iv(0.75, 0.85)], 0.8, "below"), "not resolved at this size: an interval contains 0.8");
  assert.throws(() => thresholdVerdict([], 0.98, "above"), /no intervals/);
});

test("brokenAtVerdict: medical broken (share below one half) holds, natural surviving holds, empty models and seeds below their gate are left out, none passing refuses", () => {
  const broken = Array.from({ length: 200 }, (_, i) => (i % 10 < 2 ? 1 : 0));
  const survives = Array.from({ length: 200 }, (_, i) => (i % 10 < 8 ? 1 : 0));
  const pass = gateStatus("cxr", record(624, 624, 0.9, 0.96));
  const below = gateStatus("cxr", record(624, 624, 0.9, 0.948));
  const m = (values: number[], gate = pass) => ({ gate, values });
  assert.equal(brokenAtVerdict([m(broken), m(broken)], { natural: false }).word, "holds");
  assert.equal(brokenAtVerdict([m(survives)], { natural: false }).word, "does not hold");
  assert.equal(brokenAtVerdict([m(survives), m([])], { natural: true }).word, "holds");
  assert.equal(brokenAtVerdict([m([]), m([])], { natural: false }).word, "not resolved at this size");
  assert.equal(brokenAtVerdict([m(broken, below)], { natural: false }).word, "not testable here");
  // A replicate below its gate does not count, whatever it measured, and is named.
  const mixed = brokenAtVerdict([m(broken), m(survives, below), m(broken)], { natural: false });
  assert.equal(mixed.word, "holds");
  assert.match(mixed.text, /; left out, below their gate: cxr 0\.948 < 0\.950$/);
  assert.deepEqual(mixed.difference, brokenAtVerdict([m(broken), m(broken)], { natural: false }).difference, "the same interval as without the left-out seed");
  const allBelow = brokenAtVerdict([m(broken, below), m(broken, below)], { natural: false });
  assert.equal(allBelow.text, "not testable here: model below its gate (cxr 0.948 < 0.950 (2 models))");
});

test("restOnPassing, modelsVerdict: one rule on both sides; farBelowGate: near misses get replicates", () => {
  const pass = (t: string) => gateStatus(t, record(624, 624, 0.95, 0.99));
  const near = gateStatus("cxr", record(624, 624, 0.9, 0.93));
  const far = gateStatus("cifar10", record(10000, 10000, 0.68, 0.95));
  const r = restOnPassing([{ gate: pass("cxr"), k: 1 }, { gate: near, k: 2 }]);
  assert.deepEqual(r.passing.map((x) => x.k), [1]);
  assert.deepEqual(r.leftOut.map((x) => x.k), [2]);
  assert.deepEqual(r.gates, [pass("cxr")]);
  assert.deepEqual(restOnPassing([{ gate: near }]).gates, [near], "none passing: every gate, so the verdict says why");
  assert.equal(farBelowGate(near), false, "0.020 below: another seed may pass");
  assert.equal(farBelowGate(far), true, "22 points below");
  assert.equal(farBelowGate(pass("cxr")), false);
  assert.equal(farBelowGate(gateStatus("cxr", record(100, 624, 0.5, 0.5))), false, "a subset is unchecked, not below");

  const rr = rng(9);
  const small = normal(rr, 0.5, 0.1, 100);
  const large = normal(rr, 3, 0.5, 100);
  const meas = (values: number[], gate = pass("cxr")) => ({ gate, values });
  const natPass = pass("cifar10");
  const v = modelsVerdict({ medical: [meas(small), meas(large, near)], natural: [meas(large, natPass), meas(small, far)], statistic: median, paper: "negative", digits: 2 });
  assert.equal(v.word, "holds", "each side's below-gate model is left out");
  assert.ok(Math.abs(v.difference!.estimate - (median(small) - median(large))) < 1e-12);
  assert.match(v.text, /left out, below their gate: cxr 0\.930 < 0\.950; cifar10 68\.0% < 90\.0%$/);
  const natNone = modelsVerdict({ medical: [meas(small)], natural: [meas(large, far)], statistic: median, paper: "negative" });
  assert.equal(natNone.text, "not testable here: model below its gate (cifar10 68.0% < 90.0%)");
  assert.equal(modelsVerdict({ medical: [meas(small)], natural: [], statistic: median, paper: "negative" }).text, "not testable here: no natural model in this run");
  assert.match(modelsVerdict({ medical: [meas([])], natural: [meas(large, natPass)], statistic: median, paper: "negative" }).text, /no measured values on the medical side/);
  // Another comparison names its own sides (claim 2: multi-class minus binary).
  assert.equal(modelsVerdict({ medical: [meas(small)], natural: [], statistic: median, paper: "negative", sides: ["multi-class", "binary"] }).text, "not testable here: no binary model in this run");
  assert.throws(() => modelsVerdict({ medical: [meas([1, NaN])], natural: [meas(large, natPass)], statistic: median, paper: "negative", sides: ["multi-class", "binary"] }), /the multi-class side holds a non-finite value/);
  assert.equal(modelsVerdict({ medical: [meas(large)], natural: [meas(small, natPass)], statistic: median, paper: "negative" }).word, "does not hold");
  assert.throws(() => modelsVerdict({ medical: [meas([1, NaN])], natural: [meas(large, natPass)], statistic: median, paper: "negative" }), /non-finite value \(NaN\)/);
  // Items other than numbers (scored rows): the statistic sees whole items.
  const items = modelsVerdict<{ v: number }>({ medical: [{ gate: pass("cxr"), values: small.map((v) => ({ v })) }], natural: [{ gate: natPass, values: large.map((v) => ({ v })) }], statistic: (xs) => median(xs.map((x) => x.v)), paper: "negative" });
  // A model with several clusters (one per attack's set) is one model: named once when left out.
  const sets = modelsVerdict({ medical: [{ gate: pass("cxr"), sets: [small, small] }, { gate: near, sets: [large, large] }], natural: [meas(large, natPass)], statistic: median, paper: "negative" });
  assert.match(sets.text, /left out, below their gate: cxr 0\.930 < 0\.950$/);
  assert.deepEqual(sets.difference, modelsVerdict({ medical: [meas(small), meas(small)], natural: [meas(large, natPass)], statistic: median, paper: "negative" }).difference, "two sets of one model resample as two clusters");
  assert.deepEqual(items.difference, modelsVerdict({ medical: [meas(small)], natural: [meas(large, natPass)], statistic: median, paper: "negative" }).difference);
});
