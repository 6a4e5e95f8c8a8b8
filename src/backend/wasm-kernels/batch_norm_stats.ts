/**
 * MiaBatchNormStats (this project's kernel, wasm only): the per-channel mean and biased variance
 * of a channels-last activation, the statistics of batch norm in training, in one native call
 * (two passes over x) where tf.mean / sub / square / mean make five full-size passes and three
 * temporaries. Needs the oneDNN addon: callers ask `nativeTrainingKernels()` first
 * (src/models/batchnorm.ts keeps the composite ops everywhere else).
 */
import { tf } from "../tf";
import { requireNativeLoops } from "./native";
import { view, type WasmBackend } from "./util";

export const BATCH_NORM_STATS = "MiaBatchNormStats";

function batchNormStats(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend }): tf.TensorInfo[] {
  const { inputs, backend } = args;
  const x = inputs.x as tf.TensorInfo;
  const native = requireNativeLoops(BATCH_NORM_STATS, { x });
  if (x.shape.length < 2) throw new Error(`${BATCH_NORM_STATS}: x must have rank >= 2, got [${x.shape}]`);
  const c = x.shape[x.shape.length - 1];
  const mean = backend.makeOutput([c], "float32");
  const variance = backend.makeOutput([c], "float32");
  // Views after the allocations: a grown wasm memory detaches earlier views.
  native.bnStats(view(backend, x), view(backend, mean), view(backend, variance));
  return [mean, variance];
}

export const batchNormStatsConfig = (): tf.KernelConfig => ({ kernelName: BATCH_NORM_STATS, backendName: "wasm", kernelFunc: batchNormStats as unknown as tf.KernelFunc });

/** [mean, variance] over every axis but the last (biased variance, as batch norm in training). */
export function runBatchNormStats(x: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM_STATS, { x }) as unknown as [tf.Tensor1D, tf.Tensor1D];
}
