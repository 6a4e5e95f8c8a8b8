/**
 * NativeAdam (src/train/optimizer.ts) against tfjs' own Adam: on wasm with the oneDNN addon, each
 * variable's step is one native kernel that must give the same bits as tfjs-core's twelve kernels
 * (values, both moments, the bias-correction powers), over steps with a changing learning rate and
 * variables large enough for the parallel loop; without the addon and on cpu it is tfjs' Adam.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { nativeCounts, nativeStatus, registerWasmKernels, useNative } from "../src/backend/wasm-kernels";
import { NativeAdam, makeOptimizer, setLearningRate } from "../src/train/optimizer";
import { optimizerState } from "../src/train/checkpoint";
import { rng } from "../src/data/split";

// A scalar-sized, an odd-sized and a large variable (over the addon's 65,536-element threshold for threads).
const SHAPES: number[][] = [[1], [3, 7, 5], [300, 257]];

async function run(opt: tf.Optimizer, prefix: string) {
  const r = rng(5);
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b) }, () => r() * 2 - 1), s), true, `${prefix}_w${i}`));
  const g = rng(9);
  for (let step = 0; step < 6; step++) {
    setLearningRate(opt, 1e-3 * (1 + 0.37 * step));
    // Gradients of mixed scale, some exactly 0 (a moment that must stay 0 where it was).
    const draw = () => (g() < 0.1 ? 0 : (g() * 2 - 1) * 10 ** Math.floor(g() * 6 - 4));
    const grads = Object.fromEntries(vars.map((v) => [v.name, tf.tensor(Float32Array.from({ length: v.size }, draw), v.shape)]));
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const values = vars.map((v) => Array.from(v.dataSync()));
  const state = (await optimizerState(opt)).map((a) => ({ name: a.name.replace(`${prefix}_`, ""), data: Array.from(a.data) }));
  tf.dispose(vars);
  opt.dispose();
  return { values, state };
}

after(async () => {
  await tf.setBackend("cpu");
});

const native = nativeStatus().available;

test("NativeAdam on wasm with the addon: the same bits as tfjs' Adam, one native call per variable and step", { skip: native ? false : `no oneDNN addon: ${nativeStatus().detail}` }, async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
  const stock = await run(tf.train.adam(1e-3), "a");
  const before = nativeCounts().adamStep;
  const ours = await run(makeOptimizer({ kind: "adam", lr: 1e-3 }), "b");
  assert.equal(nativeCounts().adamStep - before, 6 * SHAPES.length, "one adamStep per variable and step");
  for (let i = 0; i < SHAPES.length; i++) assert.deepEqual(ours.values[i], stock.values[i], `variable ${i} differs from tfjs' Adam`);
  assert.deepEqual(ours.state.map((s) => s.name), stock.state.map((s) => s.name), "the same slots, in tfjs' order (checkpoints load either way)");
  for (let i = 0; i < ours.state.length; i++) assert.deepEqual(ours.state[i].data, stock.state[i].data, `optimizer state ${ours.state[i].name}`);
});

for (const [backend, addon] of [["wasm", false], ["cpu", false]] as const)
  test(`NativeAdam on ${backend}${backend === "wasm" ? " with the addon off" : ""}: tfjs' own Adam`, async () => {
    await tf.setBackend(backend);
    if (backend === "wasm") registerWasmKernels();
    useNative(addon);
    try {
      const before = nativeCounts().adamStep;
      const stock = await run(tf.train.adam(1e-3), "c");
      const ours = await run(new NativeAdam(1e-3, 0.9, 0.999), "d");
      assert.equal(nativeCounts().adamStep, before, "no native call");
      assert.deepEqual(ours.values, stock.values);
    } finally {
      useNative(true);
    }
  });
