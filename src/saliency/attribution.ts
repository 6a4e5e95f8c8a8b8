/**
 * The attribution API, after Captum: a method is a small object with explicit options, built on
 * the model's engine (or the model, for Grad-CAM), and one call, `attribute(x, target)`, that
 * returns one attribution per example (the caller disposes it). Images are NHWC in [0, 1].
 */
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { checkFraction, checkWhole } from "../config/check";

/** The class attributed for each example: one class for all, one per example, or a label tensor. */
export type Target = number | ArrayLike<number> | tf.Tensor1D;

export interface Attribution {
  readonly name: string;
  /** Attributions for the batch `x` and the classes `target` (same shape as `x`, except Grad-CAM's [n, h, w]). */
  attribute(x: tf.Tensor4D, target: Target): Promise<tf.Tensor>;
  /** The options, for figure captions and saved results. */
  params(): Record<string, number | string | boolean>;
}

/** Number of classes (logits) of a model with one [batch, classes] output. */
export function numClasses(model: tf.LayersModel): number {
  const shape = (model.outputs[0] as tf.SymbolicTensor).shape;
  if (shape.length !== 2 || typeof shape[1] !== "number") throw new Error(`Model ${model.name} must output [batch, classes] logits, got shape [${shape.join(", ")}]`);
  return shape[1];
}

/** `target` as n class indices, each checked to be a whole number in [0, classes). */
export async function resolveTarget(target: Target, n: number, classes: number): Promise<Int32Array> {
  let t: ArrayLike<number>;
  if (typeof target === "number") t = new Array<number>(n).fill(target);
  else if (target instanceof tf.Tensor) t = await target.data(); // async: GPU backends cannot read synchronously
  else t = target;
  if (t.length !== n) throw new Error(`target has ${t.length} classes for a batch of ${n}`);
  const out = Int32Array.from(t);
  for (let i = 0; i < n; i++) {
    if (!(Number.isInteger(t[i]) && t[i] >= 0 && t[i] < classes)) throw new Error(`target ${i} must be a class index in [0, ${classes}), got ${t[i]}`);
  }
  return out;
}

/** What a gradient method differentiates: the target-class cross-entropy (the paper) or the target logit. */
export type GradientOf = "ce" | "logit";

/**
 * Per-example gradients of the target's cross-entropy or logit w.r.t. the input. The engine
 * returns the gradient of the batch mean, so it is scaled by n (examples are independent in
 * inference mode).
 */
export async function inputGradient(engine: Engine, x: tf.Tensor4D, labels: Int32Array, of: GradientOf): Promise<tf.Tensor4D> {
  const n = x.shape[0];
  const y = tf.tensor1d(labels, "int32");
  let coef: Float32Array | undefined;
  if (of === "logit") {
    const classes = numClasses(engine.model);
    coef = new Float32Array(n * classes);
    labels.forEach((c, i) => (coef![i * classes + c] = 1));
  }
  const { grad } = await engine.inputGradient(x, y, of === "ce" ? "ce" : "linear", undefined, coef);
  y.dispose();
  const out = tf.mul(grad, n) as tf.Tensor4D;
  grad.dispose();
  return out;
}

export { checkFraction, checkWhole };

export function checkGradientOf(of: string): GradientOf {
  if (of !== "ce" && of !== "logit") throw new Error(`'of' must be "ce" or "logit", got '${of}'`);
  return of;
}
