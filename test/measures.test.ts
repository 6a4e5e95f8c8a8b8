/**
 * Claim 3's per-model measures (runs.modelMeasures, notebook 05's replicates): each equals the
 * measure made directly (saliency spread, feature rows, representation shift, and the loss rise on
 * the whole landscape grid, though only its first points are computed), and the cache returns
 * exactly what was computed, under a key that changes with the model, the images and the set.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend, createEngine } from "../src/backend";
import { buildModel, featureModel } from "../src/models";
import { loadAdversarialSet, saveAdversarial } from "../src/attacks/save";
import { representationShift } from "../src/features";
import { lossLandscape, sharpnessPerImage } from "../src/landscape";
import { massFraction, saliencyMap, SmoothGrad, VanillaGradient } from "../src/saliency";
import { gridUpTo, modelMeasures, type MeasureOptions } from "../src/runs";

const SHAPE: [number, number, number] = [16, 16, 3];
const N = 6;
const GRID = [0, 0.5, 1, 1.5, 2, 3];
let model: tf.LayersModel;
let other: tf.LayersModel;
let blackBox: tf.LayersModel;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
let tmp: string;
let setDir: string;
const options = (cache?: string): MeasureOptions => ({ stage: 3, smoothGradSamples: 3, sigma: 0.1, landscapeImages: 4, e1: 1, grid: GRID, cache });

function writeSet(dir: string, shiftBy: number) {
  const clean = x.dataSync() as Float32Array;
  const adversarial = clean.map((v, i) => Math.min(1, Math.max(0, v + (i % 2 ? shiftBy : -shiftBy))));
  const labels = y.dataSync() as Int32Array;
  saveAdversarial(dir, { shape: x.shape, clean, adversarial, labels, predClean: labels, predAdv: labels, ids: Array.from({ length: N }, (_, i) => `img${i}`), meta: { task: "toy", profile: "smoke", model: "resnet-tiny", attack: "pgd", eps: 1 } });
}

before(async () => {
  await initBackend();
  model = buildModel("resnet-tiny", SHAPE, 2, 0);
  other = buildModel("resnet-tiny", SHAPE, 2, 1);
  blackBox = buildModel("resnet-tiny", SHAPE, 2, 2);
  x = tf.randomUniform([N, ...SHAPE], 0, 1, "float32", 3) as tf.Tensor4D;
  y = tf.tensor1d([0, 1, 0, 1, 1, 0], "int32");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mia-measures-"));
  setDir = path.join(tmp, "set");
  writeSet(setDir, 0.03);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("gridUpTo keeps the grid through its first point at or beyond e, and refuses a grid that stops short", () => {
  assert.deepEqual(gridUpTo(GRID, 1), [0, 0.5, 1]);
  assert.deepEqual(gridUpTo(GRID, 0.7), [0, 0.5, 1]);
  assert.deepEqual(gridUpTo(GRID, 0), [0]);
  assert.throws(() => gridUpTo([0, 0.5], 1), /does not reach e1 = 1\/255/);
});

test("each measure equals the one made directly; the rise on the cut grid equals the rise on the whole surface", async () => {
  const m = await modelMeasures(model, blackBox, x, y, setDir, options());
  assert.equal(m.cached, false);
  const engine = await createEngine(model);
  const bb = await createEngine(blackBox);
  try {
    const spreadOf = async (attr: tf.Tensor4D) => {
      const map = saliencyMap(attr);
      const s = await massFraction(map, 0.5);
      tf.dispose([attr, map]);
      return s;
    };
    assert.deepEqual(m.spread, await spreadOf(await new VanillaGradient(engine).attribute(x, y)));
    assert.deepEqual(m.spreadSmooth, await spreadOf(await new SmoothGrad(engine, { samples: 3, sigma: 0.1 }).attribute(x, y)));
    assert.notDeepEqual(m.spread, m.spreadSmooth, "SmoothGrad is another map");
    const [xs, ys] = [x.slice(0, 4), y.slice(0, 4)];
    const whole = await lossLandscape(engine, bb, xs, ys, { grid: GRID });
    tf.dispose([xs, ys]);
    const want = sharpnessPerImage(whole, 1);
    assert.equal(m.rise.length, 4);
    m.rise.forEach((r, i) => assert.ok(Math.abs(r - want[i]) <= 1e-6 * (1 + Math.abs(want[i])), `rise ${i}: ${r} vs ${want[i]}`));
  } finally {
    await engine.close();
    await bb.close();
  }
  const feats = featureModel(model).predict(x) as tf.Tensor[];
  const f = feats[0].dataSync() as Float32Array;
  const d = feats[0].shape[1]!;
  tf.dispose(feats);
  assert.equal(m.featureRows.length, N);
  m.featureRows.forEach((row, i) => assert.deepEqual(row, f.slice(i * d, (i + 1) * d), `feature row ${i}`));
  const set = loadAdversarialSet(setDir);
  const [clean, adv] = [tf.tensor4d(set.clean, x.shape), tf.tensor4d(set.adversarial, x.shape)];
  const shift = await representationShift(model, clean, adv, 3);
  tf.dispose([clean, adv]);
  assert.deepEqual(m.shifts, shift.activation);
  assert.ok(m.shifts.some((s) => s > 0), "the set's images move the stage");
});

test("cache: the second call reads exactly what the first computed; another model, images or set is another entry; a cut-short entry is recomputed", async () => {
  const dir = path.join(tmp, "cache");
  const first = await modelMeasures(model, blackBox, x, y, setDir, options(dir));
  assert.equal(first.cached, false);
  const again = await modelMeasures(model, blackBox, x, y, setDir, options(dir));
  assert.equal(again.cached, true);
  const { cached: _a, ...a } = first;
  const { cached: _b, ...b } = again;
  assert.deepEqual(b, a, "cached = computed, every value (feature rows as Float32Array)");
  assert.equal((await modelMeasures(other, blackBox, x, y, setDir, options(dir))).cached, false, "another model");
  const x2 = tf.tidy(() => tf.reverse(x, 0)) as tf.Tensor4D;
  assert.equal((await modelMeasures(model, blackBox, x2, y, setDir, options(dir))).cached, false, "other images");
  x2.dispose();
  const set2 = path.join(tmp, "set2");
  writeSet(set2, 0.05);
  assert.equal((await modelMeasures(model, blackBox, x, y, set2, options(dir))).cached, false, "another adversarial set");
  assert.equal((await modelMeasures(model, blackBox, x, y, setDir, { ...options(dir), smoothGradSamples: 2 })).cached, false, "other settings");
  // Cut every entry short: each is computed again, then read.
  const entries = fs.readdirSync(path.join(dir, "measures"));
  assert.equal(entries.length, 5);
  for (const e of entries) fs.writeFileSync(path.join(dir, "measures", e), "{\"spread\": [0.1");
  const redo = await modelMeasures(model, blackBox, x, y, setDir, options(dir));
  assert.equal(redo.cached, false);
  assert.deepEqual(redo.spread, first.spread);
  assert.equal((await modelMeasures(model, blackBox, x, y, setDir, options(dir))).cached, true);
});

test("clear errors: labels that do not match the images, a set folder that does not exist", async () => {
  const y3 = tf.tensor1d([0, 1, 0], "int32");
  await assert.rejects(modelMeasures(model, blackBox, x, y3, setDir, options()), /images must be \(n, h, w, c\) with n labels/);
  y3.dispose();
  await assert.rejects(modelMeasures(model, blackBox, x, y, path.join(tmp, "nowhere"), options()), /nowhere/);
});
