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
  return tf.tidy(() => tf.clipByValue(tf.image.transform(x, tf.tensor2d(m, [n, 8]), "bilinear", config.fill ?? "nearest"), 0, 1) as tf.Tensor4D);
}
