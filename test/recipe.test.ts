/** Training recipes: per-task settings, CIFAR's crop-and-flip augmentation, weight decay. */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../src/backend";
import { PROFILES, type Profile } from "../src/config";
import { buildModel } from "../src/models";
import { addWeightDecay, augmentBatch, augmentMatrices, CROP_FLIP_AUGMENT, decays, PAPER_AUGMENT, trainSettings, transformBatch } from "../src/train";
import { rng } from "../src/data/split";

before(async () => {
  await initBackend();
});

test("trainSettings: explicit options beat the task's recipe, which beats the profile's defaults", () => {
  const profile: Profile = { ...PROFILES.smoke, recipeFor: { cifar10: { epochs: 7, batchSize: 32, monitor: "accuracy", augment: "crop-flip", optimizer: { kind: "sgd", lr: 0.1, weightDecay: 5e-4 } } } };
  const cifar = trainSettings("cifar10", profile);
  assert.equal(cifar.epochs, 7);
  assert.equal(cifar.batchSize, 32);
  assert.equal(cifar.monitor, "accuracy");
  assert.deepEqual(cifar.augment, CROP_FLIP_AUGMENT);
  assert.equal(cifar.optimizer.kind, "sgd");
  assert.equal(cifar.optimizer.weightDecay, 5e-4);
  assert.equal(cifar.optimizer.schedule, "cosine", "fields the recipe leaves out keep the defaults");
  const cxr = trainSettings("cxr", profile);
  assert.equal(cxr.epochs, PROFILES.smoke.epochs);
  assert.deepEqual(cxr.augment, PAPER_AUGMENT);
  assert.equal(cxr.optimizer.kind, "adam");
  const forced = trainSettings("cifar10", profile, { epochs: 2, optimizer: { lr: 0.01 }, augment: false });
  assert.equal(forced.epochs, 2);
  assert.equal(forced.optimizer.lr, 0.01);
  assert.equal(forced.optimizer.kind, "sgd", "an explicit lr keeps the recipe's optimizer");
  assert.equal(forced.augment, false);
  assert.throws(() => trainSettings("cifar10", { ...profile, recipeFor: { cifar10: { optimizer: { weightDecay: 2 } } } }), /weightDecay must be in \[0, 1\)/);
});

test("early stopping: a cosine schedule runs to its end; the profile's patience applies to constant schedules; an explicit patience on a cosine schedule is refused", () => {
  const profile: Profile = { ...PROFILES.smoke, patience: 5 };
  assert.equal(trainSettings("cxr", profile).optimizer.schedule, "cosine");
  assert.equal(trainSettings("cxr", profile).patience, 0, "the default cosine schedule ignores the profile's patience");
  assert.equal(trainSettings("cxr", profile, { patience: 0 }).patience, 0);
  assert.throws(() => trainSettings("cxr", profile, { patience: 3 }), /patience 3 would stop a cosine schedule.*--patience 0/s);
  assert.throws(() => trainSettings("cifar10", { ...profile, recipeFor: { cifar10: { patience: 4 } } }), /patience 4 would stop a cosine schedule/);
  const constant = { optimizer: { schedule: "constant" as const } };
  assert.equal(trainSettings("cxr", profile, constant).patience, 5, "a constant schedule takes the profile's patience");
  assert.equal(trainSettings("cxr", profile, { ...constant, patience: 2 }).patience, 2);
  assert.throws(() => trainSettings("cxr", profile, { patience: 1.5 }), /patience must be a whole number >= 0, got 1.5/, "a bad value is refused as such, before the schedule rule");
  // Every profile's own recipes are valid under the rule (none sets a patience on a cosine schedule).
  for (const p of Object.values(PROFILES)) for (const t of [...p.tasks.medical, ...p.tasks.natural, ...p.tasks.multiclass]) assert.equal(trainSettings(t, p).patience, 0, `${p.name}/${t}`);
});

test("crop-flip augmentation's index copy gives tf.image.transform's numbers exactly (zero and edge fill, 1 and 3 channels, values outside [0, 1] clipped)", async () => {
  // On wasm, the backend training runs on. tfjs-backend-cpu 4.22's Transform is no reference for
  // batches: with constant fill it returned zeros for every image after the first (seen 2026-12-08).
  for (const backend of ["wasm"]) {
    await tf.setBackend(backend);
    for (const [n, side, ch] of [[6, 32, 3], [5, 64, 1], [4, 9, 2]]) {
      const r = rng(side + ch);
      // Mostly in [0, 1], a few values outside it, as a clip has to handle.
      const vals = Float32Array.from({ length: n * side * side * ch }, () => r() * 1.2 - 0.1);
      for (const config of [CROP_FLIP_AUGMENT, { ...CROP_FLIP_AUGMENT, fill: "nearest" as const }, { ...CROP_FLIP_AUGMENT, shift: 0.3 }])
        for (const seed of [1, 2, 3, 4]) {
          const x = tf.tensor4d(vals, [n, side, side, ch]);
          const fast = augmentBatch(x, config, seed);
          const general = transformBatch(x, augmentMatrices(n, side, side, config, rng(seed)), config.fill ?? "nearest");
          const [a, b] = [await fast.data(), await general.data()];
          tf.dispose([x, fast, general]);
          const label = `${backend} ${n}x${side}x${side}x${ch} fill ${config.fill} shift ${config.shift} seed ${seed}`;
          assert.equal(a.length, b.length, label);
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${label}: [${i}] ${a[i]} vs ${b[i]}`);
        }
    }
  }
  await initBackend();
});

test("the general augmentation path gives the same images on the cpu backend as on wasm, batch after batch", async () => {
  const n = 4;
  const side = 12;
  const r = rng(11);
  const vals = Float32Array.from({ length: n * side * side * 2 }, () => r());
  const out: Record<string, Float32Array> = {};
  for (const config of [PAPER_AUGMENT, CROP_FLIP_AUGMENT]) {
    const m = augmentMatrices(n, side, side, config, rng(5));
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const x = tf.tensor4d(vals, [n, side, side, 2]);
      const y = transformBatch(x, m, config.fill ?? "nearest");
      out[backend] = (await y.data()) as Float32Array;
      tf.dispose([x, y]);
    }
    for (let i = 0; i < out.cpu.length; i++) if (!(Math.abs(out.cpu[i] - out.wasm[i]) <= 1e-5)) assert.fail(`${config.rotation ? "paper" : "crop-flip"} [${i}] (image ${Math.floor(i / (side * side * 2))}): cpu ${out.cpu[i]} vs wasm ${out.wasm[i]}`);
  }
  await initBackend();
});

test("crop-flip augmentation: every image is the original shifted by whole pixels (zeros shifted in), maybe flipped", async () => {
  const n = 12;
  const side = 16;
  const vals = Float32Array.from({ length: n * side * side }, (_, i) => 0.05 + 0.9 * (((i * 7919) % 1000) / 1000));
  const x = tf.tensor4d(vals, [n, side, side, 1]);
  const out = augmentBatch(x, CROP_FLIP_AUGMENT, 3);
  const a = await out.data();
  tf.dispose([x, out]);
  const at = (buf: ArrayLike<number>, i: number, r: number, c: number) => buf[(i * side + r) * side + c];
  let flipped = 0;
  let shifted = 0;
  for (let i = 0; i < n; i++) {
    // Find the integer shift (dy, dx) and flip that reproduce the output exactly.
    let found: [number, number, boolean] | undefined;
    for (const flip of [false, true]) for (let dy = -2; dy <= 2 && !found; dy++) for (let dx = -2; dx <= 2 && !found; dx++) {
      let ok = true;
      for (let r = 0; r < side && ok; r++) for (let c = 0; c < side && ok; c++) {
        const sr = r + dy;
        const scRaw = c + dx;
        const sc = flip ? side - 1 - scRaw : scRaw;
        const want = sr >= 0 && sr < side && scRaw >= 0 && scRaw < side ? at(vals, i, sr, sc) : 0;
        ok = Math.abs(at(a, i, r, c) - want) < 1e-6;
      }
      if (ok) found = [dy, dx, flip];
    }
    assert.ok(found, `image ${i} is not an integer shift (|d| <= 2 = 16/8) of the original with zero fill`);
    if (found[2]) flipped++;
    if (found[0] !== 0 || found[1] !== 0) shifted++;
  }
  assert.ok(flipped > 0 && flipped < n, `flips: ${flipped} of ${n}`);
  assert.ok(shifted > n / 2, `shifted: ${shifted} of ${n}`);
});

test("weight decay: kernel gradients gain wd * w; batch-norm parameters and biases are left alone", async () => {
  const model = buildModel("resnet-tiny", [8, 8, 1], 2, 0);
  const grads: tf.NamedTensorMap = {};
  for (const w of model.trainableWeights) grads[(w.read() as tf.Variable).name] = tf.onesLike(w.read());
  addWeightDecay(grads, model.trainableWeights, 0.01);
  let kernels = 0;
  for (const w of model.trainableWeights) {
    const g = await grads[(w.read() as tf.Variable).name].data();
    const v = await w.read().data();
    const isKernel = decays(w.originalName);
    if (isKernel) kernels++;
    for (let j = 0; j < v.length; j += Math.max(1, Math.floor(v.length / 7))) assert.ok(Math.abs(g[j] - (1 + (isKernel ? 0.01 * v[j] : 0))) < 1e-6, `${w.originalName}[${j}]`);
  }
  assert.ok(kernels >= 5 && kernels < model.trainableWeights.length, `${kernels} kernels of ${model.trainableWeights.length} weights`);
  assert.ok(!decays("conv1_bn/gamma") && !decays("logits/bias") && decays("logits/kernel") && decays("conv1_conv/kernel_3"));
  tf.dispose(Object.values(grads));
  model.dispose();
});
