/**
 * The project's single tfjs instance. Everything in src/ (and every notebook) takes `tf`
 * from here, so that backends registered by optional packages land in the same registry.
 */
import * as tf from "@tensorflow/tfjs";

export { tf };

/**
 * A seed for tfjs' random ops and initializers. tfjs treats a seed of 0 as no seed at all
 * (`seed ? seed : Math.random()`), so seed 0, the default everywhere here, gave a different
 * draw on every run; 0 maps to a fixed non-zero value instead.
 */
export function tfSeed(seed: number): number {
  return seed === 0 ? 0x5eed0 : seed;
}
