/**
 * Kernels that make tfjs-backend-wasm trainable and fast. One kernel per file, registered here,
 * once, when the wasm backend is selected (src/backend/select.ts).
 */
import { tf } from "../tf";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input";
import { meanConfig } from "./mean";
import { sumConfig } from "./sum";

const KERNELS = [conv2DBackpropFilterConfig, conv2DBackpropInputConfig, sumConfig, meanConfig];

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
