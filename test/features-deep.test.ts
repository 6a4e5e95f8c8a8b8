/**
 * Deep features for the detectors: equal to the model's own feature output in any batch size,
 * the .npy files they are saved as (round trip, NumPy headers, caching, clear errors), and the
 * paper's AdvTrain / AdvTest partition.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../src/backend";
import { buildModel, featureModel, intermediateModel, stageOutputs } from "../src/models";
import { loadAdversarialSet, saveAdversarial } from "../src/attacks/save";
import { parseNpy } from "../src/data/npy";
import { deepFeatures, extractFeatures, featurePartition, featuresDir, pooledStageFeatures, readFeatureSet, takeRows } from "../src/features";

const SHAPE: [number, number, number] = [16, 16, 3];
const N = 7;
let model: tf.LayersModel;
let x: tf.Tensor4D;

before(async () => {
  await initBackend();
  model = buildModel("resnet-tiny", SHAPE, 2, 0);
  x = tf.randomUniform([N, ...SHAPE], 0, 1, "float32", 1) as tf.Tensor4D;
});

test("deepFeatures equals featureModel(model).predict, identically in batches of 1 and all, without leaking tensors", async () => {
  const [f, z] = featureModel(model).predict(x) as tf.Tensor[];
  const want = { f: f.dataSync(), z: z.dataSync() };
  tf.dispose([f, z]);
  const before = tf.memory().numTensors;
  const all = await deepFeatures(model, x, { batchSize: N });
  const one = await deepFeatures(model, x, { batchSize: 1 });
  const flat = await deepFeatures(model, { data: x.dataSync() as Float32Array, shape: x.shape }, { batchSize: 3 });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  assert.deepEqual([all.n, all.d, all.classes], [N, 128, 2]);
  for (let i = 0; i < want.f.length; i++) assert.ok(Math.abs(all.features[i] - want.f[i]) <= 1e-5 * (1 + Math.abs(want.f[i])), `feature ${i}`);
  for (let i = 0; i < want.z.length; i++) assert.ok(Math.abs(all.logits[i] - want.z[i]) <= 1e-5 * (1 + Math.abs(want.z[i])), `logit ${i}`);
  assert.deepEqual(one.features, all.features, "batch size does not change the features (dropout off, per-image inference)");
  assert.deepEqual(flat.features, all.features, "flat NHWC data gives the same features as the tensor");
  for (let i = 0; i < N; i++) assert.equal(all.predicted[i], all.logits[2 * i + 1] > all.logits[2 * i] ? 1 : 0);
  await assert.rejects(deepFeatures(model, x, { batchSize: 0 }), /batchSize/);
});

test("pooledStageFeatures: every stage output's spatial mean, then the deep feature", async () => {
  const layers = await pooledStageFeatures(model, x, undefined, { batchSize: 2 });
  const stages = [...stageOutputs(model).values()];
  assert.deepEqual(layers.map((l) => l.layer), [...stages, "feature"]);
  const acts = intermediateModel(model, stages).predict(x) as tf.Tensor[];
  stages.forEach((_, k) => {
    const want = tf.tidy(() => tf.mean(acts[k], [1, 2]).dataSync());
    assert.equal(layers[k].d, acts[k].shape[3]);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(layers[k].data[i] - want[i]) < 1e-5, `${stages[k]} value ${i}`);
  });
  tf.dispose(acts);
  const deep = await deepFeatures(model, x);
  assert.deepEqual(layers[layers.length - 1].data, deep.features);
  assert.deepEqual((await pooledStageFeatures(model, x, [2])).map((l) => l.layer), [stageOutputs(model).get(2)]);
});

/** A saved set like notebook 03's: clean images, slightly shifted "adversarial" ones, labels. */
async function fakeSet(dir: string, extraMeta: Record<string, unknown> = {}) {
  const clean = x.dataSync() as Float32Array;
  const adversarial = clean.map((v, i) => Math.min(1, Math.max(0, v + (i % 2 ? 0.05 : -0.05))));
  const pred = (await deepFeatures(model, x)).predicted;
  const labels = Int32Array.from(pred, (p, i) => (i < 2 ? 1 - p : p)); // images 0 and 1 misclassified
  saveAdversarial(dir, {
    shape: x.shape,
    clean,
    adversarial,
    labels,
    predClean: pred,
    predAdv: pred,
    ids: Array.from({ length: N }, (_, i) => `img${i}`),
    meta: { task: "toy", profile: "smoke", model: "resnet-tiny", attack: "pgd", eps: 1, classNames: ["a", "b"], ...extraMeta },
  });
  return { clean, adversarial, labels };
}

test("extractFeatures writes NumPy-readable files (clean rows then adversarial rows), reads back, and caches on the set and the model", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-feat-"));
  try {
    const { adversarial, labels } = await fakeSet(dir);
    const got = await extractFeatures(dir, model, { modelKey: "m1", batchSize: 4 });
    assert.equal(got.cached, false);
    const out = featuresDir(dir);
    // Headers as NumPy writes them: dtype, C order, shape, and a 64-byte aligned header.
    const expect: Record<string, [string, number[]]> = { "features.npy": ["float32", [2 * N, 128]], "labels.npy": ["int32", [2 * N]], "is_adv.npy": ["uint8", [2 * N]], "predicted.npy": ["int32", [2 * N]] };
    for (const [name, [dtype, shape]] of Object.entries(expect)) {
      const bytes = fs.readFileSync(path.join(out, name));
      const a = parseNpy(bytes, name);
      assert.deepEqual([a.dtype, a.shape, a.fortranOrder], [dtype, shape, false], name);
      assert.equal((10 + bytes.readUInt16LE(8)) % 64, 0, `${name}: header padded to 64 bytes`);
    }
    const clean = await deepFeatures(model, x);
    const adv = await deepFeatures(model, { data: adversarial, shape: x.shape });
    const back = readFeatureSet(dir);
    assert.deepEqual(back.features, Float32Array.from([...clean.features, ...adv.features]));
    assert.deepEqual(back.labels, Int32Array.from([...labels, ...labels]));
    assert.deepEqual(back.isAdv, Uint8Array.from({ length: 2 * N }, (_, i) => (i < N ? 0 : 1)));
    assert.deepEqual(back.predicted, Int32Array.from([...clean.predicted, ...adv.predicted]));
    assert.deepEqual([back.meta.attack, back.meta.eps, back.meta.task, back.meta.model, back.meta.layer, back.meta.n, back.meta.d], ["pgd", 1, "toy", "resnet-tiny", "feature", N, 128]);
    assert.deepEqual(readFeatureSet(out).features, back.features, "the features folder itself reads too");
    assert.deepEqual(takeRows(back.features, 128, [N]), adv.features.subarray(0, 128));

    assert.equal((await extractFeatures(dir, model, { modelKey: "m1" })).cached, true, "same set and model: reused");
    assert.equal((await extractFeatures(dir, model, { modelKey: "m2" })).cached, false, "another model: recomputed");
    await fakeSet(dir, { key: "resaved" });
    assert.equal((await extractFeatures(dir, model, { modelKey: "m2" })).cached, false, "set saved again: recomputed");
    assert.equal((await extractFeatures(dir, model)).cached, false, "keyed on the weights when no modelKey");
    assert.equal((await extractFeatures(dir, model)).cached, true);

    fs.writeFileSync(path.join(out, "features.npy"), "garbage");
    assert.throws(() => readFeatureSet(dir), /features\.npy.*notebooks\/07-deep-features/s);
    assert.equal((await extractFeatures(dir, model)).cached, false, "a damaged cache is recomputed");

    // numpy reads the files as they are (skipped where Python or NumPy is missing).
    const py = spawnSync("python3", ["-c", `import numpy as np, sys; d = sys.argv[1]; f = np.load(d + "/features.npy"); a = np.load(d + "/is_adv.npy"); print(f.shape, f.dtype, a.dtype, int(a.sum()), float(f[${N}, 0]))`, out], { encoding: "utf8" });
    const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
    if (hasNumpy) assert.equal(py.status, 0, py.stderr);
    if (hasNumpy) assert.equal(py.stdout.trim(), `(${2 * N}, 128) float32 uint8 ${N} ${Number(adv.features[0])}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("missing or corrupt adversarial sets fail with the fix (notebook 03 / mia attack)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-feat-"));
  try {
    await assert.rejects(extractFeatures(dir, model), /meta\.json is missing.*03-attacks.*mia -- attack/s);
    assert.throws(() => readFeatureSet(dir), /features-meta\.json is missing.*notebooks\/07/s);
    await fakeSet(dir);
    fs.rmSync(path.join(dir, "x_adv.npy"));
    await assert.rejects(extractFeatures(dir, model), /x_adv\.npy is missing.*mia -- attack/s);
    await fakeSet(dir);
    fs.writeFileSync(path.join(dir, "labels.npy"), fs.readFileSync(path.join(dir, "labels.npy")).subarray(0, 20));
    assert.throws(() => loadAdversarialSet(dir), /labels\.npy.*(truncated|header).*mia -- attack/s);
    assert.throws(() => loadAdversarialSet(dir), (e: Error) => !/re-download/.test(e.message), "a results file is recreated, not downloaded");
    // The fix names the real task and attack where the folder has the usual layout.
    const usual = path.join(dir, "smoke", "derm", "resnet20-s2", "adv", "pgd-eps0.5");
    assert.throws(() => loadAdversarialSet(usual), /mia -- attack --task derm --attack pgd --eps 0\.5 --profile smoke --model resnet20-s2/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("featurePartition: only correctly classified images, each with its adversarial row, disjoint, stratified, seeded", () => {
  const n = 60;
  const labels = new Int32Array(2 * n);
  const predicted = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    labels[i] = labels[n + i] = i % 2;
    predicted[i] = i % 5 === 0 ? 1 - labels[i] : labels[i]; // every 5th clean image wrong
    predicted[n + i] = i % 7 === 0 ? labels[i] : 1 - labels[i]; // every 7th attack failed
  }
  const set = { n, labels, predicted };
  const p = featurePartition(set, { seed: 3 });
  const correct = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0);
  assert.deepEqual([...p.images.advTrain, ...p.images.advTest].sort((a, b) => a - b), correct);
  assert.equal(p.dropped, n - correct.length);
  assert.equal(p.images.advTrain.filter((i) => p.images.advTest.includes(i)).length, 0, "disjoint");
  assert.deepEqual(p.advTrain, [...p.images.advTrain, ...p.images.advTrain.map((i) => n + i)], "clean and adversarial rows of an image on the same side");
  assert.deepEqual(p.advTest, [...p.images.advTest, ...p.images.advTest.map((i) => n + i)]);
  assert.ok(Math.abs(p.images.advTrain.length - 0.8 * correct.length) <= 2, "about 80 / 20");
  for (const c of [0, 1]) assert.ok(p.images.advTest.some((i) => labels[i] === c), `class ${c} in AdvTest`);
  assert.deepEqual(featurePartition(set, { seed: 3 }), p, "same seed, same split");
  assert.notDeepEqual(featurePartition(set, { seed: 4 }).images.advTest, p.images.advTest, "another seed, another split");
  const s = featurePartition(set, { seed: 3, onlySuccessful: true });
  assert.deepEqual([...s.images.advTrain, ...s.images.advTest].sort((a, b) => a - b), correct.filter((i) => i % 7 !== 0));
  const g = featurePartition(set, { seed: 1, groups: Array.from({ length: n }, (_, i) => `patient${Math.floor(i / 4)}`) });
  const side = new Map<string, string>();
  for (const [name, imgs] of Object.entries(g.images)) for (const i of imgs) {
    const k = `patient${Math.floor(i / 4)}`;
    assert.equal(side.get(k) ?? name, name, `${k} on one side`);
    side.set(k, name);
  }
});
