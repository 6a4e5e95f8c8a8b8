/**
 * The worker pool gives the same numbers as one thread: input gradients exactly (per-example
 * computation, BN in inference mode), and data-parallel weight gradients equal the full-batch
 * gradients for a model without batch norm.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { registerWasmKernels } from "../src/backend/wasm-kernels";
import { registerGradients } from "../src/backend/gradients";
import { shardBounds, WasmPool } from "../src/backend/parallel";
import { Conv2D, resnet } from "../src/models";

let pool: WasmPool;
before(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
  registerGradients();
  pool = await WasmPool.create(2);
});
after(async () => {
  await pool.close();
  await tf.setBackend("cpu");
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

test("shardBounds covers the batch contiguously with near-equal shards", () => {
  assert.deepEqual(shardBounds(10, 3), [[0, 4], [4, 7], [7, 10]]);
  assert.deepEqual(shardBounds(1, 2), [[0, 1]]);
  assert.deepEqual(shardBounds(64, 2), [[0, 32], [32, 64]]);
});

test("pool input gradients (CE and CW margin) equal the single-thread gradients", async () => {
  const model = resnet({ inputShape: [12, 12, 3], classes: 3, stem: 8, stages: [8, 16], blocks: 1, seed: 3 });
  const x = tf.randomUniform([7, 12, 12, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], "int32");
  const pm = await pool.loadModel(model);
  const ce = await pool.inputGradient(pm, x, y, "ce");
  const ref = tf.grad((inp: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), model.apply(inp, { training: false }) as tf.Tensor))(x);
  assert.ok(maxAbsDiff(ce.grad, ref) <= 1e-6 * (1 + tf.max(tf.abs(ref)).dataSync()[0]), "CE gradient");
  const refLoss = (tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), model.apply(x) as tf.Tensor) as tf.Scalar).dataSync()[0];
  assert.ok(Math.abs(ce.loss - refLoss) < 1e-5, `loss ${ce.loss} vs ${refLoss}`);
  // CW margin: mean over examples of min(max_{j!=y} z_j - z_y, kappa).
  const kappa = 0.5;
  const cw = await pool.inputGradient(pm, x, y, "cw", kappa);
  const margin = (inp: tf.Tensor) => {
    const z = model.apply(inp, { training: false }) as tf.Tensor;
    const oh = tf.oneHot(y, 3);
    return tf.mean(tf.minimum(tf.sub(tf.max(tf.sub(z, tf.mul(oh, 1e9)), 1), tf.sum(tf.mul(oh, z), 1)), kappa)) as tf.Scalar;
  };
  const refCw = tf.grad(margin)(x);
  assert.ok(maxAbsDiff(cw.grad, refCw) <= 1e-6 * (1 + tf.max(tf.abs(refCw)).dataSync()[0]), "CW gradient");
});

test("data-parallel weight gradients equal full-batch gradients (no batch norm); weights sync", async () => {
  const input = tf.input({ shape: [10, 10, 2] });
  let h = new Conv2D({ filters: 6, kernelSize: 3, strides: 2, useBias: true, seed: 1 }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(h) as tf.SymbolicTensor });
  const x = tf.randomUniform([9, 10, 10, 2], 0, 1, "float32", 8) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 2, 1, 0, 0, 1, 2], "int32");
  const pm = await pool.loadModel(model);
  const { grads, loss } = await pool.trainGradients(pm, x, y);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ref = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
  assert.ok(Math.abs(loss - ref.value.dataSync()[0]) < 1e-5);
  for (const v of vars) assert.ok(maxAbsDiff(grads[v.name], ref.grads[v.name]) < 1e-5, `gradient of ${v.name}`);
  // An optimizer step on the main model, synced, changes the replicas' outputs accordingly.
  tf.train.sgd(0.5).applyGradients(grads);
  await pool.syncWeights(pm);
  const after = await pool.inputGradient(pm, x, y);
  const refAfter = tf.grad((inp: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), model.apply(inp) as tf.Tensor))(x);
  assert.ok(maxAbsDiff(after.grad, refAfter) < 1e-6, "replicas follow the main model after syncWeights");
});
