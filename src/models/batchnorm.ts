/**
 * Batch normalisation whose training step has a closed-form gradient. tfjs-layers normalises in
 * training through tf.moments and differentiates that graph op by op: about twenty full-size
 * passes per layer on the backward pass, the largest part of a wasm training step once the
 * convolutions are native. Here the backward pass is the textbook formula (as PyTorch's
 * native_batch_norm_backward):
 *   dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy)
 * On wasm with the oneDNN addon, the statistics and this backward pass are one native kernel each.
 * Inference, and any layer that is not channels-last with centre and scale, is tfjs-layers' own.
 * The class is registered under tfjs-layers' name, so saved models load into it unchanged.
 * MIA_FUSED_BN=0 turns the closed form off (the stock graph) for comparisons.
 */
import { tf } from "../backend/tf";
import { registerWorkerModule } from "../backend/parallel/pool";
import { nativeTrainingKernels, runBatchNormGrad, runBatchNormStats } from "../backend/wasm-kernels";

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];

/** tfjs-layers' BatchNormalization class (not exported by name). */
const Base = tf.layers.batchNormalization({}).constructor as unknown as new (args?: BatchNormArgs) => tf.layers.Layer;

interface LayerVariable {
  read(): tf.Tensor;
  write(t: tf.Tensor): void;
}

/**
 * Training-mode batch norm over every axis but the last: y, and the batch mean and (biased)
 * variance for the moving averages (the caller disposes those two).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  // On wasm with the oneDNN addon, the statistics and the backward pass are one native kernel each
  // (src/backend/wasm-kernels); elsewhere the same formulas as tfjs ops.
  const native = x.dtype === "float32" && nativeTrainingKernels();
  let stats: [tf.Tensor, tf.Tensor] | undefined;
  const op = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    let mean: tf.Tensor, variance: tf.Tensor;
    if (native) [mean, variance] = runBatchNormStats(xi);
    else {
      mean = tf.mean(xi, axes);
      variance = tf.mean(tf.square(tf.sub(xi, mean)), axes);
    }
    const y = tf.batchNorm(xi, mean, variance, b, g, epsilon);
    save([xi, mean, variance, g]);
    // Clones share the data (Identity does not copy); the saved originals stay for the backward pass.
    stats = [tf.keep(mean.clone()), tf.keep(variance.clone())];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sm, sv, sg] = saved;
        if (native) return runBatchNormGrad(dy, sx, sm, sv, sg, epsilon);
        const m = sx.size / sx.shape[sx.rank - 1];
        const xhat = tf.batchNorm(sx, sm, sv, undefined, undefined, epsilon);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xhat), axes);
        const k = tf.mul(sg, tf.rsqrt(tf.add(sv, epsilon)));
        // dx = dy * k - xhat * (k * dgamma / m) - k * dbeta / m
        const dx = tf.sub(tf.sub(tf.mul(dy, k), tf.mul(xhat, tf.div(tf.mul(k, dgamma), m))), tf.div(tf.mul(k, dbeta), m));
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = (op as unknown as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

/** The moving average tfjs-layers keeps: v <- v - (v - value) * (1 - momentum). */
function movingAverage(variable: LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const v = variable.read();
    variable.write(tf.sub(v, tf.mul(tf.sub(v, value), 1 - momentum)));
  });
}

export class BatchNormalization extends Base {
  static className = "BatchNormalization";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as { axis: number; center: boolean; scale: boolean; epsilon: number; momentum: number; gamma: LayerVariable; beta: LayerVariable; movingMean: LayerVariable; movingVariance: LayerVariable };
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const axis = self.axis >= 0 ? self.axis : self.axis + input.rank;
    if (!kwargs?.training || process.env.MIA_FUSED_BN === "0" || axis !== input.rank - 1 || !self.center || !self.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(input, self.gamma.read(), self.beta.read(), self.epsilon);
      movingAverage(self.movingMean, mean, self.momentum);
      movingAverage(self.movingVariance, variance, self.momentum);
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Same arguments as tf.layers.batchNormalization. */
export function batchNormalization(args: BatchNormArgs): tf.layers.Layer {
  return new BatchNormalization(args);
}

// Wasm workers load this file too, so that they deserialise the layers it registers.
registerWorkerModule(__filename);
