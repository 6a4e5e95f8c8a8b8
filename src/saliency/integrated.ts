/**
 * Integrated Gradients (Sundararajan et al. 2017): (x - x') ⊙ ∫_0^1 ∇f_t(x' + a (x - x')) da for
 * the target logit f_t, by a Riemann sum. Unlike a raw gradient its attributions add up to
 * f_t(x) - f_t(x') (completeness), so a map's spread is a spread of the logit itself.
 */
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { type Attribution, type Target, checkWhole, inputGradient, numClasses, resolveTarget } from "./attribution";

/** Captum's names: the trapezoid rule on a, ..., including both ends, or midpoints (k + 1/2) / steps. */
export type IGMethod = "riemann_trapezoid" | "riemann_middle";

export interface IntegratedGradientsOptions {
  /** The reference image x': a constant pixel value or a tensor broadcastable to x. Default 0 (black). */
  readonly baseline?: number | tf.Tensor;
  /** Gradient evaluations along the path (>= 2 for the trapezoid rule). Default 50. */
  readonly steps?: number;
  readonly method?: IGMethod;
}

/** The path points a_k and weights w_k (summing to 1) of a Riemann rule on [0, 1]. */
export function riemannRule(method: IGMethod, steps: number): { alphas: number[]; weights: number[] } {
  if (method === "riemann_middle") return { alphas: Array.from({ length: steps }, (_, k) => (k + 0.5) / steps), weights: new Array<number>(steps).fill(1 / steps) };
  if (method === "riemann_trapezoid") {
    if (steps < 2) throw new Error(`the trapezoid rule needs steps >= 2, got ${steps}`);
    const h = 1 / (steps - 1);
    return { alphas: Array.from({ length: steps }, (_, k) => k * h), weights: Array.from({ length: steps }, (_, k) => (k === 0 || k === steps - 1 ? h / 2 : h)) };
  }
  throw new Error(`Unknown method '${method}'; use "riemann_trapezoid" or "riemann_middle"`);
}

export class IntegratedGradients implements Attribution {
  readonly name = "Integrated gradients";
  readonly steps: number;
  readonly method: IGMethod;
  private readonly baseline: number | tf.Tensor;
  constructor(private readonly engine: Engine, options: IntegratedGradientsOptions = {}) {
    this.steps = checkWhole(options.steps ?? 50, "steps");
    this.method = options.method ?? "riemann_trapezoid";
    riemannRule(this.method, this.steps); // validates the pair now rather than at the first call
    this.baseline = options.baseline ?? 0;
    if (typeof this.baseline === "number" && !Number.isFinite(this.baseline)) throw new Error(`baseline must be a finite number or a tensor, got ${this.baseline}`);
  }
  /** Attributions of the target logit, per example: [n, h, w, c]; their sum is ≈ f_t(x) - f_t(baseline). */
  async attribute(x: tf.Tensor4D, target: Target): Promise<tf.Tensor4D> {
    const labels = await resolveTarget(target, x.shape[0], numClasses(this.engine.model));
    const { alphas, weights } = riemannRule(this.method, this.steps);
    const [base, delta] = tf.tidy(() => {
      const b = tf.add(tf.zerosLike(x), this.baseline) as tf.Tensor4D; // broadcast check happens here
      return [b, tf.sub(x, b) as tf.Tensor4D];
    });
    let sum = tf.zerosLike(x);
    for (let k = 0; k < alphas.length; k++) {
      const point = tf.tidy(() => tf.add(base, tf.mul(delta, alphas[k])) as tf.Tensor4D);
      const g = await inputGradient(this.engine, point, labels, "logit");
      const next = tf.tidy(() => tf.add(sum, tf.mul(g, weights[k])) as tf.Tensor4D);
      tf.dispose([point, g, sum]);
      sum = next;
    }
    const out = tf.mul(delta, sum) as tf.Tensor4D;
    tf.dispose([base, delta, sum]);
    return out;
  }
  params() {
    return { steps: this.steps, method: this.method, baseline: typeof this.baseline === "number" ? this.baseline : "tensor" };
  }
}
