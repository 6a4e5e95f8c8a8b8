/**
 * Conv2DBackpropFilter (dW), missing from tfjs-backend-wasm 4.22 (tfjs#8474), as one XNNPACK
 * forward convolution over the batch axis:
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co]
 * is a convolution of x' = x as [Ci, H, W, N] (batch <-> channels) with the "filter"
 * dy' = dy as [OH, OW, N, Co], stride 1 and dilation s, giving [Ci, KH, KW, Co].
 * With the oneDNN addon built, oneDNN computes it.
 */
import { tf } from "../tf";
import { runNative } from "./native";
import { call, free, nhwcConvInfo, stockKernel, type WasmBackend } from "./util";

let conv2d: tf.KernelFunc;
let transpose: tf.KernelFunc;
let slice: tf.KernelFunc;

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = nhwcConvInfo(x.shape, a.filterShape, a);
  if (info === null) throw new Error("wasm Conv2DBackpropFilter supports NHWC only (the layout tfjs models use)");
  const native = runNative("backwardWeights", backend, x, dy, [...a.filterShape], info);
  if (native !== null) return native;
  const { inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pad the far side so the output is exactly KH x KW; where that would be negative, crop after.
  const bottom = kh - 1 + (oh - 1) * sh - (ih - 1) - top;
  const right = kw - 1 + (ow - 1) * sw - (iw - 1) - left;
  const xT = call(transpose, backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = call(transpose, backend, { x: dy }, { perm: [1, 2, 0, 3] });
  let g = call(conv2d, backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [sh, sw],
    pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]],
    dataFormat: "NHWC",
  });
  free(backend, xT, dyT);
  if (g.shape[1] !== kh || g.shape[2] !== kw) {
    const cropped = call(slice, backend, { x: g }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    free(backend, g);
    g = cropped;
  }
  const dw = call(transpose, backend, { x: g }, { perm: [1, 2, 0, 3] });
  free(backend, g);
  return dw;
}

export const conv2DBackpropFilterConfig = (): tf.KernelConfig => {
  conv2d = stockKernel("Conv2D");
  transpose = stockKernel("Transpose");
  slice = stockKernel("Slice");
  return { kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc };
};
