/**
 * The attack API, after torchattacks and Foolbox 3: an attack is a small object with explicit
 * parameters, built on a target (the model's engine), and one call, `run(x, y)`, that returns
 * adversarial images. Images are NHWC in [0, 1]; L-infinity budgets are given in /255 pixel units
 * as the paper quotes them (eps = 1 means 1/255).
 */
import { tf } from "../backend/tf";
import { createEngine, type Engine, type EngineOptions } from "../backend/engine";
import { argmaxRows } from "../train/metrics";
import { checkPositive, checkWhole } from "../config/check";

export abstract class Attack {
  abstract readonly name: string;
  constructor(protected readonly target: Engine) {}
  /** Adversarial versions of `x` (the caller disposes them); `y` holds the labels attacked. */
  abstract run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D>;
  /** The parameters, for tables and saved results. */
  abstract params(): Record<string, number | string | boolean>;
}

/** The engine an attack runs on: the worker pool under wasm, the main thread otherwise. */
export function attackTarget(model: tf.LayersModel, options: EngineOptions = {}): Promise<Engine> {
  return createEngine(model, options);
}

export function checkEps(eps: number, what = "eps"): number {
  if (typeof eps !== "number" || !Number.isFinite(eps)) throw new Error(`${what} must be a number of /255 pixel units (1 means 1/255), got ${eps}`);
  if (eps < 0) throw new Error(`${what} must be >= 0 (in /255 pixel units), got ${eps}`);
  if (eps > 255) throw new Error(`${what} is in /255 pixel units, so at most 255 (the whole pixel range); got ${eps}`);
  return eps;
}

export function checkSteps(steps: number, what = "steps"): number {
  return checkWhole(steps, what, 1);
}

export { checkPositive };

/** The labels an attack uses: the true ones, or the model's predictions (as the authors' scripts did for FGSM/BIM/PGD). */
export type LabelMode = "true" | "predicted";

export async function predictLabels(target: Engine, x: tf.Tensor4D): Promise<tf.Tensor1D> {
  const [out] = await target.predict(x);
  return tf.tensor1d(argmaxRows(out.data, out.shape[1]), "int32");
}

/** Projects onto the L-infinity ball of radius e around x and onto [0, 1]. */
export function projectLinf(adv: tf.Tensor4D, x: tf.Tensor4D, e: number): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.minimum(tf.maximum(adv, tf.sub(x, e)), tf.add(x, e)), 0, 1) as tf.Tensor4D);
}
