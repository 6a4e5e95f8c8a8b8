/**
 * One benchmark configuration in its own process (so "stock" wasm never sees our kernels):
 *   node dist/bench/train-step.js --backend wasm|wasm-stock|cpu|webgpu --size 64 [--batch 64] [--what train|pgd|both]
 * webgpu runs only on a hardware adapter unless --software (Mesa's llvmpipe: a correctness run, not a speed).
 * Prints one JSON line per measurement: {backend, size, batch, what, imgPerSec, ...} or {error}.
 * A training step is forward + backward + SGD-momentum update on the benchmark ResNet; a PGD step
 * is 20 input-gradient iterations (BN in inference mode) with sign steps and clipping.
 */
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend/tf";
import { nativeStatus, registerWasmKernels } from "../src/backend/wasm-kernels";
import { registerGradients } from "../src/backend/gradients";
import { buildModel } from "../src/models";
import { WasmPool, type PoolModel } from "../src/backend/parallel";
import { describeAdapter, loadWebGpu } from "../src/backend/webgpu";

const { values: v } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    size: { type: "string", default: "64" },
    batch: { type: "string", default: "64" },
    what: { type: "string", default: "both" },
    seconds: { type: "string", default: "20" },
    channels: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    workers: { type: "string", default: "1" },
    model: { type: "string", default: "resnet-bench" },
    software: { type: "boolean" },
  },
});
const size = Number(v.size);
const batch = Number(v.batch);
const channels = Number(v.channels);
const budget = Number(v.seconds) * 1000;
const warmup = Number(v.warmup);
const workers = Number(v.workers);

let adapter: string | undefined;

function emit(o: object): void {
  // "wasm+onednn" when the oneDNN addon computes the convolutions and batch-norm loops.
  const label = v.backend === "wasm" && nativeStatus().available ? "wasm+onednn" : v.backend;
  console.log(JSON.stringify({ backend: workers > 1 ? `${label}-x${workers}` : label, model: v.model, size, batch, workers, ...(adapter ? { adapter } : {}), ...o }));
}

/** Runs fn until the time budget is spent (at least once after one warm-up); returns seconds per call. */
async function timeIt(fn: () => Promise<void>, maxRuns: number): Promise<{ perCall: number; runs: number }> {
  for (let i = 0; i < warmup; i++) await fn(); // warm-up: XNNPACK operator creation, wasm memory growth
  let runs = 0;
  const t0 = performance.now();
  while (runs < maxRuns && (runs === 0 || performance.now() - t0 < budget)) {
    await fn();
    runs++;
  }
  return { perCall: (performance.now() - t0) / 1000 / runs, runs };
}

async function main(): Promise<void> {
  const backend = v.backend === "wasm-stock" ? "wasm" : v.backend!;
  if (backend === "webgpu") adapter = describeAdapter(await loadWebGpu(v.software === true));
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  if (v.backend === "wasm") registerWasmKernels();
  if (v.backend !== "wasm-stock") registerGradients();
  const model = buildModel(v.model!, [size, size, channels], 2);
  const x = tf.randomUniform([batch, size, size, channels], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), "int32"), 2);
  const opt = tf.train.momentum(0.01, 0.9);
  const loss = (inp: tf.Tensor, training: boolean) => tf.losses.softmaxCrossEntropy(y, model.apply(inp, { training }) as tf.Tensor) as tf.Scalar;
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), "int32");
  let pool: WasmPool | undefined;
  let pm: PoolModel | undefined;
  if (workers > 1) {
    if (v.backend !== "wasm") throw new Error("--workers needs --backend wasm");
    pool = await WasmPool.create(workers);
    pm = await pool.loadModel(model);
  }

  if (v.what !== "pgd") {
    try {
      const step = pool
        ? async () => {
            const { grads } = await pool!.trainGradients(pm!, x as tf.Tensor4D, labels);
            opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
            tf.dispose(Object.values(grads));
            await pool!.syncWeights(pm!);
          }
        : async () => {
            const l = opt.minimize(() => loss(x, true), true)!;
            await l.data();
            l.dispose();
          };
      const t = await timeIt(step, 50);
      emit({ what: "train", imgPerSec: batch / t.perCall, secPerStep: t.perCall, runs: t.runs, params: model.countParams() });
    } catch (e) {
      emit({ what: "train", error: (e as Error).message.split("\n")[0] });
    }
  }
  if (v.what !== "train") {
    const eps = 1 / 255;
    const alpha = eps / 10;
    const grad = tf.grad((inp: tf.Tensor) => loss(inp, false));
    const pgd = async () => {
      let adv = tf.clipByValue(x.add(tf.randomUniform(x.shape, -eps, eps, "float32", 2)), 0, 1);
      for (let i = 0; i < 20; i++) {
        const pg = pool ? (await pool.inputGradient(pm!, adv as tf.Tensor4D, labels)).grad : undefined;
        const next = tf.tidy(() => {
          const g = pg ?? grad(adv);
          const stepped = adv.add(g.sign().mul(alpha));
          return tf.clipByValue(tf.minimum(tf.maximum(stepped, x.sub(eps)), x.add(eps)), 0, 1);
        });
        adv.dispose();
        pg?.dispose();
        adv = next;
      }
      await adv.data();
      adv.dispose();
    };
    try {
      const t = await timeIt(pgd, 20);
      emit({ what: "pgd20", imgPerSec: batch / t.perCall, secPerAttack: t.perCall, runs: t.runs });
    } catch (e) {
      emit({ what: "pgd20", error: (e as Error).message.split("\n")[0] });
    }
  }
  await pool?.close();
}

main().catch((e) => {
  emit({ what: "setup", error: (e as Error).message });
  process.exit(1);
});
