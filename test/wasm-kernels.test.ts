/**
 * The project's wasm kernels against the cpu backend (an independent implementation) and
 * against exact finite differences. Gradients of L = sum(conv2d(x, W) * R) are the two backprop
 * kernels with dy = R. Tolerance: |wasm - cpu| <= 1e-4 * (1 + max|cpu|), float32 sums of up to a
 * few hundred terms. Every case runs twice: convolutions on XNNPACK, and on the oneDNN addon
 * (native/dnnl) where it is built. Dilation is covered for the forward pass only: tfjs's conv2d
 * gradient rejects dilation > 1, so neither backprop kernel is ever called with it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { CONV_LAYOUTS, convLayoutOf, convLayoutSetting, nativeCounts, nativeStatus, registerWasmKernels, setConvLayout, useNative, type ConvLayout } from "../src/backend/wasm-kernels";
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

async function grads(backend: string, c: Case, seed: number): Promise<{ dx: Float32Array; dw: Float32Array; y: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.n * c.h * c.w * c.ci, seed), [c.n, c.h, c.w, c.ci]);
    const f = tf.tensor4d(random(c.k * c.k * c.ci * c.co, seed + 1), [c.k, c.k, c.ci, c.co]);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const dy = tf.tensor(random(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([x, f], dy);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, y: y.dataSync() as Float32Array, shape: y.shape };
  });
}

/** The engines under test: XNNPACK always; oneDNN where the addon is built. */
const ENGINES = [
  { name: "XNNPACK, no addon", on: false },
  { name: "oneDNN addon", on: true },
] as const;

/**
 * Convolutions run on oneDNN under each activation layout: auto (the default: NHWC in place where
 * oneDNN has the same kernel for it and it gives the same numbers) and blocked (reordered to
 * oneDNN's layout and back).
 */
const CONV_ENGINES: readonly { name: string; on: boolean; layout?: ConvLayout }[] = [
  ENGINES[0],
  ...CONV_LAYOUTS.map((layout) => ({ name: `oneDNN addon, layout ${layout}`, on: true, layout })),
];

const CONV_OPS = ["forward", "backwardData", "backwardWeights"] as const;

/** Skip the oneDNN pass only where it cannot be built (no libdnnl-dev); where it can, missing is a failure. */
function skipNative(t: { skip(msg: string): void }): boolean {
  const status = nativeStatus();
  if (status.available) return false;
  if (fs.existsSync("/usr/include/oneapi/dnnl/dnnl.hpp") && process.env.MIA_NATIVE !== "0") assert.fail(`libdnnl-dev is installed but the oneDNN addon is ${status.detail}: run make setup`);
  t.skip(`oneDNN addon ${status.detail}`);
  return true;
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

for (const engine of CONV_ENGINES)
  test(`Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput on wasm (${engine.name}) match the cpu backend (${CASES.length} shapes)`, async (t) => {
    if (engine.on && skipNative(t)) return;
    useNative(engine.on);
    if (engine.layout) setConvLayout(engine.layout);
    const before = nativeCounts();
    try {
      for (const [i, c] of CASES.entries()) {
        const label = `${JSON.stringify(c)}`;
        if (engine.layout === "blocked") {
          // Every pass reorders.
          const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.stride, 1, c.pad);
          for (const op of CONV_OPS) assert.match(convLayoutOf(op, info)!, /^blocked /, `${label} ${op}`);
        }
        const cpu = await grads("cpu", c, 100 + i);
        const wasm = await grads("wasm", c, 100 + i);
        assert.deepEqual(wasm.shape, cpu.shape, `${label} forward shape`);
        assertClose(`${label} y`, wasm.y, cpu.y);
        assertClose(`${label} dW`, wasm.dw, cpu.dw);
        assertClose(`${label} dx`, wasm.dx, cpu.dx);
      }
      // Each pass of each case really went to the engine under test (grads() runs the forward twice).
      const after = nativeCounts();
      const ran = (op: "forward" | "backwardData" | "backwardWeights") => after[op] - before[op];
      if (engine.on) assert.deepEqual([ran("forward"), ran("backwardData"), ran("backwardWeights"), after.declined - before.declined], [2 * CASES.length, CASES.length, CASES.length, 0]);
      else assert.deepEqual(after, before);
    } finally {
      useNative(true);
      setConvLayout("auto");
    }
  });

test("MIA_DNNL_LAYOUT: auto when unset, both names accepted, anything else refused naming them", () => {
  assert.equal(convLayoutSetting({}), "auto");
  assert.equal(convLayoutSetting({ MIA_DNNL_LAYOUT: "" }), "auto");
  for (const l of CONV_LAYOUTS) assert.equal(convLayoutSetting({ MIA_DNNL_LAYOUT: ` ${l} ` }), l);
  assert.throws(() => convLayoutSetting({ MIA_DNNL_LAYOUT: "nchw" }), /MIA_DNNL_LAYOUT='nchw' is not a layout: use auto \(the default\) or blocked/);
});

/** y, dx and dW of one convolution with a fixed dy, on wasm. */
function convPasses(x: tf.Tensor4D, f: tf.Tensor4D, stride: number, pad: "same" | "valid"): Float32Array[] {
  return tf.tidy(() => {
    const y = tf.conv2d(x, f, stride, pad);
    const dy = tf.tensor(random(y.size, 5), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))([x, f], dy);
    return [y, dx, dw].map((t) => t.dataSync() as Float32Array);
  });
}

test("layout auto: in place only on oneDNN's own kernel, with the blocked path's numbers (a sweep over small channel counts and strides)", async (t) => {
  if (skipNative(t)) return;
  await tf.setBackend("wasm");
  // The sweep that found oneDNN 2.6.3's wrong AVX2 1x1 stride-2 backward-weights pass on NHWC
  // (few input channels, even input sides), and ResNet-20's own shapes; checked on whatever CPU runs it.
  // The check runs once per geometry whatever the batch size, so ResNet-20's shapes come again at
  // a second batch size, which reuses the first one's verdict.
  const shapes: [number, number, number, number, number, number, "same" | "valid"][] = [];
  for (const k of [1, 3]) for (const s of [1, 2]) for (const pad of ["same", "valid"] as const) for (const ci of [1, 2, 3, 4, 8]) for (const h of [8, 9, 16]) shapes.push([2, h, ci, 4 * ci + 4, k, s, pad]);
  for (const n of [2, 5]) shapes.push([n, 32, 3, 16, 3, 1, "same"], [n, 32, 16, 16, 3, 1, "same"], [n, 32, 16, 32, 3, 2, "same"], [n, 32, 16, 32, 1, 2, "valid"], [n, 16, 32, 64, 3, 2, "same"]);
  let inPlace = 0;
  try {
    for (const [i, [n, h, ci, co, k, s, pad]] of shapes.entries()) {
      const label = JSON.stringify({ n, h, ci, co, k, s, pad });
      const got = tf.tidy(() => {
        const x = tf.tensor4d(random(n * h * h * ci, 300 + i), [n, h, h, ci]);
        const f = tf.tensor4d(random(k * k * ci * co, 400 + i), [k, k, ci, co]);
        setConvLayout("blocked");
        const want = convPasses(x, f, s, pad);
        setConvLayout("auto");
        return { want, have: convPasses(x, f, s, pad) };
      });
      for (const [j, name] of ["y", "dx", "dW"].entries()) assertClose(`${label} ${name}`, got.have[j], got.want[j]);
      const info = tf.backend_util.computeConv2DInfo([n, h, h, ci], [k, k, ci, co], s, 1, pad);
      for (const op of CONV_OPS) {
        setConvLayout("blocked");
        const blocked = convLayoutOf(op, info)!;
        setConvLayout("auto");
        const auto = convLayoutOf(op, info)!;
        // In place only on the kernel oneDNN picks for its own layout; otherwise the blocked path.
        if (auto.startsWith("nhwc ")) {
          assert.equal(auto.slice(5), blocked.slice(8), `${label} ${op}`);
          inPlace++;
        } else assert.match(auto, new RegExp(`^${blocked.replace(/[()]/g, "\\$&")}( \\(nhwc differed\\))?$`), `${label} ${op}`);
      }
    }
  } finally {
    setConvLayout("auto");
  }
  t.diagnostic(`${inPlace} of ${shapes.length * CONV_OPS.length} passes in place on ${nativeStatus().detail}`);
});

for (const engine of CONV_ENGINES)
  test(`dilated forward convolutions on wasm (${engine.name}) match the cpu backend`, async (t) => {
    if (engine.on && skipNative(t)) return;
    useNative(engine.on);
    if (engine.layout) setConvLayout(engine.layout);
    try {
      for (const [i, [h, k, d, pad]] of ([[9, 3, 2, "same"], [10, 3, 3, "valid"], [8, 2, 2, "same"], [7, 1, 2, "valid"]] as const).entries()) {
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          return tf.tidy(() => tf.conv2d(tf.tensor4d(random(2 * h * h * 3, i), [2, h, h, 3]), tf.tensor4d(random(k * k * 3 * 4, i + 7), [k, k, 3, 4]), 1, pad, "NHWC", d).dataSync() as Float32Array);
        };
        assertClose(`h ${h} k ${k} dilation ${d} ${pad}`, await run("wasm"), await run("cpu"));
      }
    } finally {
      useNative(true);
      setConvLayout("auto");
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

for (const engine of ENGINES)
  test(`Sum and Mean over leading axes (${engine.on ? "native loop" : "matmul path"}) and other axes (stock path) match the cpu backend`, async (t) => {
  if (engine.on && skipNative(t)) return;
  useNative(engine.on);
  const before = nativeCounts().sumLeading;
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
  // Native: the three leading-axes shapes of at least 64 rows, sum and mean each.
  assert.equal(nativeCounts().sumLeading - before, engine.on ? 6 : 0);
  useNative(true);
});

/** Runs fn on the cpu backend and on wasm, returning both results' values and shapes. */
async function both(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; cpuShape: number[]; wasmShape: number[] }> {
  await tf.setBackend("cpu");
  const c = tf.tidy(fn);
  const cpu = { v: c.dataSync() as Float32Array, s: c.shape };
  c.dispose();
  await tf.setBackend("wasm");
  const w = tf.tidy(fn);
  const wasm = { v: Float32Array.from(w.dataSync() as Float32Array), s: w.shape };
  w.dispose();
  return { cpu: cpu.v, wasm: wasm.v, cpuShape: cpu.s, wasmShape: wasm.s };
}

for (const engine of ENGINES)
  test(`FusedBatchNorm on wasm (${engine.name}) matches the cpu backend: per-channel, scalar and missing parameters`, async (t) => {
    if (engine.on && skipNative(t)) return;
    useNative(engine.on);
    const before = nativeCounts().affineChannels;
    const [n, h, w, c] = [3, 5, 6, 7];
    const x = random(n * h * w * c, 41);
    const vec = (seed: number, lo: number) => Float32Array.from(random(c, seed), (v) => lo + Math.abs(v));
    const cases: Array<[string, () => tf.Tensor]> = [
      ["all per channel", () => tf.batchNorm(tf.tensor4d(x, [n, h, w, c]), tf.tensor1d(vec(1, -0.5)), tf.tensor1d(vec(2, 0.1)), tf.tensor1d(vec(3, -1)), tf.tensor1d(vec(4, 0.5)), 1e-3)],
      ["no offset or scale", () => tf.batchNorm(tf.tensor4d(x, [n, h, w, c]), tf.tensor1d(vec(5, 0)), tf.tensor1d(vec(6, 0.2)), undefined, undefined, 1e-5)],
      ["one mean and variance for all channels", () => tf.batchNorm(tf.tensor4d(x, [n, h, w, c]), tf.tensor1d([0.3]), tf.tensor1d([2]), tf.tensor1d(vec(7, 0)), tf.tensor1d([1.5]), 1e-3)],
      // Parameters that vary over width too are not per channel: the stock kernel.
      ["per width and channel (stock)", () => tf.batchNorm(tf.tensor4d(x, [n, h, w, c]), tf.tensor2d(random(w * c, 8), [w, c]), tf.tensor2d(Float32Array.from(random(w * c, 9), (v) => 1 + v * v), [w, c]), undefined, undefined, 1e-3)],
    ];
    for (const [label, fn] of cases) {
      const r = await both(fn);
      assert.deepEqual(r.wasmShape, r.cpuShape);
      assertClose(`batchNorm ${label}`, r.wasm, r.cpu);
    }
    assert.equal(nativeCounts().affineChannels - before, engine.on ? 3 : 0);
    useNative(true);
  });

for (const engine of ENGINES)
  test(`Add, Sub, Multiply and RealDiv on wasm (${engine.name}) match the cpu backend over per-channel, scalar and other broadcasts`, async (t) => {
    if (engine.on && skipNative(t)) return;
    useNative(engine.on);
    const before = nativeCounts().binary;
    const full = [2, 3, 4, 5];
    const shapes: Array<[number[], number[], boolean]> = [
      [full, full, true],
      [full, [5], true],
      [[5], full, true],
      [[1, 1, 1, 5], full, true],
      [full, [], true],
      [[], full, true],
      [[2, 1, 1, 1], full, false], // per batch item: stock
      [[3, 1, 5], full, false], // per row and channel: stock
    ];
    const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [["add", tf.add], ["sub", tf.sub], ["mul", tf.mul], ["div", tf.div]];
    let expected = 0;
    for (const [i, [sa, sb, native]] of shapes.entries())
      for (const [name, op] of ops) {
        const va = random(Math.max(1, sa.reduce((p, q) => p * q, 1)), 60 + i);
        // Divisors kept away from zero.
        const vb = Float32Array.from(random(Math.max(1, sb.reduce((p, q) => p * q, 1)), 80 + i), (v) => (name === "div" ? 0.5 + Math.abs(v) : v));
        const r = await both(() => op(tf.tensor(va, sa), tf.tensor(vb, sb)));
        assert.deepEqual(r.wasmShape, r.cpuShape, `${name} ${sa} ${sb}`);
        // One IEEE operation per element: equal to the last bit.
        assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), `${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`);
        if (native) expected++;
      }
    // int32 stays on the stock kernel.
    await tf.setBackend("wasm");
    assert.deepEqual(Array.from(tf.tidy(() => tf.mul(tf.tensor1d([2, 3], "int32"), tf.tensor1d([4, 5], "int32")).dataSync())), [8, 15]);
    assert.equal(nativeCounts().binary - before, engine.on ? expected : 0);
    useNative(true);
  });

test("Identity and same-dtype Cast share data without copying, and free it with the last tensor", async () => {
  await tf.setBackend("wasm");
  const buffers = () => [tf.memory().numDataBuffers, tf.backend().numDataIds()];
  const start = buffers();
  const x = tf.tensor1d([1, 2, 3, 4]);
  const y = tf.clone(x); // Identity
  const z = tf.cast(x, "float32");
  assert.equal(y.dataId, x.dataId);
  assert.equal(z.dataId, x.dataId);
  const i = tf.cast(x, "int32"); // a real conversion: its own data
  assert.deepEqual(buffers(), [start[0] + 2, start[1] + 2], "x's data once, plus the int32 copy");
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4], "the clone outlives the original");
  y.dispose();
  assert.deepEqual(Array.from(z.dataSync()), [1, 2, 3, 4]);
  assert.deepEqual(buffers(), [start[0] + 2, start[1] + 2]);
  z.dispose();
  assert.deepEqual(Array.from(i.dataSync()), [1, 2, 3, 4]);
  i.dispose();
  assert.deepEqual(buffers(), start, "every buffer freed with its last tensor");
});
