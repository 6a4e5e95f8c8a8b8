/**
 * Where a training step and a PGD iteration spend their time, per kernel (tf.profile).
 *   node dist/bench/profile.js [--size 64] [--batch 64] [--model resnet20-s2] [--backend wasm-stock]
 * Without --model: the 1.23M benchmark ResNet of issue #4. MIA_NATIVE=0 profiles XNNPACK convolutions.
 */
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend/tf";
import { registerWasmKernels } from "../src/backend/wasm-kernels";
import { registerGradients } from "../src/backend/gradients";
import { buildModel, resnet } from "../src/models";

const { values: v } = parseArgs({ options: { size: { type: "string", default: "64" }, batch: { type: "string", default: "64" }, backend: { type: "string", default: "wasm" }, model: { type: "string" } } });

async function table(label: string, fn: () => Promise<void>): Promise<void> {
  await fn(); // warm-up
  const t0 = performance.now();
  const info = await tf.profile(fn);
  const wall = performance.now() - t0;
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.n++;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`\n${label}: wall ${wall.toFixed(0)} ms (profiled), kernels ${total.toFixed(0)} ms`);
  for (const [name, e] of [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
    console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(9)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${e.n}`);
  }
}

async function main(): Promise<void> {
  await tf.setBackend(v.backend!);
  if (v.backend === "wasm") registerWasmKernels();
  if (v.backend !== "wasm-stock") registerGradients();
  const size = Number(v.size);
  const batch = Number(v.batch);
  const model = v.model ? buildModel(v.model, [size, size, 3], 2, 0) : resnet({ inputShape: [size, size, 3], classes: 2, stem: 32, stages: [32, 64, 128, 256], blocks: 1 });
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), "int32"), 2);
  const opt = tf.train.momentum(0.01, 0.9);
  const loss = (inp: tf.Tensor, training: boolean) => tf.losses.softmaxCrossEntropy(y, model.apply(inp, { training }) as tf.Tensor) as tf.Scalar;
  await table(`training step ${size}x${size} batch ${batch}`, async () => {
    const l = opt.minimize(() => loss(x, true), true)!;
    await l.data();
    l.dispose();
  });
  const grad = tf.grad((inp: tf.Tensor) => loss(inp, false));
  await table(`PGD iteration (input gradient) ${size}x${size} batch ${batch}`, async () => {
    const g = grad(x);
    await g.data();
    g.dispose();
  });
  await table(`forward only (inference)`, async () => {
    const o = model.apply(x, { training: false }) as tf.Tensor;
    await o.data();
    o.dispose();
  });
}
main();
