/**
 * Deep-representation maps against direct computation on tiny hand-built conv models: a 2x2
 * conv with bias and ReLU for the channel means, and a linear conv (no bias, no activation)
 * where A(x_adv) - A(x) = A(x_adv - x), for the representation shift.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../src/backend";
import { channelMeanMaps, representationShift } from "../src/features";

const H = 4;
const CIN = 2;
const COUT = 3;
const K = 2;
const OUT = H - K + 1; // valid padding
/** Kernel [ky][kx][cin][cout] and bias with simple distinct values. */
const kernel = Array.from({ length: K * K * CIN * COUT }, (_, i) => ((i * 7) % 11) / 5 - 1);
const bias = [0.1, -0.3, 0.05];

function convModel(linear: boolean): tf.LayersModel {
  const input = tf.input({ shape: [H, H, CIN] });
  // Named like a ResNet stage output so stage number 2 resolves to it.
  const conv = tf.layers.conv2d({ filters: COUT, kernelSize: K, padding: "valid", useBias: !linear, activation: linear ? "linear" : "relu", name: "conv2_block1_out" });
  const a = conv.apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(a) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 2, name: "logits" }).apply(flat) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: logits });
  conv.setWeights(linear ? [tf.tensor4d(kernel, [K, K, CIN, COUT])] : [tf.tensor4d(kernel, [K, K, CIN, COUT]), tf.tensor1d(bias)]);
  return m;
}

/** Direct conv (n, OUT, OUT, COUT) in float64. */
function directConv(x: Float32Array, n: number, linear: boolean): Float64Array {
  const out = new Float64Array(n * OUT * OUT * COUT);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < OUT; r++)
      for (let c = 0; c < OUT; c++)
        for (let o = 0; o < COUT; o++) {
          let v = linear ? 0 : bias[o];
          for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) for (let i = 0; i < CIN; i++) v += x[((b * H + r + ky) * H + c + kx) * CIN + i] * kernel[((ky * K + kx) * CIN + i) * COUT + o];
          out[((b * OUT + r) * OUT + c) * COUT + o] = linear ? v : Math.max(0, v);
        }
  return out;
}
const channelMean = (a: Float64Array) => Float64Array.from({ length: a.length / COUT }, (_, p) => a.slice(p * COUT, (p + 1) * COUT).reduce((s, v) => s + v, 0) / COUT);
const l2 = (a: ArrayLike<number>, from: number, len: number) => Math.sqrt(Array.from({ length: len }, (_, i) => a[from + i] ** 2).reduce((s, v) => s + v, 0));

const N = 5;
let x: tf.Tensor4D;
let delta: tf.Tensor4D;
before(async () => {
  await initBackend();
  x = tf.randomUniform([N, H, H, CIN], 0, 1, "float32", 3) as tf.Tensor4D;
  delta = tf.randomUniform([N, H, H, CIN], -0.05, 0.05, "float32", 4) as tf.Tensor4D;
});

test("channelMeanMaps equals the direct channel mean of conv + bias + ReLU, by stage number or name, in any batch size", async () => {
  const m = convModel(false);
  const want = channelMean(directConv(x.dataSync() as Float32Array, N, false));
  const before = tf.memory().numTensors;
  for (const [layer, batchSize] of [[2, 32], ["conv2_block1_out", 2]] as const) {
    const r = await channelMeanMaps(m, x, layer, { batchSize });
    assert.deepEqual([r.n, r.h, r.w, r.layer], [N, OUT, OUT, "conv2_block1_out"]);
    assert.equal(r.data.length, want.length);
    r.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `pixel ${i}: ${v} vs ${want[i]}`));
  }
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  await assert.rejects(channelMeanMaps(m, x, 7), /has no stage 7/);
  await assert.rejects(channelMeanMaps(m, x, "logits"), /layer 'logits' outputs shape \[5,2\]; channel-mean maps need a 4-D/);
  assert.equal(tf.memory().numTensors, before, "no tensors leak on errors");
  m.dispose();
});

test("representationShift: 0 for identical inputs; ||A(delta)|| / ||A(x)|| on a linear conv", async () => {
  const m = convModel(true);
  const before = tf.memory().numTensors;
  const same = await representationShift(m, x, x, 2);
  assert.deepEqual(same.activation, new Array(N).fill(0));
  assert.deepEqual(same.channelMean, new Array(N).fill(0));
  assert.equal(same.meanActivation, 0);

  const adv = tf.add(x, delta) as tf.Tensor4D;
  const r = await representationShift(m, x, adv, "conv2_block1_out", { batchSize: 2 });
  const ax = directConv(x.dataSync() as Float32Array, N, true);
  const ad = directConv(delta.dataSync() as Float32Array, N, true);
  const [mx, md] = [channelMean(ax), channelMean(ad)];
  const per = OUT * OUT * COUT;
  const wantAct = Array.from({ length: N }, (_, k) => l2(ad, k * per, per) / l2(ax, k * per, per));
  const wantMap = Array.from({ length: N }, (_, k) => l2(md, k * OUT * OUT, OUT * OUT) / l2(mx, k * OUT * OUT, OUT * OUT));
  for (let k = 0; k < N; k++) {
    assert.ok(Math.abs(r.activation[k] - wantAct[k]) < 1e-4 * wantAct[k] + 1e-6, `activation ${k}: ${r.activation[k]} vs ${wantAct[k]}`);
    assert.ok(Math.abs(r.channelMean[k] - wantMap[k]) < 1e-3 * wantMap[k] + 1e-6, `channel mean ${k}: ${r.channelMean[k]} vs ${wantMap[k]}`);
  }
  assert.ok(r.activation[0] > 0);
  assert.ok(Math.abs(r.meanActivation - wantAct.reduce((a, v) => a + v, 0) / N) < 1e-5);
  assert.ok(Math.abs(r.meanChannelMean - wantMap.reduce((a, v) => a + v, 0) / N) < 1e-4);
  adv.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  const short = x.slice([0, 0, 0, 0], [2, -1, -1, -1]);
  await assert.rejects(representationShift(m, x, short as tf.Tensor4D, 2), /same shape, got \[5,4,4,2\] and \[2,4,4,2\]/);
  short.dispose();
  m.dispose();
});
