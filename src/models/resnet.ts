/**
 * CIFAR-style ResNets (He et al. 2016): a 3x3 stem, residual stages of BasicBlocks (two 3x3
 * convolutions with batch norm), a 1x1 projection where the shape changes, global average
 * pooling and a dense classifier. The benchmark network of issue #4 is
 * `resnet({ stem: 32, stages: [32, 64, 128, 256], blocks: 1 })`: 1.23M parameters.
 */
import { tf } from "../backend/tf";
import { Conv2D } from "./conv";

export interface ResNetSpec {
  readonly inputShape: readonly [number, number, number];
  readonly classes: number;
  readonly stem: number;
  /** Filters per stage; every stage after the first halves the resolution. */
  readonly stages: readonly number[];
  /** BasicBlocks per stage. */
  readonly blocks: number;
  readonly seed?: number;
}

export function resnet(spec: ResNetSpec): tf.LayersModel {
  let seed = spec.seed ?? 0;
  const conv = (x: tf.SymbolicTensor, filters: number, k: number, stride: number, name: string) =>
    new Conv2D({ filters, kernelSize: k, strides: stride, padding: "same", useBias: false, seed: seed++, name }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, name: string) => tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [...spec.inputShape] });
  let x = relu(bn(conv(input, spec.stem, 3, 1, "stem_conv"), "stem_bn"));
  let channels = spec.stem;
  spec.stages.forEach((filters, s) => {
    for (let b = 0; b < spec.blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const name = `stage${s + 1}_block${b + 1}`;
      let y = relu(bn(conv(x, filters, 3, stride, `${name}_conv1`), `${name}_bn1`));
      y = bn(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
      const shortcut = stride !== 1 || channels !== filters ? bn(conv(x, filters, 1, stride, `${name}_proj`), `${name}_proj_bn`) : x;
      x = relu(tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor);
      channels = filters;
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: spec.classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), name: "logits" }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: `resnet_${spec.stages.join("-")}` });
}
