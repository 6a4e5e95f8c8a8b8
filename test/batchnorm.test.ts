/**
 * The closed-form batch-norm gradient (src/models/batchnorm.ts) against tfjs-layers' own graph
 * (MIA_FUSED_BN=0), on the cpu backend (an independent implementation of every kernel) and on
 * wasm: the loss, dL/dx, dL/dgamma, dL/dbeta and the moving averages agree to float rounding.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend";
import { registerWasmKernels } from "../src/backend/wasm-kernels";
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

for (const backend of ["cpu", "wasm"])
  test(`batch norm in training: the closed-form gradient equals tfjs-layers' graph on ${backend}`, async () => {
    const fused = await run(backend, true);
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
