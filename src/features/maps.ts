/**
 * The paper's deep-representation figure (F-repr): the channel-mean of an intermediate
 * activation (e.g. ResNet-50 stage 3, or stage 5 for clean vs PGD images), and how far an
 * adversarial perturbation moves that activation.
 */
import { tf } from "../backend/tf";
import { intermediateModel, resolveLayer } from "../models/features";
import { checkWhole } from "../config/check";

export interface ChannelMeanMaps {
  /** n x h x w, row-major: the activation averaged over its channels. */
  readonly data: Float32Array;
  readonly n: number;
  readonly h: number;
  readonly w: number;
  /** The resolved layer name. */
  readonly layer: string;
}

export interface RepresentationShift {
  readonly layer: string;
  /** Per image ||A(x_adv) - A(x)||_2 / ||A(x)||_2 of the full activation (0/0 = 0, v/0 = Infinity). */
  readonly activation: number[];
  /** The same for the channel-mean map. */
  readonly channelMean: number[];
  readonly meanActivation: number;
  readonly meanChannelMean: number;
}

export interface MapOptions {
  /** Images per forward pass (default 32). */
  readonly batchSize?: number;
}

function checkBatch(o: MapOptions): number {
  return checkWhole(o.batchSize ?? 32, "batchSize");
}

/** Inference-mode activation of the layer on images [s, s + b) (must be n x h x w x c). */
function activation(view: tf.LayersModel, x: tf.Tensor4D, s: number, b: number, layer: string): tf.Tensor4D {
  return tf.tidy(() => {
    const a = view.apply(x.slice([s, 0, 0, 0], [b, -1, -1, -1]), { training: false }) as tf.Tensor;
    if (a.rank !== 4) throw new Error(`layer '${layer}' outputs shape [${a.shape}]; channel-mean maps need a 4-D (n, h, w, c) activation`);
    return a as tf.Tensor4D;
  });
}

/** Channel-mean of the activation of `layer` (stage number or layer name) for each image. */
export async function channelMeanMaps(model: tf.LayersModel, x: tf.Tensor4D, layer: number | string, o: MapOptions = {}): Promise<ChannelMeanMaps> {
  const name = resolveLayer(model, layer);
  const batchSize = checkBatch(o);
  if (x.rank !== 4) throw new Error(`images must be a 4-D tensor (n, h, w, c), got shape [${x.shape}]`);
  const view = intermediateModel(model, [name]); // shares model's weights: not disposed
  const n = x.shape[0];
  const chunks: Float32Array[] = [];
  let h = 0;
  let w = 0;
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    const m = tf.tidy(() => tf.mean(activation(view, x, s, b, name), 3));
    [h, w] = [m.shape[1]!, m.shape[2]!];
    chunks.push((await m.data()) as Float32Array);
    m.dispose();
  }
  const data = new Float32Array(n * h * w);
  let off = 0;
  for (const c of chunks) data.set(c, (off += c.length) - c.length);
  return { data, n, h, w, layer: name };
}

const ratio = (d: number, r: number) => (d === 0 ? 0 : d / r);

/**
 * How much adversarial images move the representation at `layer`: per image relative L2 change
 * of the full activation and of its channel-mean map, and their means over the images.
 */
export async function representationShift(model: tf.LayersModel, xClean: tf.Tensor4D, xAdv: tf.Tensor4D, layer: number | string, o: MapOptions = {}): Promise<RepresentationShift> {
  const name = resolveLayer(model, layer);
  const batchSize = checkBatch(o);
  if (xClean.rank !== 4 || !tf.util.arraysEqual(xClean.shape, xAdv.shape)) throw new Error(`clean and adversarial images must be 4-D tensors of the same shape, got [${xClean.shape}] and [${xAdv.shape}]`);
  const view = intermediateModel(model, [name]);
  const n = xClean.shape[0];
  const act: number[] = [];
  const map: number[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    // Rows: ||dA||, ||A||, ||d mean_c A||, ||mean_c A|| per image.
    const norms = tf.tidy(() => {
      const a = activation(view, xClean, s, b, name);
      const d = tf.sub(activation(view, xAdv, s, b, name), a);
      const l2 = (t: tf.Tensor, axes: number[]) => tf.sqrt(tf.sum(tf.square(t), axes));
      return tf.stack([l2(d, [1, 2, 3]), l2(a, [1, 2, 3]), l2(tf.mean(d, 3), [1, 2]), l2(tf.mean(a, 3), [1, 2])]);
    });
    const v = await norms.data();
    norms.dispose();
    for (let k = 0; k < b; k++) {
      act.push(ratio(v[k], v[b + k]));
      map.push(ratio(v[2 * b + k], v[3 * b + k]));
    }
  }
  const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
  return { layer: name, activation: act, channelMean: map, meanActivation: mean(act), meanChannelMean: mean(map) };
}
