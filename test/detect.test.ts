/**
 * Detectors against known answers: separable Gaussians (AUC near 1) and identical distributions
 * (AUC near 0.5) for every detector; the LID estimators against the closed form of the Hill
 * estimator on uniform data and against the TLE's geometric definition (ray-sphere distances
 * found by bisection); KDE, Mahalanobis, MC-dropout and logistic regression against hand
 * computations; the bootstrap interval's coverage; and that nothing is fitted on scored data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BayesianUncertaintyDetector,
  bootstrapAuc,
  carveValidation,
  compareLeak,
  concatSets,
  DFeatDetector,
  kdeLogDensity,
  KernelDensityDetector,
  lidMle,
  lidOf,
  lidTle,
  LidDetector,
  LogisticRegression,
  MahalanobisDetector,
  mcDropoutUncertainty,
  meanGroupAuc,
  oversampleBeforeSplit,
  QFeatDetector,
  runProtocol,
  scoredItems,
  selectRows,
  withoutLabels,
  type Detector,
  type FeatureSet,
} from "../src/detect";
import { rocAuc } from "../src/train/metrics";
import { rng } from "../src/data/split";

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * `clean` clean rows (classes 0/1, means ±1.5 on feature 0, unit variance) and as many
 * adversarial rows. separable: each adversarial row is its clean source shifted by `shift` along
 * (1, ..., 1)/√d and predicted as the other class, with larger MC-dropout uncertainty.
 * identical: adversarial rows are fresh draws of the clean distribution, annotations included.
 */
function synth(kind: "separable" | "identical", clean: number, d: number, seed: number, shift = 5): FeatureSet {
  const g = gaussian(rng(seed));
  const n = 2 * clean;
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const predicted = new Int32Array(n);
  const isAdv = new Uint8Array(n);
  const groups = new Int32Array(n);
  const uncertainty = new Float64Array(n);
  const draw = (i: number, c: number) => {
    for (let j = 0; j < d; j++) x[i * d + j] = g() + (j === 0 ? (c ? 1.5 : -1.5) : 0);
    labels[i] = predicted[i] = c;
    uncertainty[i] = 0.01 * Math.abs(g());
  };
  for (let i = 0; i < clean; i++) {
    draw(i, i % 2);
    groups[i] = i;
    const a = clean + i;
    isAdv[a] = 1;
    if (kind === "identical") {
      draw(a, i % 2);
      groups[a] = a; // unrelated to any clean row
      continue;
    }
    groups[a] = i;
    labels[a] = labels[i];
    predicted[a] = 1 - labels[i];
    for (let j = 0; j < d; j++) x[a * d + j] = x[i * d + j] + shift / Math.sqrt(d);
    uncertainty[a] = 0.03 + 0.01 * Math.abs(g());
  }
  return { x, n, d, labels, predicted, isAdv, groups, uncertainty };
}

const D = 8;
const makers: Record<string, () => Detector> = {
  KD: () => new KernelDensityDetector({ bandwidth: 1 }),
  LID: () => new LidDetector(),
  "LID-TLE": () => new LidDetector({ estimator: "tle" }),
  DFeat: () => new DFeatDetector({ nEstimators: 15 }),
  QFeat: () => new QFeatDetector(),
  Mahalanobis: () => new MahalanobisDetector(),
  BU: () => new BayesianUncertaintyDetector(),
};

test("every detector: separable Gaussians give AUC > 0.95 on the test split", () => {
  const train = synth("separable", 200, D, 1, 6);
  const testSet = synth("separable", 150, D, 2, 6);
  for (const [name, make] of Object.entries(makers)) {
    // TLE scores a far-off cloud like clean data: its pairwise terms describe the neighbours'
    // own dimension (see the next test for the LID estimators' own known answer).
    if (name === "LID-TLE") continue;
    const r = runProtocol(make, train, testSet, { bootstrap: { reps: 50 } });
    assert.ok(r.auc > 0.95, `${name}: AUC ${r.auc}`);
    assert.equal(r.scores.length, testSet.n);
  }
});

test("every detector: identical clean and adversarial distributions give AUC 0.5 ± 0.1", () => {
  const train = synth("identical", 200, D, 3);
  const testSet = synth("identical", 250, D, 4);
  for (const [name, make] of Object.entries(makers)) {
    const r = runProtocol(make, train, testSet, { bootstrap: { reps: 50 } });
    close(r.auc, 0.5, 0.1, `${name}:`);
  }
});

/** Clean rows on a 2-d plane in 8 dims; adversarial rows: their source pushed off it by ~eps. */
function offManifold(clean: number, seed: number, eps: number): FeatureSet {
  const g = gaussian(rng(seed));
  const n = 2 * clean;
  const x = new Float32Array(n * D);
  const isAdv = new Uint8Array(n);
  const groups = new Int32Array(n);
  for (let i = 0; i < clean; i++) {
    x[i * D] = g();
    x[i * D + 1] = g();
    const a = clean + i;
    isAdv[a] = 1;
    groups[i] = groups[a] = i;
    for (let j = 0; j < D; j++) x[a * D + j] = x[i * D + j] + (j >= 2 ? (eps * g()) / Math.sqrt(D - 2) : 0);
  }
  return { x, n, d: D, isAdv, groups };
}

test("LID (MLE and TLE): rows pushed off a 2-d clean manifold have higher LID, AUC > 0.95", () => {
  const train = offManifold(200, 50, 1);
  const testSet = offManifold(150, 51, 1);
  for (const estimator of ["mle", "tle"] as const) {
    const det = new LidDetector({ estimator }).fit(train);
    const lid = det.features(testSet).x;
    const mean = (adv: number) => {
      let s = 0;
      for (let i = 0; i < testSet.n; i++) if (testSet.isAdv![i] === adv) s += lid[i] / (testSet.n / 2);
      return s;
    };
    close(mean(0), 2 * (estimator === "mle" ? 20 / 18 : 1), 0.35, `${estimator} clean rows: LID of the plane`);
    assert.ok(mean(1) > mean(0) + 0.8, `${estimator}: adversarial LID ${mean(1)} vs clean ${mean(0)}`);
    assert.ok(rocAuc(testSet.isAdv!, det.score(testSet)) > 0.95, estimator);
  }
});

test("LID MLE on uniform cubes (d = 2, 5, 8 in 24 ambient dims) matches the Hill estimator's closed form", () => {
  // Query at the centre of its own fresh cube of N points: the k-NN ball stays inside, so the
  // k - 1 inner log-ratios are iid Exp(d) and E[-k / sum] = k d / (k - 2),
  // sd = k d / ((k - 2) sqrt(k - 3)). TLE: no closed form; near d with a smaller spread.
  const k = 20;
  const ambient = 24;
  const queries = 100;
  for (const d of [2, 5, 8]) {
    const r = rng(100 + d);
    // d orthonormal directions in the ambient space (Gram-Schmidt): the cube lies on a d-flat.
    const basis: number[][] = [];
    for (let a = 0; a < d; a++) {
      let v = Array.from({ length: ambient }, () => r() - 0.5);
      for (const u of basis) {
        const dot = v.reduce((s, t, i) => s + t * u[i], 0);
        v = v.map((t, i) => t - dot * u[i]);
      }
      const norm = Math.hypot(...v);
      basis.push(v.map((t) => t / norm));
    }
    const N = 6000;
    const mle: number[] = [];
    const tle: number[] = [];
    for (let q = 0; q < queries; q++) {
      const ref = new Float64Array(N * ambient);
      for (let i = 0; i < N; i++) for (let a = 0; a < d; a++) {
        const c = r() - 0.5;
        for (let j = 0; j < ambient; j++) ref[i * ambient + j] += c * basis[a][j];
      }
      const set = { x: ref, n: N, d: ambient };
      const origin = { x: new Float64Array(ambient), n: 1, d: ambient };
      mle.push(lidOf(origin, set, { k })[0]);
      tle.push(lidOf(origin, set, { k, estimator: "tle" })[0]);
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
    const expected = (k * d) / (k - 2);
    const spread = expected / Math.sqrt(k - 3);
    close(mean(mle), expected, (4 * spread) / Math.sqrt(queries), `MLE d=${d}:`);
    close(sd(mle), spread, 0.3 * spread, `MLE sd d=${d}:`);
    close(mean(tle), d, 0.15 * d, `TLE d=${d}:`);
    assert.ok(sd(tle) < sd(mle), `TLE d=${d}: sd ${sd(tle)} not below MLE's ${sd(mle)}`);
  }
});

test("LID estimators: MLE by hand, TLE against its geometric definition", () => {
  close(lidMle([1, 2, 4]), 3 / Math.log(8), 1e-12, "MLE");
  // TLE from the definition: s_ij = r v_ij / w, w the distance from x_i to the sphere |p - q| = r
  // along the ray towards x_j (found by bisection); t_ij the same towards -x_j (x_j reflected
  // through q = 0); LID = -2k² / (sum ln(s/r) + sum ln(t/r) + 2 sum ln(u/r)).
  const pts = [[0.3, 0.1], [-0.2, 0.5], [0.6, -0.4], [-0.1, -0.75]];
  const norm = (p: number[]) => Math.hypot(...p);
  const u = pts.map(norm);
  const r = u[u.length - 1];
  const toSphere = (from: number[], towards: number[]) => {
    const e = towards.map((t, i) => t - from[i]);
    const len = norm(e);
    let lo = 0;
    let hi = 4 * r;
    for (let it = 0; it < 200; it++) {
      const mid = (lo + hi) / 2;
      if (norm(from.map((f, i) => f + (mid * e[i]) / len)) < r) lo = mid;
      else hi = mid;
    }
    return { w: lo, v: len };
  };
  let sum = 0;
  for (let i = 0; i < pts.length; i++) {
    sum += 2 * Math.log(u[i] / r);
    for (let j = 0; j < pts.length; j++) {
      if (i === j) continue;
      for (const target of [pts[j], pts[j].map((t) => -t)]) {
        const { w, v } = toSphere(pts[i], target);
        sum += Math.log(v / w);
      }
    }
  }
  const k = pts.length;
  const v = (a: number, b: number) => norm(pts[a].map((t, i) => t - pts[b][i]));
  close(lidTle(u, v), (-2 * k * k) / sum, 1e-9, "TLE");
});

test("LID detector: one column per layer; the authors' minibatch mode needs isAdv", () => {
  const layer1 = synth("separable", 150, D, 5, 6);
  const layer2 = synth("separable", 150, 4, 6, 6);
  const det = new LidDetector({ k: 10, batchSize: 50 }).fit([layer1, layer2]);
  const probe = [synth("separable", 60, D, 7, 6), synth("separable", 60, 4, 8, 6)];
  assert.equal(det.features(probe).d, 2);
  assert.ok(rocAuc(probe[0].isAdv!, det.score(probe)) > 0.95);
  assert.throws(() => det.score([probe[0]]), /fitted on 2 layers/);
  assert.throws(() => det.score([probe[0], synth("separable", 50, 4, 9)]), /rows/);
  const leaky = new LidDetector().fit(layer1, layer1);
  assert.throws(() => leaky.score(withoutLabels(probe[0])), /isAdv/);
});

test("KDE log-density equals the hand-computed Gaussian mixture", () => {
  // Two reference points (0,0), (1,0); query (0,1); h = 0.5: squared distances 1 and 2.
  const h = 0.5;
  const ref = { x: Float64Array.from([0, 0, 1, 0]), n: 2, d: 2 };
  const q = { x: Float64Array.from([0, 1]), n: 1, d: 2 };
  const byHand = Math.log((Math.exp(-1 / (2 * h * h)) + Math.exp(-2 / (2 * h * h))) / 2) - Math.log(2 * Math.PI * h * h);
  close(kdeLogDensity(ref, q, h)[0], byHand, 1e-12, "log-density");
  // Leave-one-out drops the first reference point.
  const loo = Math.exp(-2 / (2 * h * h)) / (2 * Math.PI * h * h);
  close(kdeLogDensity(ref, q, h, (_, j) => j === 0)[0], Math.log(loo), 1e-12, "leave-one-out");
});

test("KD bandwidth selection uses a validation split carved from the training split", () => {
  const train = synth("separable", 200, D, 10, 2);
  const { fit, val } = carveValidation(train, 0.25, 1);
  assert.equal(fit.n + val.n, train.n);
  const fitGroups = new Set(fit.groups);
  for (const g of val.groups!) assert.ok(!fitGroups.has(g), "a group straddles the carve");
  const { bandwidth, aucs } = KernelDensityDetector.selectBandwidth([0.01, 0.5, 2], fit, val);
  assert.equal(aucs.length, 3);
  assert.equal(bandwidth, [0.01, 0.5, 2][aucs.indexOf(Math.max(...aucs))]);
  assert.ok(Math.max(...aucs) > 0.8, `best validation AUC ${Math.max(...aucs)}`);
});

test("QFeat decision values agree with libsvm's own predictions", () => {
  const train = synth("separable", 100, D, 60, 2);
  const det = new QFeatDetector().fit(train);
  const bin = det.binarise(train);
  const SVM = require("libsvm-js/asm");
  const svm = new SVM({ type: SVM.SVM_TYPES.C_SVC, kernel: SVM.KERNEL_TYPES.RBF, gamma: 2.8, cost: 1, quiet: true });
  const rows = Array.from({ length: bin.n }, (_, i) => Array.from(bin.x.subarray(i * D, (i + 1) * D)));
  svm.train(rows, Array.from(train.isAdv!));
  const labels: number[] = svm.predict(rows);
  svm.free();
  const score = det.score(train);
  let agree = 0;
  for (let i = 0; i < train.n; i++) if ((score[i] > 0 ? 1 : 0) === labels[i]) agree++;
  assert.ok(agree >= 0.99 * train.n, `${agree} of ${train.n} agree`);
  assert.ok(det.model!.coef.length > 0 && det.model!.gamma === 2.8);
});

test("Mahalanobis distance equals the hand computation (pooled covariance of two classes)", () => {
  // Deviations (-1,-1), (1,1), (1,0), (-1,0) around (0,0) and around (3,1): pooled scatter
  // [[8,4],[4,4]] / (8 - 2), inverse [[1.5,-1.5],[-1.5,3]]. Query (1,2): 7.5 to class 0, 15 to class 1.
  const dev = [[-1, -1], [1, 1], [1, 0], [-1, 0]];
  const rows = [...dev, ...dev.map(([a, b]) => [a + 3, b + 1]), [40, 40], [41, 40]];
  const train: FeatureSet = {
    x: Float64Array.from(rows.flat()),
    n: rows.length,
    d: 2,
    labels: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 0, 1]),
    predicted: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 0]),
    isAdv: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
  };
  const query: FeatureSet = { x: Float64Array.from([1, 2, 1, 2]), n: 2, d: 2, predicted: Int32Array.from([0, 1]) };
  const byPredicted = new MahalanobisDetector({ ridge: 0 }).fit(train).statistic(query).x;
  close(byPredicted[0], Math.sqrt(7.5), 1e-12, "class 0");
  close(byPredicted[1], Math.sqrt(15), 1e-12, "class 1");
  const nearest = new MahalanobisDetector({ ridge: 0, mode: "min" }).fit(train).statistic(query).x;
  close(nearest[1], Math.sqrt(7.5), 1e-12, "min over classes");
});

test("MC-dropout uncertainty: mean over classes of the variance across passes", () => {
  const passes = [Float32Array.from([0.2, 0.8, 1, 0]), Float32Array.from([0.4, 0.6, 1, 0]), Float32Array.from([0.6, 0.4, 1, 0])];
  const u = mcDropoutUncertainty(passes, 2, 2);
  close(u[0], 0.08 / 3, 1e-7, "varying sample");
  close(u[1], 0, 1e-12, "constant sample");
  assert.throws(() => mcDropoutUncertainty([passes[0]], 2, 2), /2 passes/);
  assert.throws(() => mcDropoutUncertainty([passes[0], Float32Array.from([1])], 2, 2), /pass 1/);
});

test("logistic regression recovers known coefficients and the saturated 1-D closed form", () => {
  const r = rng(11);
  const g = gaussian(r);
  const n = 20000;
  const beta = [0.8, -1.2, 2.0];
  const scales = [1, 2, 0.5];
  const b0 = -0.5;
  const x = new Float64Array(n * 3);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let eta = b0;
    for (let j = 0; j < 3; j++) eta += beta[j] * (x[i * 3 + j] = scales[j] * g() + 1);
    y[i] = r() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  const fit = new LogisticRegression({ l2: 0 }).fit({ x, n, d: 3 }, y).coefficients();
  close(fit.intercept, b0, 0.15, "intercept");
  beta.forEach((b, j) => close(fit.weights[j], b, 0.1, `weight ${j}`));
  // Binary feature: the MLE is the saturated model, intercept logit(p0), slope logit(p1) - logit(p0).
  // x = 0: 60 of 300 positive; x = 1: 150 of 200 positive (overlapping, so the MLE is finite).
  const xs = new Float64Array(500);
  const ys = new Uint8Array(500);
  for (let i = 0; i < 500; i++) {
    xs[i] = i < 300 ? 0 : 1;
    ys[i] = i < 60 || (i >= 300 && i < 450) ? 1 : 0;
  }
  const logit = (p: number) => Math.log(p / (1 - p));
  for (const scale of ["none", "zscore", "minmax"] as const) {
    const c = new LogisticRegression({ l2: 0, scale }).fit({ x: xs, n: 500, d: 1 }, ys).coefficients();
    close(c.intercept, logit(0.2), 1e-6, `${scale} intercept`);
    close(c.weights[0], logit(0.75) - logit(0.2), 1e-6, `${scale} slope`);
  }
  // The penalty shrinks the slope towards 0.
  const shrunk = new LogisticRegression({ l2: 100, scale: "none" }).fit({ x: xs, n: 500, d: 1 }, ys).coefficients();
  assert.ok(shrunk.weights[0] > 0 && shrunk.weights[0] < logit(0.75) - logit(0.2));
  assert.throws(() => new LogisticRegression().fit({ x: xs, n: 500, d: 1 }, new Uint8Array(500)), /both 0 and 1/);
});

test("bootstrap AUC: interval covers the true AUC and shrinks with n", () => {
  // Scores N(0,1) for clean, N(1,1) for adversarial: AUC = Φ(1/√2) = 0.76025.
  const trueAuc = 0.7602499389065233;
  const sample = (per: number, seed: number) => {
    const g = gaussian(rng(seed));
    const s = Float64Array.from({ length: 2 * per }, (_, i) => g() + (i < per ? 1 : 0));
    const y = Uint8Array.from({ length: 2 * per }, (_, i) => (i < per ? 1 : 0));
    return { s, y };
  };
  let covered = 0;
  const trials = 40;
  for (let t = 0; t < trials; t++) {
    const { s, y } = sample(100, 1000 + t);
    const ci = bootstrapAuc(s, y, { reps: 300, seed: t });
    assert.ok(ci.lo <= ci.auc && ci.auc <= ci.hi);
    if (ci.lo <= trueAuc && trueAuc <= ci.hi) covered++;
  }
  assert.ok(covered >= 0.8 * trials, `covered ${covered} of ${trials}`);
  const small = sample(100, 1);
  const large = sample(1600, 2);
  const ws = bootstrapAuc(small.s, small.y, { reps: 300 });
  const wl = bootstrapAuc(large.s, large.y, { reps: 300 });
  assert.ok(wl.hi - wl.lo < 0.5 * (ws.hi - ws.lo), `width ${wl.hi - wl.lo} vs ${ws.hi - ws.lo}`);
  close(wl.auc, trueAuc, 0.03, "large-sample AUC");
  const perfect = bootstrapAuc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]);
  assert.deepEqual([perfect.auc, perfect.lo, perfect.hi], [1, 1, 1]);
  assert.throws(() => bootstrapAuc([0.1, 0.2], [1, 1]), /both classes/);
});

test("no leak: scores depend only on the row and the training data; the fit ignores the test split", () => {
  const train = synth("separable", 120, D, 20, 2);
  const a = synth("separable", 40, D, 21, 2);
  const b = synth("identical", 40, D, 22);
  for (const [name, make] of Object.entries(makers)) {
    const det = make().fit(train);
    const alone = det.score(withoutLabels(a));
    const together = det.score(withoutLabels(concatSets(b, a)));
    const again = det.score(a);
    for (let i = 0; i < a.n; i++) {
      close(together[b.n + i], alone[i], 1e-12, `${name} row ${i} batched with other rows:`);
      assert.equal(again[i], alone[i], `${name} row ${i} scored twice`);
    }
    // runProtocol fits on AdvTrain only: same scores as an explicit fit(train) + score(test).
    const viaProtocol = runProtocol(make, train, a, { bootstrap: { reps: 10 } }).scores;
    for (let i = 0; i < a.n; i++) close(viaProtocol[i], alone[i], 1e-12, `${name} protocol row ${i}:`);
  }
});

test("the authors' leak inflates KD on identical distributions; the leak-free run stays at chance", () => {
  const train = synth("identical", 200, D, 30);
  const testSet = synth("identical", 200, D, 31);
  const { clean, leaky, inflation } = compareLeak(() => new KernelDensityDetector({ bandwidth: 0.3 }), train, testSet, { bootstrap: { reps: 50 } });
  close(clean.auc, 0.5, 0.1, "leak-free KD:");
  // Leave-one-out at fit: training clean rows do not see themselves in the KDE, so the logistic
  // regression learns nothing from identical distributions and stays at the base rate. Without
  // it, clean training rows look denser than any test row ever can.
  const meanScore = clean.scores.reduce((s, v) => s + v, 0) / clean.scores.length;
  close(meanScore, 0.5, 0.1, "leak-free KD mean probability:");
  assert.ok(leaky.auc > 0.8, `leaky KD AUC ${leaky.auc}`);
  assert.ok(inflation > 0.3);
  // Oversampling before the split: pooled classes balanced, duplicates on both sides.
  const unbalanced = selectRows(train, [...Array(200).keys(), 200, 201, 202, 203, 204]);
  const { train: t2, test: s2 } = oversampleBeforeSplit(unbalanced, testSet, 3);
  const pooled = concatSets(t2, s2);
  const adv = pooled.isAdv!.reduce((s, v) => s + v, 0);
  assert.equal(adv, pooled.n - adv);
  const key = (s: FeatureSet, i: number) => Array.from(s.x.subarray(i * D, (i + 1) * D)).join(",");
  const trainRows = new Set(Array.from({ length: t2.n }, (_, i) => key(t2, i)));
  assert.ok(Array.from({ length: s2.n }, (_, i) => key(s2, i)).some((k) => trainRows.has(k)), "no duplicate crossed the split");
  assert.throws(() => runProtocol(makers.KD, train, testSet, { oversample: true }), /leaky/);
});

test("inputs are validated with clear errors", () => {
  const train = synth("separable", 60, D, 40);
  assert.throws(() => new KernelDensityDetector().fit({ ...train, x: train.x.subarray(1) }), /values for 120 x 8/);
  assert.throws(() => new KernelDensityDetector().fit({ ...train, labels: train.labels!.subarray(1) }), /'labels' has 119 entries/);
  const nan = Float32Array.from(train.x);
  nan[13] = NaN;
  assert.throws(() => new MahalanobisDetector().fit({ ...train, x: nan }), /row 1, col 5\] is NaN/);
  assert.throws(() => new LidDetector({ k: 20, batchSize: 20 }), /batchSize/);
  assert.throws(() => new LidDetector({ k: 20 }).fit(synth("separable", 15, D, 41)), /clean training rows/);
  assert.throws(() => new DFeatDetector().fit({ ...train, isAdv: new Uint8Array(train.n) }), /both clean and adversarial/);
  assert.throws(() => new QFeatDetector().fit({ ...train, isAdv: undefined }), /needs 'isAdv'/);
  const kd = new KernelDensityDetector().fit(train);
  assert.throws(() => kd.score({ ...train, predicted: new Int32Array(train.n).fill(7) }), /class 7.*empty class/);
  assert.throws(() => kd.score(synth("separable", 10, 3, 42)), /fitted on 8 features, given 3/);
  assert.throws(() => kd.score({ ...train, predicted: undefined }), /needs 'predicted'/);
  assert.throws(() => new BayesianUncertaintyDetector().fit({ ...train, uncertainty: undefined }), /needs 'uncertainty'/);
  assert.throws(() => new KernelDensityDetector({ bandwidth: 0 }), /bandwidth/);
  assert.throws(() => new DFeatDetector().fit(train).score(synth("separable", 10, 3, 43)), /fitted on 8 features/);
});

test("meanGroupAuc: each set's AUC on its own scores, averaged; scores of different sets are never ranked together", () => {
  // Set 0 perfect (AUC 1), set 1 reversed (AUC 0): mean 0.5.
  const a = scoredItems([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 0);
  const b = scoredItems([10.9, 10.8, 10.2, 10.1], [0, 0, 1, 1], 1);
  assert.equal(meanGroupAuc([...a, ...b]), 0.5);
  // Two perfect sets on different scales: 1, where ranking them together would not be.
  const c = scoredItems([-5.9, -5.8, -5.2, -5.1], [0, 0, 1, 1], 1);
  assert.equal(meanGroupAuc([...a, ...c]), 1);
  const pooled = rocAuc([...a, ...c].map((i) => i.isAdv), [...a, ...c].map((i) => i.score));
  assert.ok(pooled < 0.8, `pooled ${pooled}`);
  // A set with one class only is skipped; no usable set gives NaN.
  assert.equal(meanGroupAuc([...a, ...scoredItems([1, 2], [1, 1], 2)]), 1);
  assert.ok(Number.isNaN(meanGroupAuc(scoredItems([1, 2], [0, 0], 3))));
  assert.throws(() => scoredItems([1], [0, 1], 0), /1 scores but 2 labels/);
});
