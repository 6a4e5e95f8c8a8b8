/**
 * Identity without a copy. The stock wasm kernel copies the whole tensor, and a training step's
 * gradient tape calls it hundreds of times; tensors are immutable, so sharing the data with a
 * reference count is safe (the cpu backend does the same, and wasm's own Reshape).
 */
import { tf } from "../tf";
import { replacing, stockKernel, type WasmBackend } from "./util";

let stock: tf.KernelFunc;

/** Shares x's data: the backend frees it when the last tensor on it is disposed. */
export function alias(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  (backend as unknown as { incRef(id: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === "string") return stock(args as never) as tf.TensorInfo;
  return alias(args.backend, x);
}

export const identityConfig = (): tf.KernelConfig => {
  stock = stockKernel("Identity");
  return replacing("Identity", identity);
};
