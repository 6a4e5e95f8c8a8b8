/**
 * Shared plumbing for the wasm kernels in this folder: calling the backend's own (XNNPACK)
 * kernels on TensorInfos, allocating outputs in wasm memory, and freeing intermediates.
 */
import { tf } from "../tf";

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** A stock wasm kernel's function, looked up once (before ours replace any of the same name). */
export function stockKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, "wasm");
  if (k === undefined) throw new Error(`tfjs-backend-wasm has no '${name}' kernel; is @tensorflow/tfjs-backend-wasm loaded?`);
  return k.kernelFunc;
}

type Shape4 = [number, number, number, number];

/** The convolution geometry of a backprop kernel's attrs, or null for NCHW (which these kernels leave alone). */
export function nhwcConvInfo(xShape: readonly number[], filterShape: readonly number[], attrs: { strides: number | [number, number]; pad: tf.Conv2DBackpropInputAttrs["pad"]; dataFormat: "NHWC" | "NCHW"; dimRoundingMode?: "floor" | "round" | "ceil" }): tf.backend_util.Conv2DInfo | null {
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (format !== "channelsLast") return null;
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, format);
}

/**
 * A config replacing the stock kernel of the same name. It keeps the stock setupFunc: the
 * backend runs setup functions when it initialises, and the stock kernel we fall back to needs
 * its wasm function bound even though it is no longer registered itself.
 */
export function replacing(name: string, kernelFunc: unknown): tf.KernelConfig {
  const stock = tf.getKernel(name, "wasm");
  return { kernelName: name, backendName: "wasm", kernelFunc: kernelFunc as tf.KernelFunc, ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}) };
}

export function call(fn: tf.KernelFunc, backend: WasmBackend, inputs: Record<string, tf.TensorInfo>, attrs: object = {}): tf.TensorInfo {
  return fn({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

export function free(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** A Float32 view of a tensor's data in wasm memory (valid until the next allocation). */
export function view(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t);
}
