/**
 * The classifier head. "paper": global average pooling -> Dense(128, linear) -> Dropout(0.2) ->
 * Dense(classes), as the authors put on ResNet-50; the 128-d Dense output (layer `feature`) is
 * the deep feature the detectors read. "linear": pooling -> Dense(classes), PyTorch's ResNet
 * head (the issue #4 benchmark net, compared against torchvision-style code).
 *
 * Every model outputs logits (layer `logits`): CW needs pre-softmax scores, and softmax is
 * applied by the loss and by `predictProba`.
 */
import { tf, tfSeed } from "../backend/tf";
import { dropout } from "./dropout";

export type HeadKind = "paper" | "linear";

/** Width of the paper's deep feature. */
export const FEATURE_UNITS = 128;
export const FEATURE_LAYER = "feature";
export const LOGITS_LAYER = "logits";

export function classifierHead(x: tf.SymbolicTensor, classes: number, kind: HeadKind, nextSeed: () => number): tf.SymbolicTensor {
  let y = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(x) as tf.SymbolicTensor;
  if (kind === "paper") {
    y = tf.layers.dense({ units: FEATURE_UNITS, kernelInitializer: tf.initializers.glorotUniform({ seed: tfSeed(nextSeed()) }), name: FEATURE_LAYER }).apply(y) as tf.SymbolicTensor;
    // Our Dropout: a new mask on every call, from a seed, so training repeats exactly.
    y = dropout({ rate: 0.2, name: "dropout" }).apply(y) as tf.SymbolicTensor;
  }
  return tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: tfSeed(nextSeed()) }), name: LOGITS_LAYER }).apply(y) as tf.SymbolicTensor;
}
