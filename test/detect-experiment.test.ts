/** The detection experiment end to end on a small trained model, and BU's dropout passes against tfjs's own dropout. */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../src/backend";
import { attackTask } from "../src/attacks";
import { PROFILES } from "../src/config";
import { detectTask, mcDropoutFromFeatures, transferMatrix, checkDetector } from "../src/detect";
import { buildModel, featureModel } from "../src/models";
import { train } from "../src/train";

before(async () => {
  await initBackend();
});

test("mcDropoutFromFeatures agrees with tfjs's dropout layer run in training mode", async () => {
  const model = buildModel("resnet-tiny", [8, 8, 3], 3, 0);
  // Larger logits weights make the dropout variance clearly non-zero.
  const logits = model.getLayer("logits");
  logits.setWeights(logits.getWeights().map((w, i) => (i === 0 ? tf.mul(w, 4) : w)));
  const x = tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const [f] = featureModel(model).predict(x) as tf.Tensor[];
  const feats = (await f.data()) as Float32Array;
  const ours = await mcDropoutFromFeatures(model, feats, 6, { passes: 3000, seed: 1 });
  // The same quantity from tfjs: dropout (training) then the logits layer, 3000 passes.
  const passes = 3000;
  const probs: Float32Array[] = [];
  for (let t = 0; t < passes; t++) {
    probs.push(tf.tidy(() => tf.softmax(model.getLayer("logits").apply(model.getLayer("dropout").apply(f, { training: true })) as tf.Tensor).dataSync() as Float32Array));
  }
  for (let i = 0; i < 6; i++) {
    let u = 0;
    for (let c = 0; c < 3; c++) {
      const v = probs.map((p) => p[i * 3 + c]);
      const m = v.reduce((a, b) => a + b, 0) / passes;
      u += v.reduce((a, b) => a + (b - m) ** 2, 0) / passes / 3;
    }
    assert.ok(u > 1e-6, "the dropout variance is not trivially zero");
    assert.ok(Math.abs(ours[i] - u) < 0.12 * u, `image ${i}: ours ${ours[i]} vs tfjs ${u}`);
  }
  for (const u of await mcDropoutFromFeatures(model, feats, 6, { passes: 5, rate: 0 })) assert.ok(u < 1e-20, "no dropout, no variance");
  tf.dispose([x, f]);
  model.dispose();
});

test("detectTask: every attack x detector on the paper's partition, repeats, leaky run, transfer matrix", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mia-detect-"));
  process.env.MIA_MODELS_DIR = path.join(root, "models");
  process.env.MIA_RESULTS_DIR = path.join(root, "results");
  process.env.MIA_CACHE_DIR = path.join(root, "cache");
  try {
    (await train("cxr", { profile: PROFILES.smoke, quiet: true })).model.dispose();
    await attackTask("cxr", { profile: PROFILES.smoke, n: 16, steps: 2, grids: { fgsm: [1], bim: [1], pgd: [1], cw: [1] }, quiet: true });
    const seen: string[] = [];
    const det = await detectTask("cxr", { profile: PROFILES.smoke, detectors: ["kd", "dfeat", "mahalanobis", "bu"], repeats: 2, bootstrap: 50, leaky: true, onRow: (r) => seen.push(`${r.attack}/${r.detector}`) });
    assert.equal(det.rows.length, 16);
    assert.deepEqual(seen, det.rows.map((r) => `${r.attack}/${r.detector}`));
    for (const r of det.rows) {
      assert.equal(r.aucs.length, 2);
      assert.ok(Math.abs(r.auc - (r.aucs[0] + r.aucs[1]) / 2) < 1e-12);
      assert.ok(r.auc >= 0 && r.auc <= 1 && r.lo <= r.hi, `${r.attack}/${r.detector}: ${r.lo} ${r.auc} ${r.hi}`);
      assert.ok(r.leakyAuc !== undefined && r.leakyAuc >= 0 && r.leakyAuc <= 1);
      assert.equal(r.scores.length, r.testRows);
      assert.equal(r.trainRows % 2, 0, "an image's clean and adversarial rows stay together");
      assert.equal(r.isAdv.reduce((a, b) => a + b, 0) * 2, r.testRows, "AdvTest is half adversarial");
    }
    // Same images behind every attack's split: the transfer matrix scores images the detector never saw.
    const sets = Object.values(det.sets);
    for (const s of sets) assert.deepEqual(s.train, sets[0].train);
    const m = transferMatrix(det, "mahalanobis", ["fgsm", "pgd"]);
    assert.deepEqual(m.map((c) => `${c.from}>${c.to}`), ["fgsm>fgsm", "fgsm>bim", "fgsm>pgd", "fgsm>cw", "pgd>fgsm", "pgd>bim", "pgd>pgd", "pgd>cw"]);
    const diag = det.rows.find((r) => r.attack === "pgd" && r.detector === "mahalanobis")!;
    assert.ok(Math.abs(m[6].auc - diag.aucs[0]) < 1e-12, "fit and score on PGD's own split is the first repeat's AUC");
    assert.throws(() => checkDetector("svm"), /Unknown detector 'svm'\. Detectors: kd, lid, dfeat, qfeat, bu, mahalanobis/);

    // The cache: the same inputs and settings read every row back (NaN stays NaN), in order;
    // other settings or cache: false compute again, to the same numbers.
    const opts = { profile: PROFILES.smoke, detectors: ["kd", "dfeat", "mahalanobis", "bu"], repeats: 2, bootstrap: 50, leaky: true };
    // (JSON keeps neither keys whose value is undefined nor the sign of -0: compare without them)
    const strip = ({ cached: _c, seconds: _s, scores, ...r }: (typeof det.rows)[number]) => ({ ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)), scores: Array.from(scores, (v) => v + 0) });
    const again = await detectTask("cxr", opts);
    assert.ok(again.rows.every((r) => r.cached === true) && det.rows.every((r) => !r.cached));
    assert.deepEqual(again.rows.map(strip), det.rows.map(strip));
    const fresh = await detectTask("cxr", { ...opts, cache: false });
    assert.ok(fresh.rows.every((r) => !r.cached));
    assert.deepEqual(fresh.rows.map(strip), det.rows.map(strip), "detectors are deterministic: the cache holds what a fresh run gives");
    assert.ok((await detectTask("cxr", { ...opts, repeats: 1 })).rows.every((r) => !r.cached), "another number of splits is another key");
    const files = fs.readdirSync(path.join(root, "cache", "detect"));
    for (const f of files) fs.writeFileSync(path.join(root, "cache", "detect", f), "{ cut short");
    const repaired = await detectTask("cxr", opts);
    assert.ok(repaired.rows.every((r) => !r.cached), "an unreadable entry is computed again");
    assert.deepEqual(repaired.rows.map(strip), det.rows.map(strip));
    // A detector that cannot be fitted on this small set (if any) keeps NaN and its reason through the cache.
    const one = await detectTask("cxr", { ...opts, detectors: ["lid", "qfeat"] });
    assert.deepEqual((await detectTask("cxr", { ...opts, detectors: ["lid", "qfeat"] })).rows.map(strip), one.rows.map(strip));
  } finally {
    delete process.env.MIA_MODELS_DIR;
    delete process.env.MIA_RESULTS_DIR;
    delete process.env.MIA_CACHE_DIR;
  }
});
