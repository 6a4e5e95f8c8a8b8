/**
 * FusedBatchNorm (inference and the normalising step of training): y = (x - mean) / sqrt(var + eps)
 * * scale + offset per channel. The stock wasm kernel is a scalar loop with a modulo per element;
 * with the oneDNN addon built, the per-channel a, b are folded here (C values) and one native
 * loop computes y = x * a + b. Otherwise, or for parameters that are not per channel, stock.
 */
import { tf } from "../tf";
import { nativeLoops } from "./native";
import { replacing, stockKernel, view, type WasmBackend } from "./util";

let stock: tf.KernelFunc;

function fusedBatchNorm(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  const native = nativeLoops();
  const c = x!.shape[x!.shape.length - 1];
  const perChannel = (t: tf.TensorInfo | undefined) => t === undefined || (t.dtype === "float32" && [1, c].includes(tf.util.sizeFromShape(t.shape)));
  if (native === null || x!.dtype !== "float32" || c === 0 || tf.util.sizeFromShape(x!.shape) === 0 || ![mean, variance, offset, scale].every(perChannel)) return stock(args) as tf.TensorInfo;
  const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
  const at = (t: tf.TensorInfo | undefined, fill: number) => {
    if (t === undefined) return () => fill;
    const v = view(backend, t);
    return v.length === 1 ? () => v[0] : (k: number) => v[k];
  };
  const [mu, va, of, sc] = [at(mean, 0), at(variance, 1), at(offset, 0), at(scale, 1)];
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    a[k] = sc(k) / Math.sqrt(va(k) + eps);
    b[k] = of(k) - mu(k) * a[k];
  }
  const y = backend.makeOutput([...x!.shape], "float32");
  native.affineChannels(view(backend, x!), a, b, view(backend, y));
  return y;
}

export const fusedBatchNormConfig = (): tf.KernelConfig => {
  stock = stockKernel("FusedBatchNorm");
  return replacing("FusedBatchNorm", fusedBatchNorm);
};
