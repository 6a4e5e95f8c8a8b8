/**
 * The webgpu backend against the cpu backend, at small sizes: kernels and their gradients, the
 * closed-form batch-norm gradient, whole models (logits, training gradients, input gradients),
 * the attacks' closed forms and invariants, and training end to end.
 *
 * Here it runs on Mesa's software renderer (Dawn's OpenGL ES backend, compatibility mode): the
 * same WGSL shaders a GPU runs, computed on the CPU. MIA_BACKEND=webgpu forces it (it is never
 * chosen automatically on a software adapter). Without Mesa's EGL/GLES libraries this file fails
 * with the fix; MIA_SKIP_WEBGPU=1 skips it on purpose.
 *
 * Tolerances (float32 on both sides; they differ in summation order and in exp/log):
 * forward values within 1e-5 of max |cpu value| (kernels) or 1e-4 (whole models), gradients within
 * 1e-4 (kernels) or 1e-3 (whole models), the closed forms of the attacks exactly.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, selectBackend, createEngine, type BackendInfo } from "../src/backend";
import { batchNormTraining, buildModel } from "../src/models";
import { BIM, CWLinf, FGSM, PGD, predictLabels } from "../src/attacks";
import { VanillaGradient } from "../src/saliency";
import { customTask, loadTask } from "../src/data";
import { PROFILES } from "../src/config";
import { train } from "../src/train";
import { syntheticNpz } from "./support/synthetic";
import { brightnessModel } from "./support/models";

const skip = process.env.MIA_SKIP_WEBGPU === "1" ? "MIA_SKIP_WEBGPU=1" : false;
let info: BackendInfo;

before(async () => {
  if (skip) return;
  process.env.MIA_WEBGPU_BACKEND ??= "opengles";
  try {
    info = await selectBackend({ override: "webgpu" });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nThe webgpu tests need Mesa's EGL and GLES (Debian: apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri; make setup does it as root), or MIA_SKIP_WEBGPU=1 to skip them.`);
  }
});

/** Deterministic values in [lo, hi) (a plain LCG, so both backends get the same numbers). */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * ((s = (s * 16807) % 2147483647) / 2147483647));
}

/** Runs `f` on a backend and reads its outputs asynchronously (webgpu has no synchronous read). */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  assert.equal(tf.getBackend(), backend);
  const outs = tf.tidy(f);
  const read = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(outs);
  await tf.setBackend("webgpu");
  return read;
}

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * max |a - b| <= tol * max |b| (and the same length), element-wise over each output; with
 * `scale: "all"`, max |b| over all the outputs together (for ill-conditioned tensors, below).
 */
function close(gpu: Float32Array[], cpu: Float32Array[], tol: number, what: string, scaleOf: "each" | "all" = "each"): void {
  assert.equal(gpu.length, cpu.length);
  const overall = Math.max(...cpu.map(maxAbs));
  gpu.forEach((g, k) => {
    const c = cpu[k];
    assert.equal(g.length, c.length, `${what} [${k}]: lengths`);
    const scale = Math.max(1e-12, scaleOf === "all" ? overall : maxAbs(c));
    let worst = 0;
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(g[i] - c[i]));
    assert.ok(worst <= tol * scale, `${what} [${k}]: max |webgpu - cpu| ${worst.toExponential(2)} > ${tol} x ${scale.toExponential(2)}`);
  });
}

async function both(f: () => tf.Tensor[], tol: number, what: string): Promise<void> {
  close(await on("webgpu", f), await on("cpu", f), tol, what);
}

test("the webgpu backend passes the self-check and the banner names the adapter and Dawn's backend", { skip }, () => {
  assert.equal(info.id, "webgpu");
  assert.equal(tf.getBackend(), "webgpu");
  assert.match(info.detail ?? "", /Dawn \w+/);
  assert.equal(info.threads, 1);
});

test("kernels and their gradients match the cpu backend: conv2d (same/valid, stride 1/2), matMul, pooling, reductions, softmax cross-entropy", { skip }, async () => {
  const x = values(2 * 9 * 9 * 3, 1);
  const w = values(3 * 3 * 3 * 4, 2, -0.5, 0.5);
  const conv = (stride: 1 | 2, pad: "same" | "valid") => () => {
    const xt = tf.tensor4d(x, [2, 9, 9, 3]);
    const wt = tf.tensor4d(w, [3, 3, 3, 4]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)), tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)));
    const [gx, gw] = tf.grads(f)([xt, wt]);
    return [tf.conv2d(xt, wt, stride, pad), gx, gw];
  };
  for (const [stride, pad] of [[1, "same"], [2, "same"], [1, "valid"], [2, "valid"]] as const) await both(conv(stride, pad), 1e-4, `conv2d stride ${stride} ${pad}`);
  await both(() => {
    const a = tf.tensor2d(values(15, 3), [3, 5]);
    const b = tf.tensor2d(values(20, 4), [5, 4]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))))([a, b]);
    return [tf.matMul(a, b), ga, gb];
  }, 1e-5, "matMul");
  await both(() => {
    const xt = tf.tensor4d(x, [2, 9, 9, 3]);
    const pools = (v: tf.Tensor) => tf.add(tf.sum(tf.square(tf.maxPool(v as tf.Tensor4D, 3, 2, "same"))), tf.sum(tf.square(tf.avgPool(v as tf.Tensor4D, 2, 2, "valid"))));
    return [tf.maxPool(xt, 3, 2, "same"), tf.avgPool(xt, 2, 2, "valid"), tf.mean(xt, [1, 2]), tf.max(xt, 3), tf.grad(pools)(xt)];
  }, 1e-5, "pooling and reductions");
  await both(() => {
    const logits = tf.tensor2d(values(5 * 4, 5, -4, 4), [5, 4]);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 2, 3], "int32"), 4);
    const ce = (l: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, l);
    return [ce(logits), tf.softmax(logits), tf.grad(ce)(logits)];
  }, 1e-5, "softmax cross-entropy");
});

test("the closed-form batch-norm training step (value and gradients) matches the cpu backend", { skip }, async () => {
  await both(() => {
    const xt = tf.tensor4d(values(4 * 5 * 5 * 6, 7, -2, 3), [4, 5, 5, 6]);
    const gamma = tf.tensor1d(values(6, 8, 0.5, 1.5));
    const beta = tf.tensor1d(values(6, 9));
    const dy = tf.tensor4d(values(4 * 5 * 5 * 6, 10), [4, 5, 5, 6]);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, g, b, 1e-3).y, dy));
    const { y, mean, variance } = batchNormTraining(xt, gamma, beta, 1e-3);
    return [y, mean, variance, ...tf.grads(f)([xt, gamma, beta])];
  }, 1e-4, "batch norm");
});

/** The same ResNet on both backends: built once on cpu, its weights copied as numbers. */
async function twinModels(name: string, shape: [number, number, number], classes: number) {
  await tf.setBackend("cpu");
  const cpuModel = buildModel(name, shape, classes, 3);
  const weights = await Promise.all(cpuModel.getWeights().map(async (t) => ({ data: Float32Array.from(await t.data()), shape: t.shape })));
  await tf.setBackend("webgpu");
  const gpuModel = buildModel(name, shape, classes, 3);
  gpuModel.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  return { cpuModel, gpuModel };
}

/** Logits, training gradients (and loss), input gradient and saliency of `name` on both backends. */
async function compareModel(name: string, side: number, classes: number, tol: { forward: number; gradient: number; gradientScale?: "each" | "all" } = { forward: 1e-4, gradient: 1e-3 }): Promise<void> {
  const { cpuModel, gpuModel } = await twinModels(name, [side, side, 3], classes);
  const n = 4;
  const xs = values(n * side * side * 3, 11, 0, 1);
  const ys = Int32Array.from({ length: n }, (_, i) => i % classes);
  const run = async (backend: string, model: tf.LayersModel) => {
    await tf.setBackend(backend);
    const engine = await createEngine(model, { workers: 1 });
    const x = tf.tensor4d(xs, [n, side, side, 3]);
    const y = tf.tensor1d(ys, "int32");
    const [logits] = await engine.predict(x);
    const { grads, loss } = await engine.trainGradients(x, y);
    const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    const g = await Promise.all(names.map(async (k) => Float32Array.from(await grads[k].data())));
    const ig = await engine.inputGradient(x, y);
    const sal = await new VanillaGradient(engine).attribute(x, ys);
    const out = { logits: [logits.data], grads: g, loss, inputGrad: [Float32Array.from(await ig.grad.data())], inputLoss: ig.loss, saliency: [Float32Array.from(await sal.data())] };
    tf.dispose([x, y, ig.grad, sal, ...Object.values(grads)]);
    await engine.close();
    return out;
  };
  const cpu = await run("cpu", cpuModel);
  const gpu = await run("webgpu", gpuModel);
  close(gpu.logits, cpu.logits, tol.forward, `${name} logits`);
  assert.ok(Math.abs(gpu.loss - cpu.loss) <= tol.forward * Math.abs(cpu.loss), `${name} training loss ${gpu.loss} vs ${cpu.loss}`);
  close(gpu.grads, cpu.grads, tol.gradient, `${name} training gradients`, tol.gradientScale);
  close(gpu.inputGrad, cpu.inputGrad, tol.gradient, `${name} input gradient`);
  assert.ok(Math.abs(gpu.inputLoss - cpu.inputLoss) <= tol.forward * Math.abs(cpu.inputLoss));
  close(gpu.saliency, cpu.saliency, tol.gradient, `${name} vanilla-gradient saliency`);
  cpuModel.dispose();
  gpuModel.dispose();
}

test("models: logits, training gradients, input gradients and saliency match the cpu backend (resnet-tiny, a plain CNN, the paper's ResNet-50)", { skip }, async () => {
  await compareModel("resnet-tiny", 16, 3);
  await compareModel("cnn-w4-d2", 16, 2);
  // Keras' topology (bottlenecks, 7x7 stride-2 stem, max-pool) at 32x32. In training mode its last
  // stage normalises 4 values per channel (1x1 maps, batch 4), where float32 rounding moves some
  // batch-norm gradients by tens of percent on every backend: measured against cpu, wasm's worst
  // such tensor differs by 22% and webgpu's by 64%, their largest difference over all gradients
  // 0.9% and 1.2% of the model's largest gradient. So training gradients are compared at that
  // global scale (3%), and the conv biases ahead of batch norm (true gradient 0) are then noise.
  await compareModel("resnet50", 32, 2, { forward: 1e-3, gradient: 3e-2, gradientScale: "all" });
});

const SIDE = 6;
const VALUES = [0.3, 0.45, 0.49, 0.52, 0.56, 0.7];

test("attacks on webgpu: FGSM / BIM / PGD / CW-Linf give exactly the closed-form accuracy, stay in the eps-ball and [0, 1], and eps 0 is the identity", { skip }, async () => {
  await tf.setBackend("webgpu");
  const engine = await createEngine(brightnessModel(SIDE), { workers: 1 });
  const x = tf.concat(VALUES.map((v) => tf.fill([1, SIDE, SIDE, 1], v))) as tf.Tensor4D;
  const y = tf.tensor1d(VALUES.map((v) => (v > 0.5 ? 1 : 0)), "int32");
  const xs = await x.data();
  for (const eps of [0, 3, 12, 40]) {
    const expected = VALUES.filter((v) => !(eps / 255 > Math.abs(v - 0.5))).length / VALUES.length;
    for (const atk of [new FGSM(engine, { eps }), new BIM(engine, { eps, steps: 5 }), new PGD(engine, { eps, steps: 20, seed: 3 }), new CWLinf(engine, { eps, steps: 10 })]) {
      const adv = await atk.run(x, y);
      const pred = await predictLabels(engine, adv);
      const [a, p, t] = await Promise.all([adv.data(), pred.data(), y.data()]);
      const acc = Array.from(p).filter((v, i) => v === t[i]).length / VALUES.length;
      assert.equal(acc, expected, `${atk.constructor.name} eps ${eps}: accuracy ${acc} vs the closed form ${expected}`);
      let dist = 0;
      for (let i = 0; i < a.length; i++) {
        assert.ok(a[i] >= 0 && a[i] <= 1, `${atk.constructor.name}: pixel ${a[i]} outside [0, 1]`);
        dist = Math.max(dist, Math.abs(a[i] - xs[i]));
      }
      assert.ok(dist <= eps / 255 + 1e-6, `${atk.constructor.name} eps ${eps}: L-inf distance ${dist}`);
      if (eps === 0) assert.equal(dist, 0, "eps 0 returns x");
      tf.dispose([adv, pred]);
    }
  }
  tf.dispose([x, y]);
  await engine.close();
});

test("training on webgpu learns a separable task (the trainer end to end, main thread)", { skip }, async () => {
  await tf.setBackend("webgpu");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-webgpu-"));
  const file = path.join(dir, "bright.npz");
  syntheticNpz(file);
  const task = customTask({ name: "bright", channels: 1, source: { kind: "npz", file }, classNames: ["0", "1"] });
  const data = await loadTask(task, { size: 12, perClass: { train: null, val: null, test: null }, cache: false, quiet: true });
  const r = await train("bright", { profile: PROFILES.smoke, model: "resnet-tiny", epochs: 6, batchSize: 8, optimizer: { lr: 0.003 }, workers: 1, quiet: true, data, out: path.join(dir, "models") });
  assert.match(r.engine, /main thread \(webgpu\)/);
  assert.equal(r.history.length, 6);
  assert.ok(r.history.every((h) => Number.isFinite(h.trainLoss)), "finite losses");
  assert.ok(Math.min(...r.history.slice(1).map((h) => h.trainLoss)) < r.history[0].trainLoss, "training loss went down");
  assert.ok(r.test.accuracy >= 0.9, `test accuracy ${r.test.accuracy}`);
  r.model.dispose();
});
