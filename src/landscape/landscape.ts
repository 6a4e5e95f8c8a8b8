/**
 * The paper's loss landscape (F-landscape): the white-box model's cross-entropy at
 * x + e1 sign(grad_x CE_white) + e2 sign(grad_x CE_black) over a grid of e1, e2 (in /255 pixel
 * units), with the black-box direction taken from a second, independently trained model. As in
 * the authors' script the perturbed images are NOT clipped to [0, 1]: the surface describes the
 * model's loss function around x, not valid images.
 */
import * as path from "node:path";
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { addonPath } from "../backend/wasm-kernels/native";
import { checkWhole } from "../config/check";
import { CacheKey, codeFiles, filesHash, moduleFile, readJsonCache, writeJsonCache } from "../config/json-cache";
import { REPO_ROOT } from "../config/paths";

/** The paper's grid: {0, 0.5, ..., 7.5}/255 on both axes (16 x 16). */
export const PAPER_GRID: readonly number[] = Array.from({ length: 16 }, (_, i) => i / 2);

export interface Surface {
  /** Grid values (/255) shared by both axes: e1 (white-box direction) and e2 (black-box direction). */
  readonly grid: number[];
  /** Number of images. */
  readonly n: number;
  /** loss[k][i][j]: CE of the white-box model on image k at e1 = grid[i], e2 = grid[j]. */
  readonly loss: number[][][];
  /** mean[i][j]: loss averaged over the images. */
  readonly mean: number[][];
  /** True when read from the cache (LandscapeOptions.cache) instead of computed. */
  readonly cached?: boolean;
}

export interface LandscapeOptions {
  /** e values in /255 units, strictly increasing, in [0, 255] (default PAPER_GRID). */
  readonly grid?: readonly number[];
  /** Images per forward / gradient pass (default 64). */
  readonly batchSize?: number;
  /**
   * Keep the surface in the result cache (default false): `true` under `<cacheRoot>/landscape/`
   * (MIA_CACHE_DIR moves it), a string in that folder. The key hashes both models' weights, the
   * images and labels, the grid, the batch size, the tfjs backend and this file's code, so a
   * retrained model or changed images never read an old surface.
   */
  readonly cache?: boolean | string;
}

let code: string | undefined;
/** This file, the backend that computes the gradients and forward passes (its TypeScript and the oneDNN addon), the locked dependencies. */
const codeHash = () => (code ??= filesHash([moduleFile(__dirname, "landscape"), ...codeFiles(path.join(__dirname, "..", "backend")), addonPath(), path.join(REPO_ROOT, "package-lock.json")]));

/** The cache key of a surface: both models' weights (shapes and values, in order), the images, labels and settings. */
async function landscapeKey(white: tf.LayersModel, black: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, grid: readonly number[], batchSize: number): Promise<string> {
  const k = await new CacheKey({ v: 1, code: codeHash(), backend: tf.getBackend(), grid, batchSize, x: x.shape }).weights(white, black);
  await k.tensor(x);
  await k.tensor(y);
  return k.digest();
}

const isSurface = (n: number, g: number) => (v: unknown): boolean => {
  const s = v as Partial<Surface>;
  return s?.n === n && Array.isArray(s.grid) && s.grid.length === g && Array.isArray(s.loss) && s.loss.length === n && Array.isArray(s.mean) && s.mean.length === g && s.loss.every((l) => l.length === g && l.every((r) => r.length === g && r.every(Number.isFinite)));
};

/** Checks a grid of e values (/255): non-empty, finite, within [0, 255], strictly increasing. */
export function validateGrid(grid: readonly number[]): number[] {
  if (!Array.isArray(grid) || grid.length === 0) throw new Error("landscape grid must be a non-empty array of e values in /255 units");
  grid.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`landscape grid values must be finite numbers (/255 units); grid[${i}] = ${v}`);
    if (v < 0 || v > 255) throw new Error(`landscape grid values must be in [0, 255] (/255 pixel units); grid[${i}] = ${v}`);
    if (i > 0 && v <= grid[i - 1]) throw new Error(`landscape grid must be strictly increasing; grid[${i - 1}] = ${grid[i - 1]}, grid[${i}] = ${v}`);
  });
  return [...grid];
}

/** Per-row cross-entropy from logits (n x k), in float64 with the log-sum-exp shift (stable for large logits). */
export function crossEntropyRows(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    if (!(Number.isInteger(labels[r]) && labels[r] >= 0 && labels[r] < classes)) throw new Error(`label ${labels[r]} of row ${r} is not a class index in [0, ${classes})`);
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
    out[r] = max + Math.log(sum) - logits[r * classes + labels[r]];
  }
  return out;
}

/** sign(grad_x mean CE), batch by batch (the 1/n of the mean does not change the sign). */
async function signGradient(engine: Engine, x: tf.Tensor4D, y: tf.Tensor1D, batchSize: number): Promise<tf.Tensor4D> {
  const n = x.shape[0];
  const parts: tf.Tensor4D[] = [];
  try {
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const [xb, yb] = tf.tidy(() => [x.slice([s, 0, 0, 0], [b, -1, -1, -1]), y.slice([s], [b])] as [tf.Tensor4D, tf.Tensor1D]);
      try {
        const { grad } = await engine.inputGradient(xb, yb, "ce");
        parts.push(tf.tidy(() => tf.sign(grad)));
        grad.dispose();
      } finally {
        tf.dispose([xb, yb]);
      }
    }
    return parts.length === 1 ? parts.pop()! : tf.tidy(() => tf.concat(parts));
  } finally {
    tf.dispose(parts);
  }
}

/**
 * The loss surface of `white` around each image of x (n, h, w, c) with labels y, along its own
 * FGSM direction (e1) and the FGSM direction of `black` (e2). Every (image, e1, e2) point is
 * one row of a batched forward pass of the white-box model.
 */
export async function lossLandscape(white: Engine, black: Engine, x: tf.Tensor4D, y: tf.Tensor1D, options: LandscapeOptions = {}): Promise<Surface> {
  const grid = validateGrid(options.grid ?? PAPER_GRID);
  const batchSize = checkWhole(options.batchSize ?? 64, "batchSize");
  if (x.rank !== 4) throw new Error(`images must be a 4-D tensor (n, h, w, c), got shape [${x.shape}]`);
  const n = x.shape[0];
  if (n === 0) throw new Error("the loss landscape needs at least one image");
  if (y.rank !== 1 || y.shape[0] !== n) throw new Error(`labels must be a 1-D tensor of ${n} labels, got shape [${y.shape}]`);
  const dir = typeof options.cache === "string" ? options.cache : undefined;
  const key = options.cache ? await landscapeKey(white.model, black.model, x, y, grid, batchSize) : undefined;
  if (key !== undefined) {
    const hit = readJsonCache<Surface>("landscape", key, { dir, valid: isSurface(n, grid.length) });
    if (hit) return { grid: hit.grid, n: hit.n, loss: hit.loss, mean: hit.mean, cached: true };
  }
  const labels = Int32Array.from(await y.data());
  const g = grid.length;
  const points = n * g * g;
  const loss = Array.from({ length: n }, () => Array.from({ length: g }, () => new Array<number>(g).fill(0)));

  const d1 = await signGradient(white, x, y, batchSize);
  let d2: tf.Tensor4D | undefined;
  try {
    d2 = await signGradient(black, x, y, batchSize);
    // Point p -> image k = p / g^2, e1 index i, e2 index j (row-major), in chunks of batchSize.
    for (let s = 0; s < points; s += batchSize) {
      const b = Math.min(batchSize, points - s);
      const img = new Int32Array(b);
      const e1 = new Float32Array(b);
      const e2 = new Float32Array(b);
      for (let r = 0; r < b; r++) {
        const p = s + r;
        img[r] = Math.floor(p / (g * g));
        e1[r] = grid[Math.floor(p / g) % g] / 255;
        e2[r] = grid[p % g] / 255;
      }
      const xp = tf.tidy(() => {
        const idx = tf.tensor1d(img, "int32");
        const a = tf.tensor4d(e1, [b, 1, 1, 1]);
        const c = tf.tensor4d(e2, [b, 1, 1, 1]);
        return tf.add(tf.add(tf.gather(x, idx), tf.mul(a, tf.gather(d1, idx))), tf.mul(c, tf.gather(d2!, idx))) as tf.Tensor4D;
      });
      let out: Array<{ data: Float32Array; shape: number[] }>;
      try {
        out = await white.predict(xp);
      } finally {
        xp.dispose();
      }
      const { data, shape } = out[0];
      const ce = crossEntropyRows(data, Array.from(img, (k) => labels[k]), shape[1]);
      for (let r = 0; r < b; r++) {
        const p = s + r;
        loss[Math.floor(p / (g * g))][Math.floor(p / g) % g][p % g] = ce[r];
      }
    }
  } finally {
    tf.dispose([d1, ...(d2 ? [d2] : [])]);
  }
  const mean = Array.from({ length: g }, (_, i) => Array.from({ length: g }, (_, j) => loss.reduce((acc, l) => acc + l[i][j], 0) / n));
  if (key !== undefined) writeJsonCache("landscape", key, { grid, n, loss, mean }, { dir });
  return { grid, n, loss, mean, cached: false };
}

/** Linear interpolation position of v on the grid: lower index and weight of the upper one. */
function locate(grid: readonly number[], v: number, what: string): [number, number] {
  if (!Number.isFinite(v) || v < grid[0] || v > grid[grid.length - 1]) throw new Error(`${what} = ${v} is outside the surface's grid [${grid[0]}, ${grid[grid.length - 1]}] (/255)`);
  let i = 0;
  while (i < grid.length - 2 && grid[i + 1] < v) i++;
  if (grid.length === 1) return [0, 0];
  return [i, (v - grid[i]) / (grid[i + 1] - grid[i])];
}

/** Mean loss at (e1, e2) in /255 units, bilinearly interpolated between grid points. */
export function lossAt(surface: Surface, e1: number, e2 = 0): number {
  const [i, u] = locate(surface.grid, e1, "e1");
  const [j, v] = locate(surface.grid, e2, "e2");
  const m = surface.mean;
  const at = (a: number, b: number) => m[Math.min(a, m.length - 1)][Math.min(b, m.length - 1)];
  return (1 - u) * (1 - v) * at(i, j) + u * (1 - v) * at(i + 1, j) + (1 - u) * v * at(i, j + 1) + u * v * at(i + 1, j + 1);
}

/**
 * Sharpness: how much the mean loss rises one white-box step of e (/255, default 1) away from
 * the clean images, L(e, 0) - L(0, 0). The grid must contain 0 (the clean loss).
 */
export function sharpness(surface: Surface, e = 1): number {
  if (surface.grid[0] !== 0) throw new Error("sharpness needs the clean loss: the surface's grid must start at 0");
  return lossAt(surface, e, 0) - lossAt(surface, 0, 0);
}

/**
 * Sharpness per image: how much image k's loss rises one white-box step of e away from it,
 * L_k(e, 0) - L_k(0, 0); their mean is `sharpness` (the interpolation is linear in the loss).
 */
export function sharpnessPerImage(surface: Surface, e = 1): number[] {
  if (surface.grid[0] !== 0) throw new Error("sharpness needs the clean loss: the surface's grid must start at 0");
  const [i, u] = locate(surface.grid, e, "e1");
  return surface.loss.map((l) => (1 - u) * l[i][0] + u * l[Math.min(i + 1, l.length - 1)][0] - l[0][0]);
}

/** L(e, 0) / L(0, 0): the factor by which one white-box step of e multiplies the mean loss. */
export function lossIncreaseRatio(surface: Surface, e = 1): number {
  if (surface.grid[0] !== 0) throw new Error("the loss increase ratio needs the clean loss: the surface's grid must start at 0");
  return lossAt(surface, e, 0) / lossAt(surface, 0, 0);
}
