/**
 * Gradient saliency. `VanillaGradient` is the paper's F-saliency map (Simonyan et al. 2014): the
 * gradient of the true-class cross-entropy w.r.t. the input pixels. `SmoothGrad` (Smilkov et al.
 * 2017) averages it over Gaussian-noised copies of the input, which removes the high-frequency
 * speckle of raw gradients; it tests whether "wide saliency" survives that smoothing.
 */
import { tf, tfSeed } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { type Attribution, type GradientOf, type Target, checkFraction, checkGradientOf, checkWhole, inputGradient, numClasses, resolveTarget } from "./attribution";

export interface VanillaGradientOptions {
  /** What is differentiated: the target's cross-entropy (default, the paper) or its logit. */
  readonly of?: GradientOf;
}

export class VanillaGradient implements Attribution {
  readonly name = "Vanilla gradient";
  readonly of: GradientOf;
  constructor(private readonly engine: Engine, options: VanillaGradientOptions = {}) {
    this.of = checkGradientOf(options.of ?? "ce");
  }
  /** d loss_target / d x, per example: [n, h, w, c]. */
  async attribute(x: tf.Tensor4D, target: Target): Promise<tf.Tensor4D> {
    return inputGradient(this.engine, x, await resolveTarget(target, x.shape[0], numClasses(this.engine.model)), this.of);
  }
  params() {
    return { of: this.of };
  }
}

export interface SmoothGradOptions extends VanillaGradientOptions {
  /** Noise standard deviation as a fraction of the pixel range (Smilkov et al. suggest 0.1-0.2). Default 0.15. */
  readonly sigma?: number;
  /** Noisy copies averaged. Default 50. */
  readonly samples?: number;
  /** The pixel range the noise is scaled to. Default [0, 1]. */
  readonly range?: readonly [number, number];
  /** Seed of the noise: the same seed gives the same map. Default 0. */
  readonly seed?: number;
}

export class SmoothGrad implements Attribution {
  readonly name = "SmoothGrad";
  readonly of: GradientOf;
  readonly sigma: number;
  readonly samples: number;
  readonly range: readonly [number, number];
  readonly seed: number;
  constructor(private readonly engine: Engine, options: SmoothGradOptions = {}) {
    this.of = checkGradientOf(options.of ?? "ce");
    this.sigma = checkFraction(options.sigma ?? 0.15, "sigma");
    this.samples = checkWhole(options.samples ?? 50, "samples");
    this.range = options.range ?? [0, 1];
    if (!(Number.isFinite(this.range[0]) && Number.isFinite(this.range[1]) && this.range[1] > this.range[0])) throw new Error(`range must be [lo, hi] with lo < hi, got [${this.range.join(", ")}]`);
    this.seed = checkWhole(options.seed ?? 0, "seed", 0);
  }
  /** Mean over `samples` copies x + N(0, (sigma (hi - lo))^2) of the gradient, per example: [n, h, w, c]. Noisy copies are not clipped to the range (as in the original). */
  async attribute(x: tf.Tensor4D, target: Target): Promise<tf.Tensor4D> {
    const labels = await resolveTarget(target, x.shape[0], numClasses(this.engine.model));
    const std = this.sigma * (this.range[1] - this.range[0]);
    let sum = tf.zerosLike(x);
    for (let s = 0; s < this.samples; s++) {
      // One seed per (seed, sample), far apart so that different seeds do not share samples.
      const noisy = std === 0 ? x : tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, std, "float32", tfSeed(this.seed * 1_000_003 + s))) as tf.Tensor4D);
      const g = await inputGradient(this.engine, noisy, labels, this.of);
      if (noisy !== x) noisy.dispose();
      const next = tf.add(sum, g) as tf.Tensor4D;
      tf.dispose([sum, g]);
      sum = next;
    }
    const out = tf.div(sum, this.samples) as tf.Tensor4D;
    sum.dispose();
    return out;
  }
  params() {
    return { of: this.of, sigma: this.sigma, samples: this.samples, seed: this.seed };
  }
}
