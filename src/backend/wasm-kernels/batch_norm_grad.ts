/**
 * MiaBatchNormGrad (this project's kernel, wasm only): the backward pass of training-mode batch
 * norm, y = gamma * (x - mean) / sqrt(variance + eps) + beta with the batch's own mean and
 * variance, as one native call (a pass for the per-channel sums, a pass for dx):
 *   dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy)
 * where the composite graph (src/models/batchnorm.ts) runs about ten full-size elementwise
 * kernels. Needs the oneDNN addon: callers ask `nativeTrainingKernels()` first.
 */
import { tf } from "../tf";
import { requireNativeLoops } from "./native";
import { view, type WasmBackend } from "./util";

export const BATCH_NORM_GRAD = "MiaBatchNormGrad";

function batchNormGrad(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, dy, mean, variance, scale } = inputs as Record<"x" | "dy" | "mean" | "variance" | "scale", tf.TensorInfo>;
  const native = requireNativeLoops(BATCH_NORM_GRAD, { x, dy, mean, variance, scale });
  const c = x.shape[x.shape.length - 1];
  const dx = backend.makeOutput([...x.shape], "float32");
  const dscale = backend.makeOutput([c], "float32");
  const doffset = backend.makeOutput([c], "float32");
  const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  // Views after the allocations: a grown wasm memory detaches earlier views.
  const v = (t: tf.TensorInfo) => view(backend, t);
  native.bnBackward(v(x), v(dy), v(mean), v(variance), v(scale), eps, v(dx), v(dscale), v(doffset));
  return [dx, dscale, doffset];
}

export const batchNormGradConfig = (): tf.KernelConfig => ({ kernelName: BATCH_NORM_GRAD, backendName: "wasm", kernelFunc: batchNormGrad as unknown as tf.KernelFunc });

/** [dx, dgamma, dbeta] of training-mode batch norm over every axis but the last. */
export function runBatchNormGrad(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, varianceEpsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM_GRAD, { x, dy, mean, variance, scale: gamma }, { varianceEpsilon } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}
