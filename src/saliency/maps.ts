/**
 * From attributions to what the paper plots and measures: a per-pixel saliency map, and how
 * widely its mass is spread (claim 3: medical images have wide high-saliency regions).
 */
import { tf } from "../backend/tf";

/**
 * The paper's F-saliency map: attributions [n, h, w, c] summed over channels, then the absolute
 * value (PAPER.md: "summed over channels, absolute value"), so |sum_c g_c|, not sum_c |g_c|:
 * channels whose gradients cancel show as low saliency. Returns [n, h, w].
 */
export function saliencyMap(attr: tf.Tensor): tf.Tensor3D {
  if (attr.rank !== 4) throw new Error(`saliencyMap needs attributions [n, h, w, c], got shape [${attr.shape}]`);
  return tf.tidy(() => tf.abs(tf.sum(attr, 3)) as tf.Tensor3D);
}

/**
 * Spread of each map in a batch [n, ...]: the smallest fraction of its pixels that carries a
 * fraction q of its total mass (pixels sorted by decreasing value, cumulative sum). A map
 * concentrated on one pixel gives 1/pixels, a uniform map gives q (rounded up to whole pixels).
 * Values must be >= 0 (use saliencyMap or Grad-CAM maps); an all-zero map gives NaN.
 */
export async function massFraction(map: tf.Tensor, q = 0.5): Promise<number[]> {
  if (!(typeof q === "number" && q > 0 && q <= 1)) throw new Error(`q must be a fraction in (0, 1], got ${q}`);
  if (map.rank < 2) throw new Error(`massFraction needs a batch of maps [n, ...], got shape [${map.shape}]`);
  const n = map.shape[0];
  const data = await map.data(); // async: GPU backends cannot read synchronously
  const size = data.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from(data.subarray(i * size, (i + 1) * size));
    if (v.some((p) => !(p >= 0))) throw new Error(`map ${i} has negative or NaN values; massFraction needs non-negative saliency`);
    v.sort((a, b) => b - a);
    const total = v.reduce((s, p) => s + p, 0);
    if (total === 0) {
      out.push(NaN);
      continue;
    }
    // A relative tolerance so that float rounding in the running sum cannot add a pixel.
    const goal = q * total * (1 - 1e-9);
    let cum = 0;
    let k = 0;
    while (k < size && cum < goal) cum += v[k++];
    out.push(k / size);
  }
  return out;
}
