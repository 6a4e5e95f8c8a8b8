/**
 * Conv2D through the oneDNN addon when it is built (native.ts); otherwise, and for NCHW or
 * geometries oneDNN declines, the stock XNNPACK kernel.
 */
import { tf } from "../tf";
import { runNative } from "./native";
import { replacing, stockKernel, type WasmBackend } from "./util";

let stock: tf.KernelFunc;

function conv2D(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const a = attrs as unknown as tf.Conv2DAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(a.dataFormat);
  if (format === "channelsLast") {
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, false, format);
    const y = runNative("forward", backend, x, filter, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], info);
    if (y !== null) return y;
  }
  return stock(args) as tf.TensorInfo;
}

export const conv2DConfig = (): tf.KernelConfig => {
  stock = stockKernel("Conv2D");
  return replacing("Conv2D", conv2D);
};
