/**
 * Gradients this project registers in place of tfjs-core's (backend-independent), in one place.
 */
import { tf } from "../tf";
import { fusedBatchNormGradConfig } from "./fused_batch_norm_grad";

export const GRADIENTS: readonly tf.GradConfig[] = [fusedBatchNormGradConfig];

/** tfjs-core's own gradients, kept for tests that compare against them. */
export const STOCK_GRADIENTS = new Map<string, tf.GradConfig | undefined>();

let done = false;

export function registerGradients(): void {
  if (done) return;
  for (const g of GRADIENTS) {
    STOCK_GRADIENTS.set(g.kernelName, tf.getGradient(g.kernelName));
    // tfjs warns when a gradient is overridden; that is the point here, so keep the log quiet.
    const warn = console.warn;
    console.warn = () => {};
    try {
      tf.registerGradient(g);
    } finally {
      console.warn = warn;
    }
  }
  done = true;
}
