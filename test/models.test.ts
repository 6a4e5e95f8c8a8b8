/** Architectures match independent counts: PyTorch's for the benchmark net, He et al.'s ResNet-20. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../src/backend";
import { ARCHITECTURES, buildModel } from "../src/models";
import { PROFILES } from "../src/config";

const trainable = (m: tf.LayersModel) => m.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

test("resnet-bench has the 1,226,914 trainable parameters PyTorch counts for the same network", () => {
  assert.equal(trainable(buildModel("resnet-bench", [32, 32, 3], 2)), 1_226_914);
});

test("resnet20 is He et al.'s CIFAR ResNet-20 (~0.27M parameters; 271,954 with projection shortcuts)", () => {
  const m = buildModel("resnet20", [32, 32, 3], 2);
  assert.equal(trainable(m), 271_954);
  const convs = m.layers.filter((l) => l.getClassName() === "MiaConv2D").length;
  assert.equal(convs, 1 + 9 * 2 + 2, "stem + 9 blocks x 2 convolutions + 2 projections");
  assert.deepEqual(m.outputs[0].shape, [null, 2]);
});

test("unknown model names list the known ones; the smoke and cpu profiles' models exist", () => {
  assert.throws(() => buildModel("resnet1000", [8, 8, 1], 2), /Unknown model 'resnet1000'\. Known: resnet-tiny, resnet20, resnet-bench/);
  // The paper profile's ResNet-50 arrives with the training work (#6).
  for (const p of [PROFILES.smoke, PROFILES.cpu]) assert.ok(ARCHITECTURES[p.model], `${p.name}: ${p.model}`);
});
