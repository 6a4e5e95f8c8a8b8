/**
 * The oneDNN addon's activation layouts, A/B in one process: "blocked" (reordered to oneDNN's
 * layout and back around every convolution) against "auto" (NHWC in place where it is safe),
 * alternating every 3 steps so that a shared host's drift falls on both alike.
 *   node dist/bench/conv-layout.js [--size 32] [--batch 64] [--model resnet20] [--what train|pgd] [--rounds 12]
 * Main thread; MIA_NATIVE_THREADS=1 makes it one pool worker's share. Prints one JSON line:
 * median ms per step for each layout and the median, min and max of the paired ratios.
 * (The pool's own A/B is `MIA_DNNL_LAYOUT=blocked|auto node dist/bench/train-step.js ...`.)
 */
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend/tf";
import { nativeStatus, registerWasmKernels, setConvLayout, type ConvLayout } from "../src/backend/wasm-kernels";
import { registerGradients } from "../src/backend/gradients";
import { buildModel } from "../src/models";

const { values: v } = parseArgs({
  options: {
    size: { type: "string", default: "32" },
    batch: { type: "string", default: "64" },
    model: { type: "string", default: "resnet20" },
    what: { type: "string", default: "train" },
    rounds: { type: "string", default: "12" },
  },
});

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

async function main(): Promise<void> {
  await tf.setBackend("wasm");
  registerWasmKernels();
  registerGradients();
  if (!nativeStatus().available) throw new Error(`the oneDNN addon is ${nativeStatus().detail}: nothing to compare`);
  if (v.what !== "train" && v.what !== "pgd") throw new Error(`--what ${v.what}: use train or pgd`);
  const [size, batch, rounds] = [Number(v.size), Number(v.batch), Number(v.rounds)];
  const model = buildModel(v.model!, [size, size, 3], 10, 0);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10);
  const opt = tf.train.momentum(0.01, 0.9);
  const loss = (inp: tf.Tensor, training: boolean) => tf.losses.softmaxCrossEntropy(y, model.apply(inp, { training }) as tf.Tensor) as tf.Scalar;
  const grad = tf.grad((inp: tf.Tensor) => loss(inp, false));
  const step = async () => {
    const out = v.what === "train" ? opt.minimize(() => loss(x, true), true)! : grad(x);
    await out.data();
    out.dispose();
  };
  const ms: Record<ConvLayout, number[]> = { blocked: [], auto: [] };
  for (const l of ["blocked", "auto"] as const) {
    setConvLayout(l);
    await step();
    await step();
  }
  for (let r = 0; r < rounds; r++)
    for (const l of r % 2 ? (["blocked", "auto"] as const) : (["auto", "blocked"] as const)) {
      setConvLayout(l);
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) await step();
      ms[l].push((performance.now() - t0) / 3);
    }
  const ratios = ms.blocked.map((b, i) => b / ms.auto[i]);
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  console.log(JSON.stringify({ engine: nativeStatus().detail, threads: process.env.MIA_NATIVE_THREADS ?? "all", model: v.model, size, batch, what: v.what, rounds, msBlocked: round3(median(ms.blocked)), msAuto: round3(median(ms.auto)), speedup: round3(median(ratios)), speedupMin: round3(Math.min(...ratios)), speedupMax: round3(Math.max(...ratios)) }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
