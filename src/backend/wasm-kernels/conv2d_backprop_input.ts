/**
 * Conv2DBackpropInput (dx) as one XNNPACK forward convolution: a transposed convolution is a
 * convolution of dy, dilated by the stride and padded, with the filter flipped in space and its
 * in/out channels swapped. Replaces the stock kernel, a naive loop.
 */
import { tf } from "../tf";
import { call, free, stockKernel, view, type WasmBackend } from "./util";

let conv2d: tf.KernelFunc;
let fallback: tf.KernelFunc;

/** w[kh,kw,ci,co] -> w'[KH-1-kh, KW-1-kw, co, ci]. Filters are small; a JS loop is cheap. */
function flipSwap(backend: WasmBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], "float32");
  const src = view(backend, filter);
  const dst = view(backend, out);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const s0 = (i * kw + j) * ci * co;
      const d0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s0 + c * co + o];
    }
  return out;
}

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== "channelsLast") return fallback(args) as tf.TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
  const { batchSize: n, inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outChannels: co } = info;
  // Padding of the transposed convolution: dx[i] = sum_k dyDilated[i + (KH-1-padTop) - k] * w[KH-1-k].
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = ih + kh - 1 - top - ((oh - 1) * sh + 1);
  const right = iw + kw - 1 - left - ((ow - 1) * sw + 1);
  const w = flipSwap(backend, filter);
  let x = dy;
  let convPad: tf.backend_util.ExplicitPadding | "valid" = [[0, 0], [top, bottom], [left, right], [0, 0]];
  if (sh > 1 || sw > 1 || top < 0 || left < 0 || bottom < 0 || right < 0) {
    // Build the dilated, padded dy explicitly (zeros between strided rows/columns).
    const ph = ih + kh - 1;
    const pw = iw + kw - 1;
    x = backend.makeOutput([n, ph, pw, co], "float32");
    const dst = view(backend, x);
    dst.fill(0);
    const src = view(backend, dy);
    for (let b = 0; b < n; b++)
      for (let r = 0; r < oh; r++) {
        const pr = top + r * sh;
        if (pr < 0 || pr >= ph) continue;
        for (let c = 0; c < ow; c++) {
          const pc = left + c * sw;
          if (pc < 0 || pc >= pw) continue;
          const s0 = ((b * oh + r) * ow + c) * co;
          dst.set(src.subarray(s0, s0 + co), ((b * ph + pr) * pw + pc) * co);
        }
      }
    convPad = "valid";
  }
  const dx = call(conv2d, backend, { x, filter: w }, { strides: [1, 1], pad: convPad, dataFormat: "NHWC", dilations: [1, 1] });
  free(backend, w);
  if (x !== dy) free(backend, x);
  return dx;
}

export const conv2DBackpropInputConfig = (): tf.KernelConfig => {
  conv2d = stockKernel("Conv2D");
  fallback = stockKernel("Conv2DBackpropInput");
  return { kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc };
};
