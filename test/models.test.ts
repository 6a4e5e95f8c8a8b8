/**
 * Architectures match independent parameter counts: PyTorch's for the benchmark net, He et al.'s
 * ResNet-20, torchvision's ResNet-18 and Keras-applications' ResNet50 (both without their
 * 1000-class top), each plus the paper's head.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../src/backend";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARCHITECTURES, architecture, buildModel, gaussianKernel1d, LocalContrast } from "../src/models";
import { loadModelFile, saveModelFile } from "../src/train";
import { PROFILES } from "../src/config";

const count = (ws: tf.LayerVariable[]) => ws.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
const trainable = (m: tf.LayersModel) => count(m.trainableWeights);
/** The paper's head on a d-channel body: Dense(d -> 128) + Dense(128 -> k). */
const head = (d: number, k: number) => d * 128 + 128 + 128 * k + k;

test("resnet-bench has the 1,226,914 trainable parameters PyTorch counts for the same network", () => {
  assert.equal(trainable(buildModel("resnet-bench", [32, 32, 3], 2)), 1_226_914);
});

test("resnet20 is He et al.'s CIFAR ResNet-20 (271,824 in the body with projection shortcuts) + the paper's head", () => {
  const m = buildModel("resnet20", [32, 32, 3], 2);
  assert.equal(trainable(m), 271_824 + head(64, 2));
  const convs = m.layers.filter((l) => l.getClassName() === "MiaConv2D").length;
  assert.equal(convs, 1 + 9 * 2 + 2, "stem + 9 blocks x 2 convolutions + 2 projections");
  assert.deepEqual(m.outputs[0].shape, [null, 2]);
  assert.deepEqual(m.getLayer("feature").outputShape, [null, 128]);
  assert.equal(m.getLayer("dropout").getConfig().rate, 0.2);
  // The stride-2 stem only changes resolution, not parameters.
  const s2 = buildModel("resnet20-s2", [64, 64, 3], 2);
  assert.equal(trainable(s2), trainable(m));
  assert.deepEqual(s2.getLayer("conv2_block1_out").outputShape, [null, 32, 32, 16]);
});

test("resnet50 is Keras-applications' ResNet50 (23,534,592 trainable / 23,587,712 total without top) + the paper's head", () => {
  const m = buildModel("resnet50", [224, 224, 3], 2);
  assert.equal(trainable(m), 23_534_592 + head(2048, 2));
  assert.equal(count(m.weights), 23_587_712 + head(2048, 2));
  assert.deepEqual(m.getLayer("conv3_block4_out").outputShape, [null, 28, 28, 512], "the paper's stage-3 map");
  assert.deepEqual(m.getLayer("conv5_block1_out").outputShape, [null, 7, 7, 2048], "the input of stage-5 block 2");
  m.dispose();
});

test("resnet18 is torchvision's ResNet-18 (11,176,512 without its fc) + the paper's head", () => {
  const m = buildModel("resnet18", [224, 224, 3], 5);
  assert.equal(trainable(m), 11_176_512 + head(512, 5));
  assert.deepEqual(m.getLayer("conv5_block2_out").outputShape, [null, 7, 7, 512]);
  m.dispose();
});

test("parametric families: CIFAR ResNets of depth 6n+2 and width W, plain CNNs of width x depth", () => {
  const r32 = buildModel("resnet32-w8", [16, 16, 3], 2);
  assert.equal(r32.layers.filter((l) => l.getClassName() === "MiaConv2D").length, 1 + 15 * 2 + 2);
  assert.deepEqual(r32.getLayer("conv4_block5_out").outputShape, [null, 4, 4, 32]);
  const cnn = buildModel("cnn-w8-d6", [32, 32, 1], 3);
  const convs = cnn.layers.filter((l) => l.getClassName() === "MiaConv2D");
  assert.deepEqual(convs.map((l) => (l.getWeights()[0].shape as number[])[3]), [8, 8, 16, 16, 32, 64], "6 layers over 4 stages, width doubling per stage");
  // 3x3 convolutions (no bias) + BN gamma/beta + the head.
  const expected = 9 * (1 * 8 + 8 * 8 + 8 * 16 + 16 * 16 + 16 * 32 + 32 * 64) + 2 * (8 + 8 + 16 + 16 + 32 + 64) + head(64, 3);
  assert.equal(trainable(cnn), expected);
  assert.equal(architecture("cnn-w4-d2").family, "cnn");
  assert.throws(() => buildModel("resnet1000", [8, 8, 1], 2), /Unknown model 'resnet1000'\. Known: resnet-tiny, resnet20, resnet20-s2, resnet-bench, resnet18, resnet50; or resnet<6n\+2>/);
  assert.throws(() => buildModel("resnet21", [8, 8, 1], 2), /Unknown model 'resnet21'/);
  assert.throws(() => buildModel("resnet20", [8, 8, 1], 1), /at least 2 classes/);
  for (const p of [PROFILES.smoke, PROFILES.cpu, PROFILES.paper]) assert.ok(ARCHITECTURES[p.model], `${p.name}: ${p.model}`);
});

test("local contrast (Graham's fundus normalisation): flat regions map to 0.5, a spot is amplified 4x minus its blur; saved and loaded with the model", async () => {
  const g = gaussianKernel1d(2);
  assert.ok(Math.abs(g.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.deepEqual(Array.from(g), Array.from(g).reverse(), "symmetric");
  const layer = new LocalContrast({ sigmaFraction: 1 / 16 });
  const flat = tf.fill([1, 32, 32, 3], 0.3) as tf.Tensor4D;
  const out = layer.apply(flat) as tf.Tensor4D;
  const centre = out.slice([0, 8, 8, 0], [1, 16, 16, 3]);
  assert.ok(tf.max(tf.abs(tf.sub(centre, 0.5))).dataSync()[0] < 1e-5, "a flat interior becomes 0.5");
  // One bright pixel: output there = 0.5 + 4 (1 - w0^2) * delta with w0 the kernel's centre weight.
  const k = gaussianKernel1d(2);
  const w0 = k[(k.length - 1) / 2];
  const spot = tf.tidy(() => tf.add(flat, tf.mul(tf.oneHot(tf.tensor1d([16 * 32 + 16], "int32"), 32 * 32).reshape([1, 32, 32, 1]), 0.2)) as tf.Tensor4D);
  const o2 = layer.apply(spot) as tf.Tensor4D;
  const v = o2.slice([0, 16, 16, 0], [1, 1, 1, 1]).dataSync()[0];
  assert.ok(Math.abs(v - (0.5 + 4 * 0.2 * (1 - w0 * w0))) < 1e-4, `spot ${v}`);
  const m = buildModel("resnet-tiny", [32, 32, 3], 2, 0, { preprocess: "local-contrast" });
  assert.equal(m.layers[1].getClassName(), "MiaLocalContrast");
  assert.equal(trainable(m), trainable(buildModel("resnet-tiny", [32, 32, 3], 2)), "no trainable weights added");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-lc-"));
  await saveModelFile(m, dir, "model");
  const back = (await loadModelFile(path.join(dir, "model.json"))).model;
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 2);
  assert.deepEqual(Array.from((back.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
  tf.dispose([flat, out, centre, spot, o2, x]);
});
