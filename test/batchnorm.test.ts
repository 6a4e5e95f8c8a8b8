/**
 * The closed-form batch-norm gradient (src/models/batchnorm.ts) against tfjs-layers' own graph
 * (MIA_FUSED_BN=0), on the cpu backend (an independent implementation of every kernel) and on
 * wasm, where the oneDNN addon runs it as two native kernels (MiaBatchNormStats, MiaBatchNormGrad)
 * and without the addon as tfjs ops: the loss, dL/dx, dL/dgamma, dL/dbeta and the moving averages
 * agree to float rounding. The native kernels are also checked against a float64 reference.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { nativeTrainingKernels, nativeCounts, nativeStatus, registerWasmKernels, runBatchNormGrad, runBatchNormStats, useNative } from "../src/backend/wasm-kernels";
import { BatchNormalization, batchNormalization } from "../src/models";
import { rng } from "../src/data/split";

const SHAPE: [number, number, number, number] = [4, 5, 6, 7];

async function run(backend: string, fused: boolean) {
  await tf.setBackend(backend);
  if (backend === "wasm") registerWasmKernels();
  const r = rng(3);
  const xs = Float32Array.from({ length: SHAPE.reduce((a, b) => a * b) }, () => r() * 3 - 1);
  const ws = Float32Array.from({ length: xs.length }, () => r());
  const prev = process.env.MIA_FUSED_BN;
  process.env.MIA_FUSED_BN = fused ? "1" : "0";
  try {
    const layer = batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    layer.build(SHAPE);
    layer.setWeights([tf.tensor1d([1, 2, 0.5, 1.5, 1, 0.3, 2]), tf.tensor1d([0, 0.1, -0.2, 0.3, 0, 1, -1]), tf.fill([7], 0.2), tf.fill([7], 1.5)]);
    const x = tf.tensor4d(xs, SHAPE);
    const w = tf.tensor4d(ws, SHAPE);
    const f = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, w)) as tf.Scalar;
    let kernels = 0;
    const { value, grads } = await (async () => {
      let out!: { value: tf.Scalar; grads: tf.NamedTensorMap };
      const info = await tf.profile(() => {
        out = tf.variableGrads(() => f(x));
        return [];
      });
      kernels = info.kernels.length;
      return out;
    })();
    const gx = tf.grad(f)(x);
    const moving = layer.getWeights().slice(2).map((t) => Array.from(t.dataSync()));
    const named = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k.replace(/.*\//, "").replace(/_\d+$/, ""), Array.from(t.dataSync())]));
    return { value: value.dataSync()[0], dx: Array.from(gx.dataSync()), named, moving, kernels, layer };
  } finally {
    if (prev === undefined) delete process.env.MIA_FUSED_BN;
    else process.env.MIA_FUSED_BN = prev;
  }
}

const close = (what: string, a: number[], b: number[], tol: number) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

after(async () => {
  await tf.setBackend("cpu");
});

const native = nativeStatus().available;
for (const [backend, addon] of [["cpu", false], ["wasm", false], ["wasm", true]] as const)
  test(`batch norm in training: the closed-form gradient equals tfjs-layers' graph on ${backend}${backend === "wasm" ? (addon ? " with the native kernels" : " as tfjs ops") : ""}`, { skip: addon && !native ? `no oneDNN addon: ${nativeStatus().detail}` : false }, async () => {
    useNative(addon);
    const before = nativeCounts();
    let fused: Awaited<ReturnType<typeof run>>;
    try {
      fused = await run(backend, true);
      assert.equal(nativeTrainingKernels(), addon, "native batch norm exactly where the addon is on");
    } finally {
      useNative(true);
    }
    const used = nativeCounts();
    // variableGrads and grad: two forward passes, two backward passes.
    assert.equal(used.bnStats - before.bnStats, addon ? 2 : 0, "statistics kernel calls");
    assert.equal(used.bnBackward - before.bnBackward, addon ? 2 : 0, "backward kernel calls");
    const stock = await run(backend, false);
    assert.ok(fused.layer instanceof BatchNormalization);
    close("loss", [fused.value], [stock.value], 1e-5);
    close("dx", fused.dx, stock.dx, 1e-5);
    assert.deepEqual(Object.keys(fused.named).sort(), ["beta", "gamma"]);
    close("dgamma", fused.named.gamma, stock.named.gamma, 1e-5);
    close("dbeta", fused.named.beta, stock.named.beta, 1e-5);
    // Two applications (variableGrads, then grad): each moved the averages by the batch statistics.
    close("moving mean and variance", fused.moving.flat(), stock.moving.flat(), 1e-6);
    assert.ok(fused.moving[0].some((v) => Math.abs(v - 0.2) > 1e-3), "the moving mean moved");
    // The point of it: far fewer kernels per forward + backward than the differentiated graph.
    assert.ok(fused.kernels < stock.kernels, `kernels: closed form ${fused.kernels}, graph ${stock.kernels}`);
  });

test("the native batch-norm kernels equal a float64 reference (many row blocks, a large mean)", { skip: native ? false : `no oneDNN addon: ${nativeStatus().detail}` }, async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
  // 3 x 7 x 11 = 231 rows (four blocks of 64, the last partial) of 5 channels around 1000: a
  // one-pass E[x^2] - mean^2 would lose the variance (~1) to cancellation in float.
  const shape = [3, 7, 11, 5];
  const c = 5;
  const m = 231;
  const r = rng(11);
  const xs = Float64Array.from({ length: m * c }, (_, i) => 1000 + (i % c) + (r() * 2 - 1) * (1 + (i % c)));
  const dys = Float64Array.from({ length: m * c }, () => r() * 2 - 1);
  const gamma = [1, -0.5, 2, 0.3, 1.7];
  const eps = 1e-3;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let i = 0; i < m * c; i++) mean[i % c] += xs[i] / m;
  for (let i = 0; i < m * c; i++) variance[i % c] += (xs[i] - mean[i % c]) ** 2 / m;
  for (let i = 0; i < m * c; i++) {
    s1[i % c] += dys[i];
    s2[i % c] += dys[i] * (xs[i] - mean[i % c]);
  }
  const sigma = Array.from(variance, (v) => Math.sqrt(v + eps));
  // dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat = (x - mean) / sigma
  const dx = Array.from(xs, (x, i) => {
    const k = i % c;
    const xhat = (x - mean[k]) / sigma[k];
    return (gamma[k] / sigma[k]) * (dys[i] - s1[k] / m - (xhat * s2[k]) / sigma[k] / m);
  });
  const x = tf.tensor4d(Float32Array.from(xs), shape as [number, number, number, number]);
  const dy = tf.tensor4d(Float32Array.from(dys), shape as [number, number, number, number]);
  const [gm, gv] = runBatchNormStats(x);
  assert.deepEqual(gm.shape, [c]);
  close("mean", Array.from(gm.dataSync()), Array.from(mean), 1e-6);
  close("variance", Array.from(gv.dataSync()), Array.from(variance), 1e-4);
  const [gdx, gdgamma, gdbeta] = runBatchNormGrad(dy, x, gm, gv, tf.tensor1d(gamma), eps);
  assert.deepEqual(gdx.shape, shape);
  close("dx", Array.from(gdx.dataSync()), dx, 2e-4);
  close("dgamma", Array.from(gdgamma.dataSync()), Array.from(s2, (v, k) => v / sigma[k]), 2e-4);
  close("dbeta", Array.from(gdbeta.dataSync()), Array.from(s1), 1e-5);
  // A mismatched channel vector is refused by the addon, with its name.
  assert.throws(() => runBatchNormGrad(dy, x, gm, gv, tf.tensor1d([1, 2]), eps), /bnBackward: sizes do not match/);
  // An input of another type is refused by name, before the addon sees its bytes.
  const ints = tf.tensor1d([1, 2, 3, 4, 5], "int32");
  const intRows = tf.tensor2d([[1, 2]], [1, 2], "int32");
  assert.throws(() => runBatchNormGrad(dy, x, gm, gv, ints, eps), /MiaBatchNormGrad: every input must be float32, got scale int32/);
  assert.throws(() => runBatchNormStats(intRows), /MiaBatchNormStats: every input must be float32, got x int32/);
  // With the addon off the kernels have no path of their own: callers must ask nativeTrainingKernels().
  useNative(false);
  try {
    assert.equal(nativeTrainingKernels(), false);
    assert.throws(() => runBatchNormStats(x), /MiaBatchNormStats needs the oneDNN addon \(ask nativeTrainingKernels\(\)/);
  } finally {
    useNative(true);
  }
  tf.dispose([x, dy, gm, gv, gdx, gdgamma, gdbeta, ints, intRows]);
});

test("a saved model's BatchNormalization layers load into the closed-form class", async () => {
  await tf.setBackend("cpu");
  const input = tf.input({ shape: [4, 4, 3] });
  const out = batchNormalization({}).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const json = model.toJSON(undefined, false) as unknown as { config: { layers: Array<{ class_name: string }> } };
  assert.equal(json.config.layers[1].class_name, "BatchNormalization", "saved under tfjs-layers' own name");
  const loaded = await tf.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
  assert.ok(loaded.layers[1] instanceof BatchNormalization);
});
