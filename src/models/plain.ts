/**
 * A plain CNN family for capacity sweeps (issue #8): `depth` 3x3 conv-BN-ReLU layers spread over
 * up to four stages, 2x2 max pooling after each stage, `width` filters in the first stage doubling
 * per stage, then the paper's head. Stage outputs are named like the ResNets'
 * (`conv{s}_block{b}_out`, stage s >= 2) so the same feature access works.
 */
import { tf } from "../backend/tf";
import { batchNormalization } from "./batchnorm";
import { Conv2D } from "./conv";
import { classifierHead, type HeadKind } from "./head";
import { applyPreprocess, type Preprocess } from "./preprocess";
import { checkWhole } from "../config/check";

export interface PlainCnnSpec {
  readonly inputShape: readonly [number, number, number];
  readonly classes: number;
  readonly width: number;
  readonly depth: number;
  readonly head?: HeadKind;
  /** Preprocessing inside the model (attacks still perturb raw pixels). */
  readonly preprocess?: Preprocess;
  readonly seed?: number;
}

export function plainCnn(spec: PlainCnnSpec): tf.LayersModel {
  checkWhole(spec.width, "plain CNN width", 1);
  checkWhole(spec.depth, "plain CNN depth", 1);
  let seed = spec.seed ?? 0;
  const stages = Math.min(4, spec.depth);
  const input = tf.input({ shape: [...spec.inputShape], name: "input" });
  let x: tf.SymbolicTensor = applyPreprocess(input, spec.preprocess);
  let layer = 0;
  for (let s = 0; s < stages; s++) {
    // Spread the layers as evenly as possible, the extra ones going to the early stages.
    const n = Math.floor(spec.depth / stages) + (s < spec.depth % stages ? 1 : 0);
    for (let b = 0; b < n; b++, layer++) {
      const name = `conv${s + 2}_block${b + 1}`;
      x = new Conv2D({ filters: spec.width * 2 ** s, kernelSize: 3, padding: "same", seed: seed++, name: `${name}_1_conv` }).apply(x) as tf.SymbolicTensor;
      x = batchNormalization({ name: `${name}_1_bn`, momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${name}_out` }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: "same", name: `pool${s + 2}` }).apply(x) as tf.SymbolicTensor;
  }
  const logits = classifierHead(x, spec.classes, spec.head ?? "paper", () => seed++);
  return tf.model({ inputs: input, outputs: logits, name: `cnn_w${spec.width}_d${spec.depth}` });
}
