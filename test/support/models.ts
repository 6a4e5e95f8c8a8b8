/** Models with a known answer, for tests. */
import { tf } from "../../src/backend";

/**
 * The "mean brightness" classifier on side x side x 1 images: logits = [a (0.5 - m), a (m - 0.5)]
 * with m the mean pixel, so class 1 iff m > 0.5 and every attack has a closed form (the
 * cross-entropy gradient has the same sign on every pixel; the minimal L2 perturbation is a
 * uniform shift of |m - 0.5| sqrt(pixels)).
 */
export function brightnessModel(side: number, a = 40): tf.LayersModel {
  const input = tf.input({ shape: [side, side, 1] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 2, name: "logits" });
  const m = tf.model({ inputs: input, outputs: dense.apply(pooled) as tf.SymbolicTensor });
  dense.setWeights([tf.tensor2d([[-a, a]]), tf.tensor1d([a * 0.5, -a * 0.5])]);
  return m;
}
