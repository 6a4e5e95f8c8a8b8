/**
 * Conv2DBackpropInput (dx) from XNNPACK forward convolutions, replacing the stock naive loop. A
 * transposed convolution is a convolution of dy with the filter flipped in space and its in/out
 * channels swapped. With stride s, output rows and columns fall into s*s phases, each a stride-1
 * convolution of dy with the filter taps of matching parity (sub-pixel decomposition), so no work
 * is spent on the zeros a dilated dy would hold. With the oneDNN addon built, oneDNN computes it.
 */
import { tf } from "../tf";
import { runNative } from "./native";
import { call, free, nhwcConvInfo, replacing, stockKernel, view, type WasmBackend } from "./util";

let conv2d: tf.KernelFunc;
let fallback: tf.KernelFunc;

/**
 * The taps of one output phase r (dx rows i = s*q + r) in one dimension: dx[s*q + r] =
 * sum_t dy[q + c - t] * w[k0 + s*t], a stride-1 correlation of dy with T reversed taps.
 */
function phase(r: number, s: number, padBefore: number, k: number, inSize: number, outSize: number) {
  const k0 = (r + padBefore) % s;
  const c = Math.floor((r + padBefore) / s);
  const taps = k0 < k ? Math.ceil((k - k0) / s) : 0;
  const count = r < inSize ? Math.ceil((inSize - r) / s) : 0;
  const before = taps - 1 - c;
  const after = count + taps - 1 - before - outSize;
  return { k0, taps, count, before, after };
}

/** v[j,l,co,ci] = w[k0h + sh*(Th-1-j), k0w + sw*(Tw-1-l), ci, co]: the phase's taps, flipped, channels swapped (filters are small; a JS loop is cheap). */
function subFilter(backend: WasmBackend, filter: tf.TensorInfo, ph: ReturnType<typeof phase>, pw: ReturnType<typeof phase>, sh: number, sw: number): tf.TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([ph.taps, pw.taps, co, ci], "float32");
  const src = view(backend, filter);
  const dst = view(backend, out);
  for (let j = 0; j < ph.taps; j++)
    for (let l = 0; l < pw.taps; l++) {
      const s0 = ((ph.k0 + sh * (ph.taps - 1 - j)) * kw + (pw.k0 + sw * (pw.taps - 1 - l))) * ci * co;
      const d0 = (j * pw.taps + l) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s0 + c * co + o];
    }
  return out;
}

/** Fallback for explicit paddings that would need negative convolution padding: dilate dy. */
function viaDilation(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outChannels: co } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  // All taps at stride 1: the whole filter flipped in space, channels swapped.
  const all = (k: number) => ({ k0: 0, taps: k, count: 0, before: 0, after: 0 });
  const w = subFilter(backend, filter, all(kh), all(kw), 1, 1);
  const ph = ih + kh - 1;
  const pw = iw + kw - 1;
  const x = backend.makeOutput([n, ph, pw, co], "float32");
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
  const dx = call(conv2d, backend, { x, filter: w }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] });
  free(backend, w, x);
  return dx;
}

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = nhwcConvInfo(a.inputShape, filter.shape, a);
  if (info === null) return fallback(args) as tf.TensorInfo;
  const { batchSize: n, inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: ci } = info;
  const native = runNative("backwardData", backend, dy, filter, [n, ih, iw, ci], info);
  if (native !== null) return native;
  const rows = Array.from({ length: sh }, (_, r) => phase(r, sh, info.padInfo.top, kh, ih, oh));
  const cols = Array.from({ length: sw }, (_, r) => phase(r, sw, info.padInfo.left, kw, iw, ow));
  if ([...rows, ...cols].some((p) => p.taps > 0 && p.count > 0 && (p.before < 0 || p.after < 0))) return viaDilation(backend, dy, filter, info);

  const convPhase = (p: (typeof rows)[number], q: (typeof cols)[number]) => {
    const w = subFilter(backend, filter, p, q, sh, sw);
    const out = call(conv2d, backend, { x: dy, filter: w }, { strides: [1, 1], pad: [[0, 0], [p.before, p.after], [q.before, q.after], [0, 0]], dataFormat: "NHWC", dilations: [1, 1] });
    free(backend, w);
    return out;
  };
  // Stride 1: one phase, and its convolution is dx itself.
  if (sh === 1 && sw === 1) return convPhase(rows[0], cols[0]);

  // Stride s: s*s stride-1 convolutions (together the work of one), interleaved into dx.
  const dx = backend.makeOutput([n, ih, iw, ci], "float32");
  if ([...rows, ...cols].some((p) => p.taps === 0 && p.count > 0)) view(backend, dx).fill(0);
  for (const [r, p] of rows.entries())
    for (const [c, q] of cols.entries()) {
      if (p.taps === 0 || q.taps === 0 || p.count === 0 || q.count === 0) continue;
      const part = convPhase(p, q);
      const src = view(backend, part);
      const dst = view(backend, dx);
      for (let b = 0; b < n; b++)
        for (let i = 0; i < p.count; i++) {
          const rowSrc = (b * p.count + i) * q.count * ci;
          const rowDst = (b * ih + r + sh * i) * iw * ci;
          for (let j = 0; j < q.count; j++) dst.set(src.subarray(rowSrc + j * ci, rowSrc + (j + 1) * ci), rowDst + (c + sw * j) * ci);
        }
      free(backend, part);
    }
  return dx;
}

export const conv2DBackpropInputConfig = (): tf.KernelConfig => {
  conv2d = stockKernel("Conv2D");
  fallback = stockKernel("Conv2DBackpropInput");
  return replacing("Conv2DBackpropInput", conv2DBackpropInput);
};
