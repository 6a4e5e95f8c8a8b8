/**
 * The project's wasm kernels against the cpu backend (an independent implementation) and
 * against exact finite differences. Gradients of L = sum(conv2d(x, W) * R) are the two backprop
 * kernels with dy = R. Tolerance: |wasm - cpu| <= 1e-4 * (1 + max|cpu|), float32 sums of up to a
 * few hundred terms. Dilation is not covered: tfjs's conv2d gradient rejects dilation > 1, so
 * neither backprop kernel is ever called with it (the forward dilated conv is XNNPACK's own).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { registerWasmKernels } from "../src/backend/wasm-kernels";
import { rng } from "../src/data/split";

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: "same" | "valid" | tf.backend_util.ExplicitPadding;
}

const random = (size: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: size }, () => r() * 2 - 1);
};

async function grads(backend: string, c: Case, seed: number): Promise<{ dx: Float32Array; dw: Float32Array; y: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.n * c.h * c.w * c.ci, seed), [c.n, c.h, c.w, c.ci]);
    const f = tf.tensor4d(random(c.k * c.k * c.ci * c.co, seed + 1), [c.k, c.k, c.ci, c.co]);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const dy = tf.tensor(random(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([x, f], dy);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, y: y.shape };
  });
}

function assertClose(what: string, got: Float32Array, want: Float32Array): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const tol = 1e-4 * (1 + scale);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${what}[${i}]: wasm ${got[i]} vs cpu ${want[i]} (tol ${tol.toExponential(1)})`);
  }
}

const CASES: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ["same", "valid"] as const)
    for (const [h, w] of [[8, 8], [7, 7], [9, 6]])
      for (const k of [1, 3])
        CASES.push({ n: stride === 1 && k === 3 ? 1 : 3, h, w, ci: h === 7 ? 1 : 3, co: k === 1 ? 5 : 4, k, stride, pad });
CASES.push({ n: 2, h: 10, w: 10, ci: 8, co: 16, k: 2, stride: 2, pad: "same" }); // even filter
CASES.push({ n: 2, h: 11, w: 11, ci: 4, co: 6, k: 5, stride: 2, pad: "valid" }); // leftover rows
CASES.push({ n: 5, h: 16, w: 16, ci: 16, co: 32, k: 3, stride: 2, pad: "same" }); // ResNet downsampling shape
// Explicit padding larger than the filter: the sub-pixel split would need negative padding,
// so dx takes the dilation fallback.
CASES.push({ n: 2, h: 6, w: 7, ci: 3, co: 4, k: 3, stride: 2, pad: [[0, 0], [4, 1], [0, 3], [0, 0]] });
CASES.push({ n: 2, h: 6, w: 7, ci: 3, co: 4, k: 3, stride: 1, pad: [[0, 0], [3, 0], [1, 2], [0, 0]] });

before(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
});
after(async () => {
  await tf.setBackend("cpu");
});

test(`Conv2DBackpropFilter and Conv2DBackpropInput on wasm match the cpu backend (${CASES.length} shapes)`, async () => {
  for (const [i, c] of CASES.entries()) {
    const label = `${JSON.stringify(c)}`;
    const cpu = await grads("cpu", c, 100 + i);
    const wasm = await grads("wasm", c, 100 + i);
    assert.deepEqual(wasm.y, cpu.y, `${label} forward shape`);
    assertClose(`${label} dW`, wasm.dw, cpu.dw);
    assertClose(`${label} dx`, wasm.dx, cpu.dx);
  }
});

test("wasm backprops equal exact finite differences (the loss is linear in x and in W)", async () => {
  await tf.setBackend("wasm");
  const c: Case = { n: 2, h: 9, w: 9, ci: 3, co: 4, k: 3, stride: 2, pad: "same" };
  const xs = random(c.n * c.h * c.w * c.ci, 1);
  const fs = random(c.k * c.k * c.ci * c.co, 2);
  const loss = (xv: Float32Array, fv: Float32Array): number =>
    tf.tidy(() => {
      const y = tf.conv2d(tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), tf.tensor4d(fv, [c.k, c.k, c.ci, c.co]), c.stride, c.pad);
      return tf.sum(y.mul(tf.tensor(random(y.size, 3), y.shape))).dataSync()[0];
    });
  const { dx, dw } = tf.tidy(() => {
    const x = tf.tensor4d(xs, [c.n, c.h, c.w, c.ci]);
    const f = tf.tensor4d(fs, [c.k, c.k, c.ci, c.co]);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([x, f], tf.tensor(random(y.size, 3), y.shape));
    return { dx: gx.dataSync(), dw: gw.dataSync() };
  });
  const r = rng(9);
  for (let t = 0; t < 12; t++) {
    const i = Math.floor(r() * xs.length);
    const up = xs.slice();
    const down = xs.slice();
    up[i] += 1;
    down[i] -= 1;
    const fd = (loss(up, fs) - loss(down, fs)) / 2;
    assert.ok(Math.abs(fd - dx[i]) < 1e-4, `dx[${i}]: ${dx[i]} vs finite difference ${fd}`);
    const j = Math.floor(r() * fs.length);
    const fu = fs.slice();
    const fdn = fs.slice();
    fu[j] += 1;
    fdn[j] -= 1;
    const fdw = (loss(xs, fu) - loss(xs, fdn)) / 2;
    assert.ok(Math.abs(fdw - dw[j]) < 1e-3, `dW[${j}]: ${dw[j]} vs finite difference ${fdw}`);
  }
});

test("memory stays flat over repeated backprops (tensors and the wasm heap)", async () => {
  await tf.setBackend("wasm");
  const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  const c: Case = { n: 8, h: 32, w: 32, ci: 16, co: 32, k: 3, stride: 2, pad: "same" };
  for (let i = 0; i < 3; i++) await grads("wasm", c, 5);
  const tensors = tf.memory().numBytes;
  const heapBefore = heap();
  // Each call makes fresh XNNPACK operators for its transposed dy "filter"; leaking them would grow the heap.
  for (let i = 0; i < 30; i++) await grads("wasm", c, 5);
  assert.equal(tf.memory().numBytes, tensors);
  assert.equal(heap(), heapBefore, "wasm heap grew");
});

test("Sum and Mean over leading axes (matmul path) and other axes (stock path) match the cpu backend", async () => {
  const shapes: Array<[number[], number[], boolean]> = [
    [[16, 8, 8, 5], [0, 1, 2], false], // BN statistics: N, H, W
    [[16, 8, 8, 5], [0, 1, 2], true],
    [[64, 3], [0], false],
    [[300], [0], false], // full reduction: stock
    [[4, 6, 5], [1], false], // middle axis: stock
    [[4, 6, 5], [2], true], // innermost: stock
    [[8, 9], [0], false], // too small for the matmul path
  ];
  for (const [i, [shape, axes, keepDims]] of shapes.entries()) {
    const values = random(shape.reduce((a, b) => a * b, 1), 500 + i);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(values, shape);
        return { sum: tf.sum(x, axes, keepDims), mean: tf.mean(x, axes, keepDims) };
      });
    };
    const cpu = await run("cpu");
    const cs = { shape: cpu.sum.shape, sum: cpu.sum.dataSync() as Float32Array, mean: cpu.mean.dataSync() as Float32Array };
    const wasm = await run("wasm");
    assert.deepEqual(wasm.sum.shape, cs.shape, `${shape} ${axes} shape`);
    assertClose(`sum ${shape} over ${axes}`, wasm.sum.dataSync() as Float32Array, cs.sum);
    assertClose(`mean ${shape} over ${axes}`, wasm.mean.dataSync() as Float32Array, cs.mean);
    tf.dispose([cpu.sum, cpu.mean, wasm.sum, wasm.mean]);
  }
});
