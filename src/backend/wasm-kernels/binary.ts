/**
 * Shared by add.ts, sub.ts, multiply.ts and real_div.ts: float32 elementwise ops where each operand
 * is full-size, a per-channel vector (shape [..., 1, C]) or a scalar, in one native loop. These are
 * batch norm's shapes and its gradient's; the stock wasm kernels walk broadcasts with per-element
 * index arithmetic. Other shapes and dtypes, or no addon, go to the stock kernel.
 */
import { tf } from "../tf";
import { nativeLoops } from "./native";
import { replacing, stockKernel, view, type WasmBackend } from "./util";

const OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

/** Whether `shape` reads as full-size (n elements), per-channel (c, the last axis) or scalar. */
function perChannel(shape: readonly number[], n: number, c: number): boolean {
  const size = tf.util.sizeFromShape([...shape]);
  return size === n || size === 1 || (size === c && shape[shape.length - 1] === c);
}

export function binaryConfig(name: keyof typeof OPS): () => tf.KernelConfig {
  return () => {
    const stock = stockKernel(name);
    const kernel = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo => {
      const { backend } = args;
      const a = args.inputs.a as tf.TensorInfo;
      const b = args.inputs.b as tf.TensorInfo;
      const native = a.dtype === "float32" && b.dtype === "float32" ? nativeLoops() : null;
      if (native === null) return stock(args) as tf.TensorInfo;
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = tf.util.sizeFromShape(shape);
      const c = shape[shape.length - 1];
      if (n === 0 || shape.length === 0 || !perChannel(a.shape, n, c) || !perChannel(b.shape, n, c)) return stock(args) as tf.TensorInfo;
      const out = backend.makeOutput(shape, "float32");
      native.binary(OPS[name], view(backend, a), view(backend, b), view(backend, out), c);
      return out;
    };
    return replacing(name, kernel);
  };
}
