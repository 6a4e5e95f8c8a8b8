/**
 * Claim 3's per-image measures of one model (notebook 05, "Every seed"): what its verdicts
 * bootstrap over (task, seed) models.
 *
 * - saliency spread: per image, the smallest fraction of pixels holding half of the vanilla-gradient
 *   saliency mass, and the same for SmoothGrad;
 * - feature rows: the model's deep feature (featureModel's first output) per image;
 * - representation shift: per image of a saved adversarial set, the relative change of one stage's
 *   activation between the clean and the adversarial image;
 * - loss rise: per image, the white-box model's loss one step of e1 up its own gradient sign, minus
 *   the clean loss (the landscape's first axis, against a second model's direction on the second).
 *
 * With `cache`, the measures are kept in the result cache under a key over everything they depend
 * on: both models' weights, the images and labels, the adversarial set's images, the settings, the
 * tfjs backend and the code that computes them. A retrained model, another set or changed code
 * never reads an old entry.
 */
import * as path from "node:path";
import { tf, withEngine } from "../backend";
import { addonPath } from "../backend/wasm-kernels/native";
import { CacheKey, codeFiles, filesHash, moduleFile, readJsonCache, writeJsonCache } from "../config/json-cache";
import { REPO_ROOT } from "../config/paths";
import { loadAdversarialSet } from "../attacks";
import { representationShift } from "../features";
import { featureModel } from "../models";
import { lossLandscape, sharpnessPerImage } from "../landscape";
import { massFraction, saliencyMap, SmoothGrad, VanillaGradient, type Attribution } from "../saliency";

export interface ModelMeasures {
  /** Per image: fraction of pixels holding half of the vanilla-gradient saliency (higher = wider). */
  readonly spread: number[];
  /** The same with SmoothGrad. */
  readonly spreadSmooth: number[];
  /** Per image: the deep feature row. */
  readonly featureRows: Float32Array[];
  /** Per image of the adversarial set: relative change of the stage's activation. */
  readonly shifts: number[];
  /** Per landscape image: loss at e1 along the white-box direction minus the clean loss. */
  readonly rise: number[];
  /** True when read from the cache. */
  readonly cached: boolean;
}

export interface MeasureOptions {
  /** The stage whose activation shift is measured (a stage number or layer name). */
  readonly stage: number | string;
  /** SmoothGrad's noise samples and their standard deviation (default 0.15). */
  readonly smoothGradSamples: number;
  readonly sigma?: number;
  /** The first n images carry the loss rise. */
  readonly landscapeImages: number;
  /** Where the rise is read (/255), and the landscape grid it interpolates on (cut after the first point >= e1). */
  readonly e1: number;
  readonly grid: readonly number[];
  /** Keep the measures in the result cache: `true` under `<cacheRoot>/measures/`, a string in that folder. */
  readonly cache?: boolean | string;
}

/** The grid up to its first point at or beyond e: the rise interpolates exactly as on the whole grid. */
export function gridUpTo(grid: readonly number[], e: number): number[] {
  const i = grid.findIndex((g) => g >= e);
  if (i < 0) throw new Error(`the landscape grid [${grid.join(", ")}] does not reach e1 = ${e}/255; extend it or lower e1`);
  return grid.slice(0, i + 1);
}

let code: string | undefined;
/** This file and the code it computes with: saliency, features, models, landscape, backend (and the addon), the locked dependencies. */
const codeHash = () =>
  (code ??= filesHash([
    moduleFile(__dirname, "measures"),
    ...["saliency", "features", "models", "landscape", "backend"].flatMap((d) => codeFiles(path.join(__dirname, "..", d))),
    addonPath(),
    path.join(REPO_ROOT, "package-lock.json"),
  ]));

async function measuresKey(model: tf.LayersModel, blackBox: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, set: { clean: Float32Array; adversarial: Float32Array; shape: readonly number[] }, settings: unknown): Promise<string> {
  const k = await new CacheKey({ v: 1, code: codeHash(), backend: tf.getBackend(), settings }).weights(model, blackBox);
  await k.tensor(x);
  await k.tensor(y);
  return k.text("set").array(set.shape, set.clean).array(set.shape, set.adversarial).digest();
}

type Stored = Omit<ModelMeasures, "featureRows" | "cached"> & { featureRows: number[][] };
const finiteArray = (a: unknown, n?: number) => Array.isArray(a) && (n === undefined || a.length === n) && a.every((v) => typeof v === "number" && Number.isFinite(v));
const isStored = (n: number, shifts: number, rise: number) => (v: unknown): boolean => {
  const s = v as Partial<Stored>;
  return finiteArray(s?.spread, n) && finiteArray(s?.spreadSmooth, n) && finiteArray(s?.shifts, shifts) && finiteArray(s?.rise, rise) && Array.isArray(s?.featureRows) && s.featureRows.length === n && s.featureRows.every((r) => finiteArray(r) && r.length === s.featureRows![0].length);
};

/**
 * Claim 3's measures of `model` on images x (n, h, w, c) with labels y, its saved adversarial set
 * `advSet` (a folder holding x_clean.npy and x_adv.npy) and the landscape's second model.
 */
export async function modelMeasures(model: tf.LayersModel, blackBox: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, advSet: string, o: MeasureOptions): Promise<ModelMeasures> {
  if (x.rank !== 4 || y.rank !== 1 || y.shape[0] !== x.shape[0]) throw new Error(`modelMeasures: images must be (n, h, w, c) with n labels, got [${x.shape}] and [${y.shape}]`);
  const sigma = o.sigma ?? 0.15;
  const grid = gridUpTo(o.grid, o.e1);
  const n = Math.min(o.landscapeImages, x.shape[0]);
  const set = loadAdversarialSet(advSet);
  const dir = typeof o.cache === "string" ? o.cache : undefined;
  const key = o.cache ? await measuresKey(model, blackBox, x, y, set, { stage: o.stage, samples: o.smoothGradSamples, sigma, n, e1: o.e1, grid }) : undefined;
  if (key) {
    const hit = readJsonCache<Stored>("measures", key, { dir, valid: isStored(x.shape[0], set.labels.length, n) });
    if (hit) return { ...hit, featureRows: hit.featureRows.map((r) => Float32Array.from(r)), cached: true };
  }
  // One engine for the model serves the saliency maps and the landscape (a worker pool starts once).
  const [xs, ys] = [x.slice(0, n), y.slice(0, n)];
  const { spreads, surface } = await withEngine(model, async (e) => {
    const spreadOf = async (method: Attribution) => {
      const a = await method.attribute(x, y);
      const m = saliencyMap(a);
      try {
        return await massFraction(m, 0.5);
      } finally {
        tf.dispose([a, m]);
      }
    };
    const spreads = { spread: await spreadOf(new VanillaGradient(e)), spreadSmooth: await spreadOf(new SmoothGrad(e, { samples: o.smoothGradSamples, sigma })) };
    return { spreads, surface: await withEngine(blackBox, (b) => lossLandscape(e, b, xs, ys, { grid, cache: o.cache })) };
  }).finally(() => tf.dispose([xs, ys]));
  const shape = set.shape as [number, number, number, number];
  const [xc, xa] = [tf.tensor4d(set.clean, shape), tf.tensor4d(set.adversarial, shape)];
  const shifts = await representationShift(model, xc, xa, o.stage).finally(() => tf.dispose([xc, xa]));
  const feats = featureModel(model).predict(x) as tf.Tensor[];
  const f = (await feats[0].data()) as Float32Array;
  const [nf, df] = [feats[0].shape[0], feats[0].shape[1]!];
  tf.dispose(feats);
  const featureRows = Array.from({ length: nf }, (_, i) => f.slice(i * df, (i + 1) * df));
  const out = { ...spreads, featureRows, shifts: shifts.activation, rise: sharpnessPerImage(surface, o.e1) };
  if (key) writeJsonCache("measures", key, { ...out, featureRows: featureRows.map((r) => Array.from(r)) }, { dir });
  return { ...out, cached: false };
}
