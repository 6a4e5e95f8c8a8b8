/**
 * Saliency methods against independent references: central finite differences for the vanilla
 * gradient, the exact closed form of Integrated Gradients on a linear model (and completeness on a
 * non-linear one), Grad-CAM's closed form where everything after the layer is linear (GAP ->
 * Dense), a hand-written bilinear upsampling, and massFraction's closed forms. The graph splitter
 * is checked against model.predict with random weights (batch-norm statistics included).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend, createEngine, type Engine } from "../src/backend";
import { buildModel, intermediateModel, runFrom, runTo, executeGraph } from "../src/models";
import { GradCAM, IntegratedGradients, SmoothGrad, VanillaGradient, massFraction, saliencyMap, riemannRule } from "../src/saliency";

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Every weight random (batch-norm variances positive), so that training-mode BN or dropout would show. */
function randomizeWeights(m: tf.LayersModel, seed: number) {
  let s = seed;
  m.setWeights(m.getWeights().map((w, i) => tf.tidy(() => (m.weights[i].name.includes("moving_variance") ? tf.randomUniform(w.shape, 0.5, 2, "float32", s++) : tf.randomNormal(w.shape, 0, 0.3, "float32", s++)))));
}

/** A smooth tiny net (tanh conv -> flatten -> dense) for finite differences: [4, 4, 2] -> 3 logits. */
function smoothModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 2] });
  let y = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", activation: "tanh", kernelInitializer: tf.initializers.randomNormal({ stddev: 0.8, seed: 1 }), name: "conv" }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ stddev: 0.6, seed: 2 }), name: "logits" }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** logits = W x + b on the flattened [3, 3, 2] image. */
const LIN = { h: 3, w: 3, c: 2, classes: 3 };
function linearModel(): { model: tf.LayersModel; W: Float32Array } {
  const d = LIN.h * LIN.w * LIN.c;
  const input = tf.input({ shape: [LIN.h, LIN.w, LIN.c] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: LIN.classes, name: "logits" });
  const model = tf.model({ inputs: input, outputs: dense.apply(flat) as tf.SymbolicTensor });
  const W = Float32Array.from({ length: d * LIN.classes }, (_, i) => Math.sin(1.7 * i + 0.3)); // [d, classes], row-major
  dense.setWeights([tf.tensor2d(W, [d, LIN.classes]), tf.tensor1d([0.5, -1, 2])]);
  return { model, W };
}

let smooth: tf.LayersModel;
let smoothEngine: Engine;
let lin: { model: tf.LayersModel; W: Float32Array };
let linEngine: Engine;
before(async () => {
  await initBackend();
  smooth = smoothModel();
  smoothEngine = await createEngine(smooth, { workers: 1 });
  lin = linearModel();
  linEngine = await createEngine(lin.model, { workers: 1 });
});
after(() => {
  smooth.dispose();
  lin.model.dispose();
});

/** Per-example float64 cross-entropy and logits of a float32 model. */
function logitsOf(m: tf.LayersModel, x: Float32Array, shape: number[]): Float64Array {
  const t = tf.tensor(x, shape);
  const z = m.predict(t) as tf.Tensor;
  const out = Float64Array.from(z.dataSync());
  tf.dispose([t, z]);
  return out;
}
function ceRow(z: Float64Array, classes: number, i: number, t: number): number {
  const row = Array.from(z.subarray(i * classes, (i + 1) * classes));
  const mx = Math.max(...row);
  return Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx - row[t];
}

test("split execution reproduces model.predict: resnet-tiny at every stage, and a net whose skip connection bypasses the cut", () => {
  const m = buildModel("resnet-tiny", [16, 16, 3], 3, 0);
  randomizeWeights(m, 7);
  const x = tf.randomUniform([3, 16, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const ref = m.predict(x) as tf.Tensor;
  const all = executeGraph(m, [[m.inputs[0], x]], [m.outputs[0]])[0];
  assert.ok(maxAbs(all, ref) < 1e-5, `whole graph: ${maxAbs(all, ref)}`);
  for (const layer of ["conv1_relu", "conv2_block1_out", "conv3_block1_out", "avg_pool", "feature"]) {
    const a = runTo(m, x, layer);
    const viaModel = intermediateModel(m, [layer]).predict(x) as tf.Tensor;
    assert.ok(maxAbs(a, viaModel) < 1e-5, `runTo ${layer}`);
    const z = runFrom(m, layer, a);
    assert.ok(maxAbs(z, ref) < 1e-5, `runFrom ${layer}: ${maxAbs(z, ref)}`);
    tf.dispose([a, viaModel, z]);
  }
  // Inside a block the shortcut bypasses the cut: without x it is a clear error, with x exact.
  const inner = runTo(m, x, "conv3_block1_1_relu");
  assert.throws(() => runFrom(m, "conv3_block1_1_relu", inner), /does not separate .* pass x to runFrom/);
  const z = runFrom(m, "conv3_block1_1_relu", inner, x);
  assert.ok(maxAbs(z, ref) < 1e-5, `bypassed cut: ${maxAbs(z, ref)}`);
  // Replacing the activation changes only what flows through the cut: zeroing it leaves the shortcut's contribution.
  const zero = tf.zerosLike(inner);
  const zeroed = runFrom(m, "conv3_block1_1_relu", zero, x);
  assert.ok(maxAbs(zeroed, ref) > 1e-4, "the fed activation is used");
  tf.dispose([ref, all, inner, z, zero, zeroed]);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.throws(() => runTo(m, x, "nope"), /has no layer 'nope'/);
  x.dispose();
  m.dispose();

  // A hand-built residual net: two adds, one of them around two layers, and a dense head.
  const input = tf.input({ shape: [6, 6, 2] });
  const c1 = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same", name: "c2" }).apply(c1) as tf.SymbolicTensor;
  const s1 = tf.layers.add({ name: "s1" }).apply([input, c2]) as tf.SymbolicTensor;
  const c3 = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: "tanh", name: "c3" }).apply(s1) as tf.SymbolicTensor;
  const s2 = tf.layers.add({ name: "s2" }).apply([s1, c3, input]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4 }).apply(tf.layers.flatten().apply(s2)) as tf.SymbolicTensor;
  const r = tf.model({ inputs: input, outputs: out });
  randomizeWeights(r, 11);
  const xr = tf.randomUniform([2, 6, 6, 2], -1, 1, "float32", 4) as tf.Tensor4D;
  const refR = r.predict(xr) as tf.Tensor;
  for (const layer of ["c1", "c2", "s1", "c3"]) {
    const a = runTo(r, xr, layer);
    const zr = runFrom(r, layer, a, xr);
    assert.ok(maxAbs(zr, refR) < 1e-5, `residual net, cut at ${layer}: ${maxAbs(zr, refR)}`);
    tf.dispose([a, zr]);
  }
  tf.dispose([xr, refR]);
  r.dispose();
});

test("VanillaGradient equals central finite differences of the true-class cross-entropy (and of the logit), on the main thread and the pool", async () => {
  const x = tf.randomUniform([2, 4, 4, 2], 0, 1, "float32", 21) as tf.Tensor4D;
  const target = [2, 0];
  const xs = Float32Array.from(x.dataSync());
  const h = 1e-2;
  for (const of of ["ce", "logit"] as const) {
    const g = await new VanillaGradient(smoothEngine, { of }).attribute(x, target);
    assert.deepEqual(g.shape, [2, 4, 4, 2]);
    const gd = g.dataSync();
    const f = (z: Float64Array, i: number) => (of === "ce" ? ceRow(z, 3, i, target[i]) : z[i * 3 + target[i]]);
    let largest = 0;
    for (let idx = 0; idx < xs.length; idx++) {
      const i = Math.floor(idx / 32);
      const plus = xs.slice();
      plus[idx] += h;
      const minus = xs.slice();
      minus[idx] -= h;
      const numeric = (f(logitsOf(smooth, plus, x.shape), i) - f(logitsOf(smooth, minus, x.shape), i)) / (2 * h);
      assert.ok(Math.abs(numeric - gd[idx]) <= 1e-3 + 1e-2 * Math.abs(numeric), `${of} d/dx[${idx}]: ${gd[idx]} vs numeric ${numeric}`);
      largest = Math.max(largest, Math.abs(numeric));
    }
    assert.ok(largest > 0.05, `the check is not vacuous (largest derivative ${largest})`);
    g.dispose();
  }
  // Per-example gradients do not depend on the batch or on sharding over workers.
  const pool = await createEngine(smooth, { workers: 2 });
  try {
    const a = await new VanillaGradient(smoothEngine).attribute(x, target);
    const b = await new VanillaGradient(pool).attribute(x, target);
    const single = await new VanillaGradient(smoothEngine).attribute(x.slice([1], [1]) as tf.Tensor4D, [0]);
    assert.ok(maxAbs(a, b) < 1e-6, "pool vs main thread");
    assert.ok(maxAbs(a.slice([1], [1]), single) < 1e-6, "batch of 2 vs alone");
    tf.dispose([a, b, single]);
  } finally {
    await pool.close();
  }
  x.dispose();
});

test("saliencyMap is |sum over channels| (not the sum of |.|), one map per image", () => {
  // Pixel (0,0): channels +1 and -1 cancel; pixel (0,1): -2 and -1 give 3.
  const attr = tf.tensor4d([1, -1, -2, -1, 0.5, 0.25, 0, 0, /* image 2 */ 3, 0, 0, -4, 0, 0, 1, 1], [2, 2, 2, 2]);
  const m = saliencyMap(attr);
  assert.deepEqual(m.shape, [2, 2, 2]);
  assert.deepEqual(Array.from(m.dataSync()), [0, 3, 0.75, 0, 3, 4, 0, 2]);
  assert.throws(() => saliencyMap(tf.zeros([2, 2])), /needs attributions \[n, h, w, c\]/);
  tf.dispose([attr, m]);
});

test("SmoothGrad: sigma = 0 is the vanilla gradient; the same seed repeats, another differs; on a linear model the logit gradient is W_t for any noise", async () => {
  const x = tf.randomUniform([2, 4, 4, 2], 0, 1, "float32", 5) as tf.Tensor4D;
  const v = await new VanillaGradient(smoothEngine).attribute(x, [1, 2]);
  const s0 = await new SmoothGrad(smoothEngine, { sigma: 0, samples: 3 }).attribute(x, [1, 2]);
  assert.ok(maxAbs(v, s0) < 1e-6, `sigma 0: ${maxAbs(v, s0)}`);
  const a = await new SmoothGrad(smoothEngine, { sigma: 0.2, samples: 4, seed: 3 }).attribute(x, [1, 2]);
  const b = await new SmoothGrad(smoothEngine, { sigma: 0.2, samples: 4, seed: 3 }).attribute(x, [1, 2]);
  const c = await new SmoothGrad(smoothEngine, { sigma: 0.2, samples: 4, seed: 4 }).attribute(x, [1, 2]);
  assert.equal(maxAbs(a, b), 0, "same seed, same map");
  assert.ok(maxAbs(a, c) > 1e-4, "another seed, another map");
  assert.ok(maxAbs(a, v) > 1e-4, "noise changes a non-linear model's gradient");
  const one = await new SmoothGrad(smoothEngine, { sigma: 0.2, samples: 1, seed: 3 }).attribute(x, [1, 2]);
  assert.ok(maxAbs(a, one) > 1e-4, "each sample draws its own noise");

  const xl = tf.randomUniform([2, LIN.h, LIN.w, LIN.c], 0, 1, "float32", 6) as tf.Tensor4D;
  const g = await new SmoothGrad(linEngine, { of: "logit", sigma: 0.5, samples: 3 }).attribute(xl, 1);
  const Wt = tf.tidy(() => tf.reshape(tf.tensor2d(lin.W, [LIN.h * LIN.w * LIN.c, LIN.classes]).slice([0, 1], [-1, 1]), [1, LIN.h, LIN.w, LIN.c]));
  assert.ok(maxAbs(g, tf.tidy(() => tf.tile(Wt, [2, 1, 1, 1]))) < 1e-5, "linear logit gradient = W_t");
  tf.dispose([x, v, s0, a, b, c, one, xl, g, Wt]);
});

test("IntegratedGradients: exactly x ⊙ W_t on a linear model with a zero baseline; completeness on a non-linear model for both rules and a tensor baseline", async () => {
  const xl = tf.randomUniform([3, LIN.h, LIN.w, LIN.c], -1, 1, "float32", 8) as tf.Tensor4D;
  const target = [0, 2, 1];
  const W = tf.tensor2d(lin.W, [LIN.h * LIN.w * LIN.c, LIN.classes]);
  // Reference: row i is x_i ⊙ W[:, t_i], computed from the weights, not from gradients.
  const ref = tf.tidy(() => tf.mul(xl, tf.reshape(tf.transpose(tf.gather(tf.transpose(W), target)), [LIN.h, LIN.w, LIN.c, 3]).transpose([3, 0, 1, 2])));
  for (const method of ["riemann_trapezoid", "riemann_middle"] as const) {
    for (const steps of [2, 7]) {
      const ig = await new IntegratedGradients(linEngine, { steps, method }).attribute(xl, target);
      assert.ok(maxAbs(ig, ref) < 1e-5, `${method} ${steps} steps: ${maxAbs(ig, ref)}`);
      ig.dispose();
    }
  }
  tf.dispose([xl, W, ref]);

  const x = tf.randomUniform([2, 4, 4, 2], 0, 1, "float32", 9) as tf.Tensor4D;
  const t = [1, 0];
  const baselines: Array<[string, number | tf.Tensor]> = [["zero", 0], ["0.5", 0.5], ["tensor [1,h,w,c]", tf.randomUniform([1, 4, 4, 2], 0, 1, "float32", 10)]];
  for (const [label, baseline] of baselines) {
    const fx = logitsOf(smooth, Float32Array.from(x.dataSync()), x.shape);
    const b = tf.tidy(() => tf.add(tf.zerosLike(x), baseline));
    const fb = logitsOf(smooth, Float32Array.from(b.dataSync()), x.shape);
    b.dispose();
    for (const method of ["riemann_trapezoid", "riemann_middle"] as const) {
      const ig = await new IntegratedGradients(smoothEngine, { steps: 64, method, baseline }).attribute(x, t);
      const sums = tf.tidy(() => tf.sum(ig, [1, 2, 3]).dataSync());
      for (let i = 0; i < 2; i++) {
        const want = fx[i * 3 + t[i]] - fb[i * 3 + t[i]];
        assert.ok(Math.abs(sums[i] - want) <= 2e-3 + 5e-3 * Math.abs(want), `${label} ${method} image ${i}: sum ${sums[i]} vs f(x) - f(b) ${want}`);
      }
      ig.dispose();
    }
  }
  (baselines[2][1] as tf.Tensor).dispose();
  x.dispose();
  // The rules themselves: weights sum to 1, trapezoid includes both ends.
  assert.deepEqual(riemannRule("riemann_trapezoid", 3), { alphas: [0, 0.5, 1], weights: [0.25, 0.5, 0.25] });
  assert.deepEqual(riemannRule("riemann_middle", 2), { alphas: [0.25, 0.75], weights: [0.5, 0.5] });
});

/** Half-pixel-centre bilinear upsampling of one [h, w] map, written out (OpenCV/PIL convention). */
function bilinear(src: ArrayLike<number>, h: number, w: number, H: number, W: number): number[] {
  const out: number[] = [];
  const at = (y: number, x: number) => src[y * w + x];
  for (let Y = 0; Y < H; Y++) {
    const sy = Math.min(Math.max((Y + 0.5) * (h / H) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    for (let X = 0; X < W; X++) {
      const sx = Math.min(Math.max((X + 0.5) * (w / W) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      out.push((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
    }
  }
  return out;
}

/** Grad-CAM's closed form when the layer is followed by GAP and linear maps: ReLU(sum_k v_k A_k) / (h w), v = the head's effective weights for the target. */
function camReference(A: tf.Tensor4D, v: number[][], target: number[]): number[][] {
  const [n, h, w, k] = A.shape;
  const a = A.dataSync();
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: h * w }, (_, p) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += v[c][target[i]] * a[(i * h * w + p) * k + c];
      return Math.max(s, 0) / (h * w);
    }),
  );
}
const close = (got: ArrayLike<number>, want: number[], tol: number, what: string) => want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= tol, `${what}[${i}]: ${got[i]} vs ${v}`));

test("Grad-CAM on conv -> GAP -> dense is ReLU(sum_k w_kt A_k)/HW; upsampling is bilinear, normalisation min-max", async () => {
  const input = tf.input({ shape: [8, 8, 1] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), name: "features" });
  const A = conv.apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 2, name: "logits" });
  const m = tf.model({ inputs: input, outputs: dense.apply(tf.layers.globalAveragePooling2d({}).apply(A)) as tf.SymbolicTensor });
  const wd = [[1, -1], [-2, 0.5], [0.5, 1]]; // [channel][class], mixed signs so the ReLU matters
  dense.setWeights([tf.tensor2d(wd), tf.tensor1d([0.3, -0.3])]);
  const x = tf.randomUniform([2, 8, 8, 1], 0, 1, "float32", 12) as tf.Tensor4D;
  const target = [0, 1];
  const act = intermediateModel(m, ["features"]).predict(x) as tf.Tensor4D; // [2, 4, 4, 3]
  const ref = camReference(act, wd, target);
  assert.ok(ref.every((r) => r.some((v) => v > 0) && r.some((v) => v === 0)), "the reference has both signs before the ReLU");

  const raw = await new GradCAM(m, { layer: "features", upsample: false, normalize: false }).attribute(x, target);
  assert.deepEqual(raw.shape, [2, 4, 4]);
  close(raw.dataSync(), ref.flat(), 1e-6, "raw");

  const norm = await new GradCAM(m, { layer: "features", upsample: false }).attribute(x, target);
  close(norm.dataSync(), ref.flatMap((r) => r.map((v) => (v - Math.min(...r)) / (Math.max(...r) - Math.min(...r)))), 1e-5, "normalised");

  const up = await new GradCAM(m, { layer: "features", normalize: false }).attribute(x, target);
  assert.deepEqual(up.shape, [2, 8, 8]);
  close(up.dataSync(), ref.flatMap((r) => bilinear(r, 4, 4, 8, 8)), 1e-6, "upsampled");
  tf.dispose([x, act, raw, norm, up]);
  m.dispose();
});

test("Grad-CAM on resnet-tiny: default layer is the last stage, closed form through the (linear) paper head, memory flat", async () => {
  const m = buildModel("resnet-tiny", [16, 16, 3], 3, 0);
  randomizeWeights(m, 5);
  const cam = new GradCAM(m, { upsample: false, normalize: false });
  assert.equal(cam.layer, "conv3_block1_out");
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 13) as tf.Tensor4D;
  const target = [2, 1];
  // avg_pool -> feature (Dense) -> dropout (off) -> logits (Dense) is linear: v = W_feature W_logits.
  const v = tf.tidy(() => tf.matMul(m.getLayer("feature").getWeights()[0], m.getLayer("logits").getWeights()[0]).arraySync() as number[][]);
  const act = runTo(m, x, cam.layer) as tf.Tensor4D;
  const ref = camReference(act, v, target);
  assert.ok(ref.flat().some((p) => p > 0), "not all zero");
  const before = tf.memory().numTensors;
  const got = await cam.attribute(x, target);
  close(got.dataSync(), ref.flat(), 1e-5 * Math.max(...ref.flat()), "resnet cam");
  got.dispose();
  const full = await new GradCAM(m).attribute(x, target);
  assert.deepEqual(full.shape, [2, 16, 16]);
  const [lo, hi] = tf.tidy(() => [tf.min(full).dataSync()[0], tf.max(full).dataSync()[0]]);
  assert.ok(lo >= 0 && Math.abs(hi - 1) < 1e-6, `normalised to [0, 1]: [${lo}, ${hi}]`);
  full.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.equal(new GradCAM(m, { layer: 2 }).layer, "conv2_block1_out");
  assert.throws(() => new GradCAM(m, { layer: "conv9_block1_out" }), /no layer 'conv9_block1_out'; stages: 1 \(conv1_relu\), 2 \(conv2_block1_out\), 3 \(conv3_block1_out\)/);
  assert.throws(() => new GradCAM(m, { layer: 7 }), /no stage 7; stages: 1 \(conv1_relu\)/);
  assert.throws(() => new GradCAM(m, { layer: "feature" }), /needs a layer with one \[batch, h, w, channels\] output/);
  await assert.rejects(cam.attribute(x, [0, 3]), /target 1 must be a class index in \[0, 3\), got 3/);
  tf.dispose([x, act]);
  m.dispose();
});

test("massFraction closed forms: uniform -> q, one hot pixel -> 1/N, a graded map, a batch at once", async () => {
  const N = 16;
  const maps = tf.tensor3d(
    [
      ...new Array(N).fill(2), // uniform
      ...Array.from({ length: N }, (_, i) => (i === 5 ? 3 : 0)), // one hot pixel
      ...[4, 2, 1, 1, ...new Array(N - 4).fill(0)], // mass 8: halves at 1 pixel, 3/4 at 2, all at 4
    ],
    [3, 4, 4],
  );
  assert.deepEqual(await massFraction(maps), [0.5, 1 / N, 1 / N]);
  assert.deepEqual(await massFraction(maps, 0.25), [0.25, 1 / N, 1 / N]);
  assert.deepEqual(await massFraction(maps, 0.75), [0.75, 1 / N, 2 / N]);
  assert.deepEqual(await massFraction(maps, 0.76), [13 / N, 1 / N, 3 / N]); // ceil(0.76 * 16) = 13
  assert.deepEqual(await massFraction(maps, 1), [1, 1 / N, 4 / N]);
  // Float values whose running sum rounds just below q * total still give q (25 x 0.1: 7 pixels carry 0.28).
  const tenths = tf.tensor3d(Array.from({ length: 25 }, () => 0.1), [1, 5, 5]);
  assert.deepEqual(await massFraction(tenths, 0.28), [7 / 25]);
  const zero = tf.zeros([1, 2, 2]);
  assert.ok(Number.isNaN((await massFraction(zero))[0]), "no mass, no spread");
  const neg = tf.tensor3d([1, -1, 0, 0], [1, 2, 2]);
  await assert.rejects(massFraction(neg), /negative or NaN values/);
  await assert.rejects(massFraction(maps, 0), /q must be a fraction in \(0, 1\]/);
  await assert.rejects(massFraction(maps, 1.5), /q must be a fraction/);
  tf.dispose([maps, tenths, zero, neg]);
});

test("bad options and targets are clear errors", async () => {
  assert.throws(() => new IntegratedGradients(linEngine, { steps: 0 }), /steps must be a whole number >= 1, got 0/);
  assert.throws(() => new IntegratedGradients(linEngine, { steps: 1 }), /trapezoid rule needs steps >= 2, got 1/);
  assert.doesNotThrow(() => new IntegratedGradients(linEngine, { steps: 1, method: "riemann_middle" }));
  assert.throws(() => new IntegratedGradients(linEngine, { method: "gausslegendre" as never }), /Unknown method 'gausslegendre'/);
  assert.throws(() => new IntegratedGradients(linEngine, { baseline: NaN }), /baseline must be a finite number/);
  assert.throws(() => new SmoothGrad(linEngine, { sigma: NaN }), /sigma must be a finite number >= 0 \(a fraction of the pixel range\), got NaN/);
  assert.throws(() => new SmoothGrad(linEngine, { sigma: -0.1 }), /sigma must be/);
  assert.throws(() => new SmoothGrad(linEngine, { samples: 2.5 }), /samples must be a whole number >= 1, got 2.5/);
  assert.throws(() => new SmoothGrad(linEngine, { range: [1, 0] }), /range must be \[lo, hi\] with lo < hi/);
  assert.throws(() => new VanillaGradient(linEngine, { of: "prob" as never }), /'of' must be "ce" or "logit"/);
  const x = tf.zeros([2, LIN.h, LIN.w, LIN.c]) as tf.Tensor4D;
  await assert.rejects(new VanillaGradient(linEngine).attribute(x, [0]), /target has 1 classes for a batch of 2/);
  await assert.rejects(new VanillaGradient(linEngine).attribute(x, 1.5), /target 0 must be a class index in \[0, 3\), got 1.5/);
  x.dispose();
});

test("no method leaks tensors over repeated calls", async () => {
  const x = tf.randomUniform([2, 4, 4, 2], 0, 1, "float32", 14) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1], "int32");
  const methods = [new VanillaGradient(smoothEngine), new SmoothGrad(smoothEngine, { samples: 2 }), new IntegratedGradients(smoothEngine, { steps: 3 }), new GradCAM(smooth, { layer: "conv" })];
  for (const m of methods) (await m.attribute(x, y)).dispose(); // warm-up (lazy weights, kernels)
  const before = tf.memory().numTensors;
  for (const m of methods) {
    const a = await m.attribute(x, y);
    const s = a.rank === 4 ? saliencyMap(a) : a.clone();
    await massFraction(s);
    tf.dispose([a, s]);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});
