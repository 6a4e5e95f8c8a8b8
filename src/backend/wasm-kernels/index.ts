/**
 * Kernels that make tfjs-backend-wasm trainable and fast. One kernel per file, registered here,
 * once, when the wasm backend is selected (src/backend/select.ts).
 */
import { tf } from "../tf";
import { adamConfig } from "./adam";
import { addConfig } from "./add";
import { batchNormGradConfig } from "./batch_norm_grad";
import { batchNormStatsConfig } from "./batch_norm_stats";
import { castConfig } from "./cast";
import { conv2DConfig } from "./conv2d";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input";
import { fusedBatchNormConfig } from "./fused_batch_norm";
import { identityConfig } from "./identity";
import { meanConfig } from "./mean";
import { multiplyConfig } from "./multiply";
import { realDivConfig } from "./real_div";
import { subConfig } from "./sub";
import { sumConfig } from "./sum";

import { nativeLoops } from "./native";

export { convLayoutOf, convLayoutSetting, nativeCounts, nativeLoops, nativeStatus, setConvLayout, useNative, CONV_LAYOUTS, type ConvLayout } from "./native";
export { runBatchNormStats } from "./batch_norm_stats";
export { runBatchNormGrad } from "./batch_norm_grad";
export { runAdam } from "./adam";

const KERNELS = [conv2DConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig, fusedBatchNormConfig, sumConfig, meanConfig, identityConfig, castConfig, addConfig, subConfig, multiplyConfig, realDivConfig, batchNormStatsConfig, batchNormGradConfig, adamConfig];

let registered: string[] | undefined;

/** Registers this project's wasm kernels (replacing stock ones of the same name). Idempotent. */
export function registerWasmKernels(): string[] {
  if (registered) return registered;
  // Build every config first: each captures the stock kernels it composes before any is replaced.
  const configs = KERNELS.map((make) => make());
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, "wasm") !== undefined) tf.unregisterKernel(c.kernelName, "wasm");
    tf.registerKernel(c);
  }
  registered = configs.map((c) => c.kernelName);
  return registered;
}

/**
 * Whether this project's native training kernels (runBatchNormStats, runBatchNormGrad, runAdam)
 * can run here: the wasm backend is active with these kernels registered and the oneDNN addon
 * loaded and on. Otherwise callers compose tfjs ops.
 */
export function nativeTrainingKernels(): boolean {
  return registered !== undefined && tf.getBackend() === "wasm" && nativeLoops() !== null;
}
