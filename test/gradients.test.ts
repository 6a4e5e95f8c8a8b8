/**
 * The project's FusedBatchNorm gradient against tfjs-core's own (cpu backend), for every input,
 * in training form (mean/variance from the batch, gradients flow through them) and inference
 * form (moving statistics); and the Conv2D layer against tfjs-layers' conv2d.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../src/backend";
import { fusedBatchNormGradConfig } from "../src/backend/gradients/fused_batch_norm_grad";
import { registerGradients, STOCK_GRADIENTS } from "../src/backend/gradients";
import { Conv2D } from "../src/models";
import { rng } from "../src/data/split";

const rand = (shape: number[], seed: number) => {
  const r = rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
};

function close(what: string, a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  assert.deepEqual(a.shape, b.shape, `${what} shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  for (let i = 0; i < y.length; i++) if (!(Math.abs(x[i] - y[i]) <= tol * scale)) assert.fail(`${what}[${i}]: ${x[i]} vs ${y[i]}`);
}

test("FusedBatchNorm gradient equals tfjs-core's for x, mean, variance, scale and offset", async () => {
  await tf.setBackend("cpu");
  registerGradients();
  const ours = tf.getGradient("FusedBatchNorm")!;
  const stock = STOCK_GRADIENTS.get("FusedBatchNorm")!;
  assert.notEqual(ours, stock, "ours is registered");
  for (const [shape, perChannel] of [[[2, 5, 4, 3], true], [[3, 4, 4, 6], true], [[2, 3, 3, 2], false]] as const) {
    tf.tidy(() => {
      const x = rand([...shape], 1);
      const c = shape[3];
      const pshape = perChannel ? [c] : [...shape];
      const mean = rand(pshape, 2).mul(0.1);
      const variance = rand(pshape, 3).abs().add(0.5);
      const scale = rand(pshape, 4);
      const dy = rand([...shape], 5);
      const attrs = { varianceEpsilon: 1e-3 } as unknown as tf.NamedAttrMap;
      const a = ours.gradFunc(dy, [x, mean, variance, scale], attrs);
      const b = stock.gradFunc(dy, [x, mean, variance, scale], attrs);
      for (const input of ["x", "mean", "variance", "scale", "offset"]) close(`${shape} ${input}`, a[input](), b[input]());
    });
  }
});

test("a whole BN layer's gradients (training mode, through the batch moments) match the stock gradient", async (t) => {
  await tf.setBackend("cpu");
  registerGradients();
  t.mock.method(console, "warn", () => {}); // tfjs warns on every gradient override
  const layer = tf.layers.batchNormalization({ epsilon: 1e-3 });
  const x = rand([4, 3, 3, 5], 7);
  layer.apply(x); // build
  const run = () => tf.grads((inp: tf.Tensor) => tf.sum(tf.square(layer.apply(inp, { training: true }) as tf.Tensor)))([x])[0];
  const mine = run();
  tf.registerGradient(STOCK_GRADIENTS.get("FusedBatchNorm")!);
  try {
    close("dL/dx through BN(training)", mine, run());
  } finally {
    tf.registerGradient(fusedBatchNormGradConfig);
  }
});

test("Conv2D layer: same outputs and input gradients as tfjs-layers' conv2d with the same weights", async () => {
  await tf.setBackend("cpu");
  for (const [k, s, pad] of [[3, 1, "same"], [3, 2, "same"], [1, 2, "valid"]] as const) {
    tf.tidy(() => {
      const ours = new Conv2D({ filters: 4, kernelSize: k, strides: s, padding: pad, useBias: true });
      const ref = tf.layers.conv2d({ filters: 4, kernelSize: k, strides: s, padding: pad, useBias: true });
      const x = rand([2, 7, 7, 3], 11);
      ours.apply(x);
      ref.apply(x);
      ref.setWeights(ours.getWeights().map((w, i) => (i === 1 ? rand(w.shape, 12) : w)));
      ours.setWeights(ref.getWeights());
      close(`forward k${k}s${s}${pad}`, ours.apply(x) as tf.Tensor, ref.apply(x) as tf.Tensor);
      assert.deepEqual(ours.computeOutputShape([null, 7, 7, 3]), (ref.apply(x) as tf.Tensor).shape.map((d, i) => (i === 0 ? null : d)));
      const g = (layer: tf.layers.Layer) => tf.grad((inp: tf.Tensor) => tf.sum(tf.square(layer.apply(inp) as tf.Tensor)))(x);
      close(`input gradient k${k}s${s}${pad}`, g(ours), g(ref));
    });
  }
});
