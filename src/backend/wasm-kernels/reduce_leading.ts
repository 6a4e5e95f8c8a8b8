/**
 * Shared by sum.ts and mean.ts: reductions over the leading axes (e.g. N, H, W of an NHWC activation: batch-norm statistics
 * and their gradients). The stock wasm kernels transpose the whole tensor to make those axes
 * innermost; here the reduction is one matrix product, ones[1, M] x X[M, C], through the wasm
 * BatchMatMul (XNNPACK), or one native column-sum loop where the oneDNN addon is built. Other
 * reductions go to the stock kernels.
 */
import { tf } from "../tf";
import { nativeLoops } from "./native";
import { call, free, stockKernel, view, type WasmBackend } from "./util";

let batchMatMul: tf.KernelFunc | undefined;
let reshape: tf.KernelFunc | undefined;

/** Captures the stock kernels the reductions are built from (before any is replaced). */
export function captureStock(): void {
  batchMatMul ??= stockKernel("BatchMatMul");
  reshape ??= stockKernel("Reshape");
}

/** The leading-axes split [M, C] if `axes` are exactly 0..k-1 with 0 < k < rank, else null. */
export function leadingSplit(shape: readonly number[], axes: readonly number[]): [number, number] | null {
  const k = axes.length;
  if (k === 0 || k >= shape.length) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  if (!sorted.every((a, i) => a === i)) return null;
  const m = shape.slice(0, k).reduce((a, b) => a * b, 1);
  const c = shape.slice(k).reduce((a, b) => a * b, 1);
  return [m, c];
}

export function reduceLeading(kind: "sum" | "mean", stock: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const split = x.dtype === "float32" ? leadingSplit(x.shape, axes) : null;
    // Small reductions are not worth a matmul call.
    if (split === null || split[0] < 64) return stock(args) as tf.TensorInfo;
    const [m, c] = split;
    const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const native = nativeLoops();
    if (native !== null) {
      const out = backend.makeOutput(outShape, "float32");
      native.sumLeading(view(backend, x), view(backend, out), kind === "mean" ? 1 / m : 1);
      return out;
    }
    const ones = backend.makeOutput([1, 1, m], "float32");
    view(backend, ones).fill(kind === "mean" ? 1 / m : 1);
    const b = call(reshape!, backend, { x }, { shape: [1, m, c] });
    const prod = call(batchMatMul!, backend, { a: ones, b }, { transposeA: false, transposeB: false });
    free(backend, ones, b);
    const out = call(reshape!, backend, { x: prod }, { shape: outShape });
    free(backend, prod);
    return out;
  };
}

