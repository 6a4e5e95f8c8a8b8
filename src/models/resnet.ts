/**
 * ResNets (He et al. 2016) in two shapes:
 * - CIFAR-style: a 3x3 stem and stages of BasicBlocks (two 3x3 convolutions with batch norm),
 *   a 1x1 projection where the shape changes. ResNet-20 and the issue #4 benchmark net.
 * - ImageNet-style: a 7x7 stride-2 stem and 3x3 max pooling, then BasicBlocks (ResNet-18) or
 *   Bottlenecks (ResNet-50, with the Keras-applications topology the paper's code used:
 *   biased convolutions, the stride on the first 1x1 convolution, BN epsilon 1.001e-5).
 *
 * Layers are named as Keras names ResNet-50's: `conv1_*` is the stem, stage s >= 2 is
 * `conv{s}_block{b}_*`, each block ends in `conv{s}_block{b}_out`. So the paper's "stage-3
 * output" is the last `conv3_block*_out` whatever the depth (see features.ts).
 */
import { tf } from "../backend/tf";
import { batchNormalization } from "./batchnorm";
import { Conv2D } from "./conv";
import { classifierHead, type HeadKind } from "./head";
import { applyPreprocess, type Preprocess } from "./preprocess";

export interface StemSpec {
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  /** 3x3 stride-2 max pooling after the stem (ImageNet ResNets). */
  readonly pool: boolean;
}

export interface ResNetSpec {
  readonly inputShape: readonly [number, number, number];
  readonly classes: number;
  /** Stem filters (a 3x3 stride-1 stem) or the full stem. */
  readonly stem: number | StemSpec;
  /** Width per stage (a Bottleneck's output has 4x this); every stage after the first halves the resolution. */
  readonly stages: readonly number[];
  /** Blocks per stage: one count for all, or one per stage. */
  readonly blocks: number | readonly number[];
  readonly block?: "basic" | "bottleneck";
  /** Keras-applications details for ResNet-50: biased convolutions, BN epsilon 1.001e-5. */
  readonly keras?: boolean;
  readonly head?: HeadKind;
  /** Preprocessing inside the model (attacks still perturb raw pixels). */
  readonly preprocess?: Preprocess;
  readonly seed?: number;
}

export function resnet(spec: ResNetSpec): tf.LayersModel {
  let seed = spec.seed ?? 0;
  const keras = spec.keras ?? false;
  const conv = (x: tf.SymbolicTensor, filters: number, k: number, stride: number, name: string, padding: "same" | "valid" = "same") =>
    new Conv2D({ filters, kernelSize: k, strides: stride, padding, useBias: keras, seed: seed++, name }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, name: string) =>
    batchNormalization({ name, momentum: keras ? 0.99 : 0.9, epsilon: keras ? 1.001e-5 : 1e-5 }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string) => tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;

  const stem: StemSpec = typeof spec.stem === "number" ? { filters: spec.stem, kernel: 3, stride: 1, pool: false } : spec.stem;
  const raw = tf.input({ shape: [...spec.inputShape], name: "input" });
  const input = applyPreprocess(raw, spec.preprocess);
  let x: tf.SymbolicTensor;
  if (keras) {
    // Keras pads explicitly and convolves "valid" (7x7/2 then 3x3/2 max pooling).
    x = tf.layers.zeroPadding2d({ padding: Math.floor(stem.kernel / 2), name: "conv1_pad" }).apply(input) as tf.SymbolicTensor;
    x = relu(bn(conv(x, stem.filters, stem.kernel, stem.stride, "conv1_conv", "valid"), "conv1_bn"), "conv1_relu");
  } else {
    x = relu(bn(conv(input, stem.filters, stem.kernel, stem.stride, "conv1_conv"), "conv1_bn"), "conv1_relu");
  }
  if (stem.pool) {
    if (keras) x = tf.layers.zeroPadding2d({ padding: 1, name: "pool1_pad" }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: keras ? "valid" : "same", name: "pool1_pool" }).apply(x) as tf.SymbolicTensor;
  }

  const bottleneck = spec.block === "bottleneck";
  let channels = stem.filters;
  spec.stages.forEach((width, i) => {
    const n = typeof spec.blocks === "number" ? spec.blocks : spec.blocks[i];
    const out = bottleneck ? 4 * width : width;
    for (let b = 0; b < n; b++) {
      const stride = i > 0 && b === 0 ? 2 : 1;
      const name = `conv${i + 2}_block${b + 1}`;
      let y: tf.SymbolicTensor;
      if (bottleneck) {
        y = relu(bn(conv(x, width, 1, stride, `${name}_1_conv`), `${name}_1_bn`), `${name}_1_relu`);
        y = relu(bn(conv(y, width, 3, 1, `${name}_2_conv`), `${name}_2_bn`), `${name}_2_relu`);
        y = bn(conv(y, out, 1, 1, `${name}_3_conv`), `${name}_3_bn`);
      } else {
        y = relu(bn(conv(x, width, 3, stride, `${name}_1_conv`), `${name}_1_bn`), `${name}_1_relu`);
        y = bn(conv(y, width, 3, 1, `${name}_2_conv`), `${name}_2_bn`);
      }
      const shortcut = stride !== 1 || channels !== out ? bn(conv(x, out, 1, stride, `${name}_0_conv`), `${name}_0_bn`) : x;
      x = relu(tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor, `${name}_out`);
      channels = out;
    }
  });
  const logits = classifierHead(x, spec.classes, spec.head ?? "paper", () => seed++);
  return tf.model({ inputs: raw, outputs: logits, name: `resnet_${spec.block ?? "basic"}_${spec.stages.join("-")}` });
}
