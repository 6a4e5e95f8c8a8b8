/**
 * Training-time augmentation with tfjs ops, as the paper's Keras ImageDataGenerator: rotation
 * (degrees), width/height shifts (fraction of the side), zoom (each axis scaled by 1 +- zoom),
 * shear (Keras units: degrees) and horizontal flips. One affine map per image, applied with
 * tf.image.transform (bilinear, edges repeated as Keras' fill_mode "nearest").
 */
import { tf } from "../backend/tf";
import { rng } from "../data/split";

export interface AugmentConfig {
  readonly rotation: number;
  readonly shift: number;
  readonly zoom: number;
  readonly shear: number;
  readonly horizontalFlip: boolean;
  /** Round the shifts to whole pixels (a random crop of the padded image). */
  readonly wholePixelShift?: boolean;
  /** What shifted-in pixels hold: the nearest edge pixel (Keras' default) or 0 (zero padding). */
  readonly fill?: "nearest" | "constant";
}

/** The authors' settings (PAPER.md): shear 0.1, zoom 0.2, rotation 20 deg, shifts 0.1, horizontal flip. */
export const PAPER_AUGMENT: AugmentConfig = Object.freeze({ rotation: 20, shift: 0.1, zoom: 0.2, shear: 0.1, horizontalFlip: true });

/**
 * CIFAR's standard augmentation (He et al. 2016): zero-pad by 4 pixels of 32 (1/8 of the side),
 * take a random crop of the original size, flip horizontally half the time. Rotation, zoom and
 * shear blur a 32-pixel image and cost CIFAR accuracy.
 */
export const CROP_FLIP_AUGMENT: AugmentConfig = Object.freeze({ rotation: 0, shift: 0.125, zoom: 0, shear: 0, horizontalFlip: true, wholePixelShift: true, fill: "constant" });

/**
 * Rows of tf.image.transform's projective matrices [a0 a1 a2 b0 b1 b2 0 0]: output pixel (x, y)
 * samples the input at (a0 x + a1 y + a2, b0 x + b1 y + b2). Each row maps the image centre
 * through flip -> zoom -> shear -> rotation and then shifts.
 */
export function augmentMatrices(n: number, height: number, width: number, c: AugmentConfig, random: () => number): Float32Array {
  const u = (a: number) => (2 * random() - 1) * a;
  const out = new Float32Array(n * 8);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let i = 0; i < n; i++) {
    const theta = (u(c.rotation) * Math.PI) / 180;
    const shear = (u(c.shear) * Math.PI) / 180;
    const zx = 1 + u(c.zoom);
    const zy = 1 + u(c.zoom);
    const flip = c.horizontalFlip && random() < 0.5 ? -1 : 1;
    const whole = (v: number) => (c.wholePixelShift ? Math.round(v) : v);
    const tx = whole(u(c.shift) * width);
    const ty = whole(u(c.shift) * height);
    // M = R(theta) . [[1, -sin(shear)], [0, cos(shear)]] . diag(zx * flip, zy)
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const s00 = zx * flip;
    const s01 = -Math.sin(shear) * zy;
    const s11 = Math.cos(shear) * zy;
    const m00 = cos * s00;
    const m01 = cos * s01 - sin * s11;
    const m10 = sin * s00;
    const m11 = sin * s01 + cos * s11;
    out.set([m00, m01, cx - m00 * cx - m01 * cy + tx, m10, m11, cy - m10 * cx - m11 * cy + ty, 0, 0], i * 8);
  }
  return out;
}

/** Augments a batch in [0, 1] (NHWC); the caller disposes the result. Seeded: same seed, same images. */
export function augmentBatch(x: tf.Tensor4D, config: AugmentConfig, seed: number | (() => number)): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const m = augmentMatrices(n, h, w, config, typeof seed === "number" ? rng(seed) : seed);
  // The index copy reads the batch synchronously: only where tensors live in CPU memory (webgpu
  // reads are asynchronous in Node).
  const syncReads = tf.getBackend() === "wasm" || tf.getBackend() === "cpu";
  return (syncReads && isCropFlip(config) && cropFlipBatch(x, m, config.fill ?? "nearest")) || transformBatch(x, m, config.fill ?? "nearest");
}

/**
 * The general path: tf.image.transform with augmentMatrices' rows (bilinear), clipped to [0, 1].
 * On the cpu backend one image at a time: tfjs-backend-cpu 4.22's Transform gets every image after
 * the first in a batch wrong (zeros with constant fill; test/recipe.test.ts holds it to wasm's).
 */
export function transformBatch(x: tf.Tensor4D, matrices: Float32Array, fill: "nearest" | "constant"): tf.Tensor4D {
  const n = x.shape[0];
  return tf.tidy(() => {
    const one = (xi: tf.Tensor4D, m: Float32Array) => tf.image.transform(xi, tf.tensor2d(m, [xi.shape[0], 8]), "bilinear", fill);
    const out = tf.getBackend() === "cpu" && n > 1 ? tf.concat(tf.split(x, n).map((xi, i) => one(xi as tf.Tensor4D, matrices.subarray(i * 8, i * 8 + 8)))) : one(x, matrices);
    return tf.clipByValue(out, 0, 1) as tf.Tensor4D;
  });
}

/** Whole-pixel shifts and flips only (CIFAR's crop-flip): every output pixel is one input pixel. */
function isCropFlip(c: AugmentConfig): boolean {
  return c.rotation === 0 && c.zoom === 0 && c.shear === 0 && c.wholePixelShift === true;
}

/**
 * The crop-flip case of transformBatch as an index copy: with no rotation, zoom or shear, each
 * row samples the input at whole-pixel coordinates (a0 x + a2, y + b2), a0 = +-1, where bilinear
 * weights are exactly 1 and 0, so the copy gives the same numbers (test/recipe.test.ts) for less:
 * a batch of 128 took 5 ms instead of 11 at 32x32 and 17 instead of 50 at 64x64 (2-core EPYC,
 * 2026-12-08), where tf.image.transform had taken 11 s of a CIFAR-10 epoch's main thread, beside
 * the workers. Null when a row is not of that form (then the general path runs).
 */
function cropFlipBatch(x: tf.Tensor4D, m: Float32Array, fill: "nearest" | "constant"): tf.Tensor4D | null {
  const [n, h, w, ch] = x.shape;
  for (let i = 0; i < n; i++) {
    const [a0, a1, a2, b0, b1, b2] = m.subarray(i * 8, i * 8 + 6);
    if (!(Math.abs(a0) === 1 && a1 === 0 && b0 === 0 && b1 === 1 && Number.isInteger(a2) && Number.isInteger(b2))) return null;
  }
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  const clampTo = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  for (let i = 0; i < n; i++) {
    const a0 = m[i * 8], a2 = m[i * 8 + 2], b2 = m[i * 8 + 5];
    const base = i * h * w * ch;
    for (let y = 0; y < h; y++) {
      let yi = y + b2;
      if (yi < 0 || yi > h - 1) {
        if (fill === "constant") continue;
        yi = clampTo(yi, h - 1);
      }
      for (let xo = 0; xo < w; xo++) {
        let xi = a0 * xo + a2;
        if (xi < 0 || xi > w - 1) {
          if (fill === "constant") continue;
          xi = clampTo(xi, w - 1);
        }
        const o = base + (y * w + xo) * ch;
        const s = base + (yi * w + xi) * ch;
        for (let k = 0; k < ch; k++) {
          const v = src[s + k];
          out[o + k] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    }
  }
  return tf.tensor4d(out, x.shape);
}
