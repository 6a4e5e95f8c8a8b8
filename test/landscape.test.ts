/**
 * The loss landscape against closed forms. On the linear "mean brightness" model (logits =
 * [a (0.5 - m), a (m - 0.5)], m the mean pixel) the CE gradient has the same sign on every
 * pixel, -s with s = +1 for label 1 and -1 for label 0, so x + e1 d1 + e2 d2 moves m by
 * -s (e1 + e2)/255 and CE = softplus(-2 a s (m - 0.5) + 2 a (e1 + e2)/255) exactly.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend, createEngine, type Engine } from "../src/backend";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crossEntropyRows, lossAt, lossIncreaseRatio, lossLandscape, PAPER_GRID, sharpness, sharpnessPerImage, validateGrid } from "../src/landscape";
import { PROFILES } from "../src/config";
import { blackBoxProfile, blackBoxRoot, trainBlackBox } from "../src/train";
import { landscapeFigure } from "../src/plots";
import { brightnessModel } from "./support/models";

const SIDE = 4;
const A = 40;

const VALUES = [0.3, 0.45, 0.52, 0.7];
const LABELS = [0, 0, 1, 1];
const softplus = (t: number) => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));
/** Closed-form CE of image k after moving m by `shift` (/255) against its label. */
const closed = (k: number, shift: number) => softplus(-2 * A * (LABELS[k] ? 1 : -1) * (VALUES[k] - 0.5) + (2 * A * shift) / 255);

let white: Engine;
let pooled: Engine;
let opposite: Engine;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
before(async () => {
  await initBackend();
  white = await createEngine(brightnessModel(SIDE, A), { workers: 1 });
  pooled = await createEngine(white.model, { workers: 2 }); // the worker-pool path used on real data (wasm)
  // Same boundary, opposite logits: its CE gradient points the other way, so d2 = -d1.
  opposite = await createEngine(brightnessModel(SIDE, -A), { workers: 1 });
  x = tf.tidy(() => tf.concat(VALUES.map((v) => tf.fill([1, SIDE, SIDE, 1], v))) as tf.Tensor4D);
  y = tf.tensor1d(LABELS, "int32");
});
after(() => pooled.close());

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 2e-4 + 2e-4 * Math.abs(b), `${what}: ${a} vs ${b}`);

test("white = black box on the linear model: every grid value is the closed form, and the surface depends only on e1 + e2", async () => {
  const before = tf.memory().numTensors;
  const s = await lossLandscape(white, white, x, y, { batchSize: 37 }); // chunks straddle images and grid rows
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.deepEqual(s.grid, [...PAPER_GRID]);
  assert.equal(s.n, VALUES.length);
  assert.equal(s.loss.length, VALUES.length);
  const g = s.grid.length;
  assert.equal(g, 16);
  for (let k = 0; k < s.n; k++)
    for (let i = 0; i < g; i++)
      for (let j = 0; j < g; j++) {
        close(s.loss[k][i][j], closed(k, s.grid[i] + s.grid[j]), `image ${k} at (${s.grid[i]}, ${s.grid[j]})`);
        // Symmetric, and constant along anti-diagonals (grid steps are equal).
        close(s.loss[k][i][j], s.loss[k][j][i], `symmetry ${k} ${i} ${j}`);
        if (i + 1 < g && j > 0) close(s.loss[k][i][j], s.loss[k][i + 1][j - 1], `anti-diagonal ${k} ${i} ${j}`);
      }
  for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) close(s.mean[i][j], s.loss.reduce((a, l) => a + l[i][j], 0) / s.n, "mean");
});

test("an opposite black-box gradient gives a surface in e1 - e2 (d2 really comes from the black box); pool = main thread", async () => {
  const grid = [0, 1, 2.5];
  const s = await lossLandscape(pooled, opposite, x, y, { grid, batchSize: 5 });
  for (let k = 0; k < s.n; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(s.loss[k][i][j], closed(k, grid[i] - grid[j]), `image ${k} (${grid[i]}, ${grid[j]})`);
});

test("cache: a cached surface equals the computed one to the last digit; other weights, images or grid are other entries; a cut-short entry is recomputed", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-land-"));
  const grid = [0, 1, 2.5];
  const fresh = await lossLandscape(white, opposite, x, y, { grid, batchSize: 5 });
  const first = await lossLandscape(white, opposite, x, y, { grid, batchSize: 5, cache: dir });
  assert.equal(first.cached, false);
  const again = await lossLandscape(white, opposite, x, y, { grid, batchSize: 5, cache: dir });
  assert.equal(again.cached, true);
  assert.deepEqual([again.grid, again.n, again.loss, again.mean], [fresh.grid, fresh.n, fresh.loss, fresh.mean], "cached = computed, every value");
  assert.equal(fs.readdirSync(path.join(dir, "landscape")).length, 1);
  // Another black box (same architecture, other weights), other images, another grid: new entries.
  assert.equal((await lossLandscape(white, white, x, y, { grid, batchSize: 5, cache: dir })).cached, false, "other black-box weights");
  const x2 = tf.tidy(() => tf.add(x, 1e-3) as tf.Tensor4D);
  assert.equal((await lossLandscape(white, opposite, x2, y, { grid, batchSize: 5, cache: dir })).cached, false, "other images");
  x2.dispose();
  assert.equal((await lossLandscape(white, opposite, x, y, { grid: [0, 1], batchSize: 5, cache: dir })).cached, false, "another grid");
  assert.equal(fs.readdirSync(path.join(dir, "landscape")).length, 4);
  // A write cut short counts as absent, and is replaced.
  for (const f of fs.readdirSync(path.join(dir, "landscape"))) fs.writeFileSync(path.join(dir, "landscape", f), '{"grid": [0, 1');
  const redo = await lossLandscape(white, opposite, x, y, { grid, batchSize: 5, cache: dir });
  assert.equal(redo.cached, false);
  assert.deepEqual(redo.loss, fresh.loss);
  assert.equal((await lossLandscape(white, opposite, x, y, { grid, batchSize: 5, cache: dir })).cached, true);
  // Without `cache`, nothing is read or written.
  assert.equal((await lossLandscape(white, opposite, x, y, { grid, batchSize: 5 })).cached, false);
});

test("sharpness and loss increase ratio: closed form, on and between grid points", async () => {
  const s = await lossLandscape(white, white, x, y, { grid: [0, 0.5, 1, 2] });
  const meanAt = (e: number) => VALUES.reduce((a, _, k) => a + closed(k, e), 0) / VALUES.length;
  close(sharpness(s), meanAt(1) - meanAt(0), "sharpness at 1/255");
  close(lossIncreaseRatio(s), meanAt(1) / meanAt(0), "ratio at 1/255");
  // Between grid points the mean loss is linearly interpolated.
  close(sharpness(s, 1.5), (meanAt(1) + meanAt(2)) / 2 - meanAt(0), "sharpness at 1.5/255 (interpolated)");
  close(lossAt(s, 0.5, 1), meanAt(1.5), "lossAt on the grid");
  // Per image: the closed form of each image, and their mean is the surface's sharpness.
  for (const e of [1, 1.5]) {
    const per = sharpnessPerImage(s, e);
    assert.equal(per.length, VALUES.length);
    per.forEach((v, k) => close(v, e === 1 ? closed(k, 1) - closed(k, 0) : (closed(k, 1) + closed(k, 2)) / 2 - closed(k, 0), `image ${k} at ${e}/255`));
    close(per.reduce((a, v) => a + v, 0) / per.length, sharpness(s, e), `mean of per-image sharpness at ${e}/255`);
  }
  assert.ok(sharpness(s) > 0, "moving along the gradient raises the loss");
  assert.throws(() => sharpness(s, 3), /e1 = 3 is outside the surface's grid \[0, 2\]/);
  const shifted = { ...s, grid: [0.5, 1, 1.5, 2] };
  assert.throws(() => sharpness(shifted), /grid must start at 0/);
});

test("stable cross-entropy on large logits", () => {
  const ce = crossEntropyRows([1000, 0, 0, 1000], [0, 0], 2);
  assert.equal(ce[0], 0);
  assert.equal(ce[1], 1000);
  assert.throws(() => crossEntropyRows([0, 0], [2], 2), /label 2 of row 0 is not a class index in \[0, 2\)/);
});

test("bad grids, labels and batch sizes are clear errors", async () => {
  assert.throws(() => validateGrid([]), /non-empty array/);
  assert.throws(() => validateGrid([0, NaN]), /finite numbers .*grid\[1\] = NaN/);
  assert.throws(() => validateGrid([0, Infinity]), /finite numbers/);
  assert.throws(() => validateGrid([-1, 0]), /in \[0, 255\].*grid\[0\] = -1/);
  assert.throws(() => validateGrid([0, 256]), /in \[0, 255\]/);
  assert.throws(() => validateGrid([0, 2, 1]), /strictly increasing/);
  const before = tf.memory().numTensors;
  await assert.rejects(lossLandscape(white, white, x, y, { grid: [0, 300] }), /in \[0, 255\]/);
  await assert.rejects(lossLandscape(white, white, x, y, { batchSize: 0 }), /batchSize must be a whole number >= 1/);
  const y3 = tf.tensor1d([0, 1, 1], "int32");
  await assert.rejects(lossLandscape(white, white, x, y3), /labels must be a 1-D tensor of 4 labels/);
  y3.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("landscapeFigure: one 3-D surface per dataset in its own scene, z = mean transposed, labelled axes", async () => {
  const s = await lossLandscape(white, opposite, x, y, { grid: [0, 1, 3] });
  const fig = landscapeFigure({ chest: s, derm: s });
  assert.equal(fig.data.length, 2);
  const [t0, t1] = fig.data as Array<Record<string, unknown>>;
  assert.equal(t0.type, "surface");
  assert.equal(t0.scene, "scene");
  assert.equal(t1.scene, "scene2");
  const z = t0.z as number[][];
  // plotly indexes z[y][x]: x = e1 = grid[i], y = e2 = grid[j].
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(z[j][i], s.mean[i][j]);
  assert.notEqual(s.mean[0][2], s.mean[2][0], "an asymmetric surface, so the transpose is tested");
  const layout = fig.layout as Record<string, any>;
  for (const sc of ["scene", "scene2"]) {
    assert.equal(layout[sc].xaxis.title.text, "ε₁ white-box (/255)");
    assert.equal(layout[sc].yaxis.title.text, "ε₂ black-box (/255)");
    assert.equal(layout[sc].zaxis.title.text, "loss");
  }
  assert.ok(layout.scene.domain.x[1] <= layout.scene2.domain.x[0], "side by side");
  // Each surface has its colour bar inside its own scene's column, titled.
  for (const [k, t] of [t0, t1].entries()) {
    assert.equal(t.showscale, true);
    const cb = t.colorbar as { x: number; y: number; orientation: string; title: { text: string } };
    assert.equal(cb.title.text, "loss");
    const sc = layout[k === 0 ? "scene" : "scene2"].domain;
    assert.ok(cb.x > sc.x[0] && cb.x < sc.x[1], `colour bar ${k} at x ${cb.x} inside [${sc.x}]`);
    assert.ok(cb.orientation === "h" && cb.y < sc.y[0], `colour bar ${k} under its scene`);
  }
  assert.throws(() => landscapeFigure({}), /at least one surface/);
});

test("trainBlackBox: another seed on the explain plan's subset, in its own run folder beside the main models", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mia-black-box-"));
  process.env.MIA_MODELS_DIR = root;
  try {
    const smoke = PROFILES.smoke;
    assert.equal(blackBoxProfile(smoke), smoke, "no subset: the main profile as it is");
    const profile = { ...smoke, explain: { ...smoke.explain, blackBoxTrainPerClass: 4 } };
    assert.equal(blackBoxRoot(profile), path.join(root, "black-box-4-per-class"));
    const bb = await trainBlackBox("cxr", { profile, quiet: true });
    assert.equal(bb.trainCount, 8, "4 images of each of cxr's 2 classes");
    assert.equal(bb.key.seed, 1);
    assert.ok(bb.runDir.startsWith(path.join(root, "black-box-4-per-class") + path.sep), bb.runDir);
    bb.model.dispose();
    assert.ok(!fs.existsSync(path.join(root, "smoke")), "the main models' folder is untouched");
  } finally {
    delete process.env.MIA_MODELS_DIR;
  }
});
