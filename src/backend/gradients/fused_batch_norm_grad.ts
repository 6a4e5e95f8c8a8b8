/**
 * Gradient of FusedBatchNorm, replacing tfjs-core's: that one tiles the per-channel scale to the
 * full activation shape (a Tile as large as the activations, ~20% of a ResNet training step on
 * wasm) where broadcasting suffices, and recomputes the same full-size products for each input.
 * Here the per-channel factor is applied by broadcasting, with:
 *   k = scale / sqrt(var + eps),  d = x - mean,  S1 = sum(dy),  S2 = sum(dy * d)
 *   dx = dy * k,  dmean = -k * S1,  dvar = -0.5 * scale * (var + eps)^-1.5 * S2,
 *   dscale = S2 / sqrt(var + eps),  doffset = S1
 * (sums over the axes that mean/variance broadcast along; none when they are full-shaped).
 */
import { tf } from "../tf";

function reductionAxes(param: tf.Tensor, x: tf.Tensor): number[] {
  return tf.backend_util.getReductionAxes(param.shape, x.shape);
}

function reduceTo(t: tf.Tensor, like: tf.Tensor, axes: number[]): tf.Tensor {
  return (axes.length > 0 ? tf.sum(t, axes) : t).reshape(like.shape);
}

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale == null ? tf.scalar(1) : scale;
    const axes = reductionAxes(mean, x);
    const invStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    // Each closure runs only if the backward pass needs that input (an attack needs only x), and
    // in its own scope, so the two per-channel sums are recomputed rather than shared.
    const sumDy = () => reduceTo(g, mean, axes);
    const sumDyD = () => reduceTo(tf.mul(g, tf.sub(x, mean)), mean, axes);
    return {
      x: () => tf.mul(g, tf.mul(scaleValue, invStd)),
      mean: () => tf.mul(tf.neg(tf.mul(scaleValue, invStd)), sumDy()).reshape(mean.shape),
      variance: () => tf.mul(tf.mul(tf.mul(tf.pow(invStd, tf.scalar(3)), tf.scalar(-0.5)), scaleValue), sumDyD()).reshape(mean.shape),
      scale: () => tf.mul(invStd, sumDyD()).reshape(mean.shape),
      offset: () => sumDy(),
    };
  },
};
