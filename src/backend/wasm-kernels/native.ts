/**
 * The optional oneDNN addon (native/dnnl, built by `make setup` where Debian's libdnnl-dev is
 * installed): convolutions on the wasm heap's own Float32Arrays at native AVX2/AVX-512 speed, and
 * the per-channel loops of batch norm and its gradient (scale-and-shift, column sums, broadcast
 * elementwise ops, and training-mode batch norm's statistics and backward pass in one call each)
 * that the wasm backend runs as scalar code, and Adam's update of a variable in one call.
 * XNNPACK in wasm is bound by 128-bit SIMD without FMA (bench/conv-ceiling.ts); oneDNN is what
 * PyTorch's CPU convolutions use. Missing or disabled (MIA_NATIVE=0), every kernel keeps its
 * XNNPACK path, so the addon changes speed, never results beyond float rounding.
 */
import * as os from "node:os";
import * as path from "node:path";
import { isMainThread } from "node:worker_threads";
import { REPO_ROOT } from "../../config/paths";
import { tf } from "../tf";
import { view, type WasmBackend } from "./util";
import { checkWhole } from "../../config/check";

interface Addon {
  forward(x: Float32Array, w: Float32Array, y: Float32Array, p: Int32Array): void;
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, p: Int32Array): void;
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, p: Int32Array): void;
  affineChannels(x: Float32Array, a: Float32Array, b: Float32Array, y: Float32Array): void;
  sumLeading(x: Float32Array, out: Float32Array, scale: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, channels: number): void;
  bnStats(x: Float32Array, mean: Float32Array, variance: Float32Array): void;
  bnBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, eps: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  adamStep(value: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, newValue: Float32Array, newM: Float32Array, newV: Float32Array, k: Float32Array): void;
  setThreads(n: number): void;
  setLayout(mode: number): void;
  convLayout(p: Int32Array, kind: number): string;
  version(): string;
}

/**
 * Where the convolutions keep activations (MIA_DNNL_LAYOUT). "auto" (the default) runs them on
 * tfjs' NHWC buffers in place where oneDNN has the same kernel for NHWC as for the blocked layout
 * it prefers and that kernel, checked once per geometry (whatever the batch size) and thread on
 * this CPU, gives the blocked path's numbers. Strided 1x1 convolutions (a ResNet's projection
 * shortcuts) always reorder: oneDNN 2.6.3's AVX2 backward-weights pass for them on NHWC is wrong
 * for some geometries and inputs (test/wasm-kernels.test.ts found it). "blocked" always reorders
 * to oneDNN's layout and back (the addon before 2026-12-08). Results agree to float rounding.
 */
export const CONV_LAYOUTS = ["auto", "blocked"] as const;
export type ConvLayout = (typeof CONV_LAYOUTS)[number];

/** The layout setting MIA_DNNL_LAYOUT names (unset or empty: auto); a clear error for anything else. */
export function convLayoutSetting(env: NodeJS.ProcessEnv = process.env): ConvLayout {
  const raw = env.MIA_DNNL_LAYOUT?.trim() || "auto";
  if (!(CONV_LAYOUTS as readonly string[]).includes(raw)) throw new Error(`MIA_DNNL_LAYOUT='${env.MIA_DNNL_LAYOUT}' is not a layout: use auto (the default) or blocked`);
  return raw as ConvLayout;
}

/** Where `make setup` builds the addon (MIA_NATIVE_PATH overrides). */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIA_NATIVE_PATH?.trim() || path.join(REPO_ROOT, "build", "native", "mia_dnnl.node");
}

let state: { addon: Addon | null; reason: string } | undefined;
let enabled = true;

/** Turns the addon off (XNNPACK everywhere) or back on, in this thread; for comparisons and tests. */
export function useNative(on: boolean): void {
  enabled = on;
}

/** Loads the addon once per thread; null (with the reason in `nativeStatus`) when unavailable. */
export function loadAddon(): Addon | null {
  if (state) return state.addon;
  const env = process.env;
  if (env.MIA_NATIVE === "0") {
    state = { addon: null, reason: "disabled (MIA_NATIVE=0)" };
    return null;
  }
  const file = addonPath(env);
  // A misspelt setting is an error here, not a quiet fall-back to XNNPACK.
  const layout = convLayoutSetting(env);
  // One OpenMP thread per pool worker (the pool already uses every core); all cores on the main thread.
  const threads = env.MIA_NATIVE_THREADS ? Number(env.MIA_NATIVE_THREADS) : isMainThread ? os.availableParallelism() : 1;
  checkWhole(threads, "MIA_NATIVE_THREADS", 1, `'${env.MIA_NATIVE_THREADS}'`);
  try {
    const addon = require(file) as Addon;
    addon.setThreads(threads);
    // An addon built before setLayout existed (make setup rebuilds it when its source is newer).
    if (typeof addon.setLayout !== "function") throw new Error("built from an older source: run make setup to rebuild it");
    addon.setLayout(CONV_LAYOUTS.indexOf(layout));
    state = { addon, reason: `oneDNN ${addon.version()}` };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const missing = /Cannot find module/.test(msg);
    state = { addon: null, reason: missing ? "not built (make setup builds it where libdnnl-dev is installed)" : `failed to load: ${msg}` };
    if (env.MIA_NATIVE === "1") throw new Error(`MIA_NATIVE=1 but the oneDNN addon ${file} is ${state.reason}`);
  }
  return state.addon;
}

/** "oneDNN 2.6.3 avx512", or why the convolutions stay on XNNPACK. */
export function nativeStatus(): { available: boolean; detail: string } {
  const addon = loadAddon();
  return { available: addon !== null, detail: state!.reason };
}

/** The addon's geometry vector for a tfjs Conv2DInfo (NHWC, HWIO, groups 1). */
export function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  const p = info.padInfo;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, p.top, p.left, p.bottom, p.right,
  ]);
}

export type NativeOp = "forward" | "backwardData" | "backwardWeights";

const counts = { forward: 0, backwardData: 0, backwardWeights: 0, affineChannels: 0, sumLeading: 0, binary: 0, bnStats: 0, bnBackward: 0, adamStep: 0, declined: 0 };

type Loops = Pick<Addon, "affineChannels" | "sumLeading" | "binary" | "bnStats" | "bnBackward" | "adamStep">;
let loops: Loops | undefined;

/** The addon for the per-channel loops, or null (missing, or turned off with useNative(false)). Counts each call. */
export function nativeLoops(): Loops | null {
  const addon = enabled ? loadAddon() : null;
  if (addon === null) return null;
  // Built once: these are called on every elementwise kernel of a training step.
  loops ??= {
    affineChannels: (x, a, b, y) => {
      addon.affineChannels(x, a, b, y);
      counts.affineChannels++;
    },
    sumLeading: (x, out, scale) => {
      addon.sumLeading(x, out, scale);
      counts.sumLeading++;
    },
    binary: (op, a, b, out, channels) => {
      addon.binary(op, a, b, out, channels);
      counts.binary++;
    },
    bnStats: (x, mean, variance) => {
      addon.bnStats(x, mean, variance);
      counts.bnStats++;
    },
    bnBackward: (x, dy, mean, variance, gamma, eps, dx, dgamma, dbeta) => {
      addon.bnBackward(x, dy, mean, variance, gamma, eps, dx, dgamma, dbeta);
      counts.bnBackward++;
    },
    adamStep: (value, m, v, g, newValue, newM, newV, k) => {
      addon.adamStep(value, m, v, g, newValue, newM, newV, k);
      counts.adamStep++;
    },
  };
  return loops;
}

/**
 * The loops for a kernel that has no fallback of its own (MiaBatchNormStats, MiaBatchNormGrad,
 * MiaAdam): throws when the addon is missing (callers ask nativeTrainingKernels() first) or an
 * input is not float32, the only type the addon's loops take.
 */
export function requireNativeLoops(kernel: string, inputs: Record<string, tf.TensorInfo>): Loops {
  const native = nativeLoops();
  if (native === null) throw new Error(`${kernel} needs the oneDNN addon (ask nativeTrainingKernels() before calling it)`);
  const other = Object.entries(inputs).filter(([, t]) => t.dtype !== "float32");
  if (other.length > 0) throw new Error(`${kernel}: every input must be float32, got ${other.map(([k, t]) => `${k} ${t.dtype}`).join(", ")}`);
  return native;
}

/**
 * Sets this thread's convolution layout (tests and benchmarks; MIA_DNNL_LAYOUT sets it at load).
 * Returns false when the addon is unavailable.
 */
export function setConvLayout(layout: ConvLayout): boolean {
  const addon = loadAddon();
  if (addon === null) return false;
  addon.setLayout(CONV_LAYOUTS.indexOf(layout));
  return true;
}

/**
 * What a convolution pass of this geometry runs on in this thread: "nhwc jit:avx2" (in place),
 * "blocked jit:avx2", or "blocked jit_1x1:avx2 (nhwc differed)" where auto's check refused the
 * in-place path; null without the addon.
 */
export function convLayoutOf(op: NativeOp, info: tf.backend_util.Conv2DInfo): string | null {
  const addon = loadAddon();
  if (addon === null) return null;
  return addon.convLayout(geometry(info), ["forward", "backwardData", "backwardWeights"].indexOf(op));
}

/** Calls into the addon in this thread so far, and convolutions oneDNN declined (tests, benchmarks). */
export function nativeCounts(): Readonly<typeof counts> {
  return { ...counts };
}

/**
 * Runs one convolution pass natively into a new output of `outShape`, or returns null when the
 * addon is missing or oneDNN declines the geometry (the caller then uses XNNPACK).
 */
export function runNative(op: NativeOp, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, outShape: number[], info: tf.backend_util.Conv2DInfo): tf.TensorInfo | null {
  const addon = enabled ? loadAddon() : null;
  if (addon === null || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const out = backend.makeOutput(outShape, "float32");
  // Views after the allocation: a grown wasm memory detaches earlier views.
  try {
    addon[op](view(backend, a), view(backend, b), view(backend, out), geometry(info));
  } catch (err) {
    backend.disposeData(out.dataId);
    if (err instanceof Error && /oneDNN:/.test(err.message)) {
      counts.declined++;
      return null;
    }
    throw err;
  }
  counts[op]++;
  return out;
}
