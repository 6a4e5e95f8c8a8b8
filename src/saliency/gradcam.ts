/**
 * Grad-CAM (Selvaraju et al. 2017), the paper's F-attention: at a convolutional layer with
 * activations A_k (k = channels), alpha_k = spatial mean of d logit_t / d A_k and the map is
 * ReLU(sum_k alpha_k A_k), upsampled to the input. The gradient w.r.t. an intermediate activation
 * is not something the engine computes, so this runs on the main thread with src/models/split.
 */
import { tf } from "../backend/tf";
import { runFrom, runTo, stageOutputs } from "../models";
import { type Attribution, type Target, numClasses, resolveTarget } from "./attribution";

export interface GradCAMOptions {
  /** A stage number or a layer name (a 4-D output). Default: the last stage output (the last convolutional block). */
  readonly layer?: number | string;
  /** Bilinear upsampling to the input's height and width. Default true. */
  readonly upsample?: boolean;
  /** Min-max normalisation of each map to [0, 1] (a constant map becomes 0). Default true. */
  readonly normalize?: boolean;
}

function stageList(model: tf.LayersModel): string {
  const s = [...stageOutputs(model)].map(([k, v]) => `${k} (${v})`);
  return s.length ? s.join(", ") : "none (name a layer)";
}

/** The layer a Grad-CAM option names, with the available stages in every error. */
export function gradCamLayer(model: tf.LayersModel, layer?: number | string): string {
  const stages = stageOutputs(model);
  if (layer === undefined) {
    if (stages.size === 0) throw new Error(`Model ${model.name} has no stage outputs (conv{s}_block{b}_out); pass a layer name`);
    return stages.get(Math.max(...stages.keys()))!;
  }
  if (typeof layer === "number") {
    const name = stages.get(layer);
    if (!name) throw new Error(`Model ${model.name} has no stage ${layer}; stages: ${stageList(model)}`);
    return name;
  }
  const l = model.layers.find((l) => l.name === layer);
  if (!l) throw new Error(`Model ${model.name} has no layer '${layer}'; stages: ${stageList(model)}`);
  const shape = (l.output as tf.SymbolicTensor).shape;
  if (Array.isArray(l.output) || shape.length !== 4) throw new Error(`Grad-CAM needs a layer with one [batch, h, w, channels] output; '${layer}' has shape [${shape}]`);
  return layer;
}

export class GradCAM implements Attribution {
  readonly name = "Grad-CAM";
  readonly layer: string;
  readonly upsample: boolean;
  readonly normalize: boolean;
  constructor(private readonly model: tf.LayersModel, options: GradCAMOptions = {}) {
    this.layer = gradCamLayer(model, options.layer);
    this.upsample = options.upsample ?? true;
    this.normalize = options.normalize ?? true;
  }
  /** Maps [n, H, W] (the input size when upsampling, else the layer's h x w). */
  async attribute(x: tf.Tensor4D, target: Target): Promise<tf.Tensor3D> {
    const labels = await resolveTarget(target, x.shape[0], numClasses(this.model));
    return tf.tidy(() => {
      const a = runTo(this.model, x, this.layer) as tf.Tensor4D;
      const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), numClasses(this.model));
      // Sum over the batch of each example's target logit: examples are independent in inference
      // mode, so this gives every example's own gradient. x is passed for paths that bypass the layer.
      const grad = tf.grad((act: tf.Tensor) => tf.sum(tf.mul(runFrom(this.model, this.layer, act, x), onehot)))(a);
      const alpha = tf.mean(grad, [1, 2], true);
      let cam = tf.relu(tf.sum(tf.mul(alpha, a), 3, true)) as tf.Tensor4D; // [n, h, w, 1]
      if (this.upsample) cam = tf.image.resizeBilinear(cam, [x.shape[1], x.shape[2]], false, true);
      if (this.normalize) {
        const lo = tf.min(cam, [1, 2, 3], true);
        const range = tf.sub(tf.max(cam, [1, 2, 3], true), lo);
        // A constant map (e.g. all zero after the ReLU) has no "where": 0 everywhere.
        cam = tf.where(tf.greater(range, 0), tf.div(tf.sub(cam, lo), tf.maximum(range, 1e-30)), tf.zerosLike(cam)) as tf.Tensor4D;
      }
      return tf.squeeze(cam, [3]) as tf.Tensor3D;
    });
  }
  params() {
    return { layer: this.layer, upsample: this.upsample, normalize: this.normalize };
  }
}
