/** The losses of protocol.ts's LossKind, shared by the workers and the main-thread engine. */
import { tf } from "../tf";
import type { LossKind } from "./protocol";

/** Sum over the shard of the per-example loss on logits (see LossKind in protocol.ts). */
export function lossSum(logits: tf.Tensor, labels: tf.Tensor1D, kind: LossKind, kappa = 0, weights?: tf.Tensor1D, coef?: tf.Tensor): tf.Scalar {
  const classes = logits.shape[1]!;
  if (kind === "linear") {
    if (!coef) throw new Error("the linear loss needs coefficients");
    return tf.sum(tf.mul(coef, logits)) as tf.Scalar;
  }
  const onehot = tf.oneHot(labels, classes);
  if (kind === "ce") return tf.losses.softmaxCrossEntropy(onehot, logits, weights, 0, tf.Reduction.SUM) as tf.Scalar;
  // Carlini-Wagner margin (maximised by the attack): max_{j!=y} z_j - z_y, capped at kappa.
  const real = tf.sum(tf.mul(onehot, logits), 1);
  const other = tf.max(tf.sub(logits, tf.mul(onehot, 1e9)), 1);
  return tf.sum(tf.minimum(tf.sub(other, real), kappa)) as tf.Scalar;
}
