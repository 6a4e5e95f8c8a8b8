/**
 * The detectors' input: the paper's 128-d deep feature (the Dense(128) output before dropout) of
 * clean and adversarial images, optionally every stage's pooled activation (multi-layer LID),
 * saved as .npy beside each adversarial set so NumPy (or any tool) can read them, and the
 * paper's AdvTrain / AdvTest partition of the correctly classified images.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { writeNpy } from "../data/npy";
import { requireWritable, writeFileAtomic } from "../config/io";
import { CacheKey } from "../config/json-cache";
import { readJsonFile as readJson, readNpyFile as readArray } from "../data/files";
import { advPartition } from "../data/split";
import { FEATURE_LAYER } from "../models/head";
import { featureModel, intermediateModel, resolveLayer, stageOutputs } from "../models/features";
import { adversarialDir, attackFix, loadAdversarialSet, RESULTS_HINT, resultsRoot } from "../attacks/save";
import { loadTrained } from "../train/trainer";
import { checkWhole } from "../config/check";

/** Images as a tensor, or as flat NHWC float data with its shape (what the .npy files hold). */
export type Images = tf.Tensor4D | { readonly data: Float32Array; readonly shape: readonly number[] };

export interface DeepFeatures {
  readonly n: number;
  /** Feature width (128 for the paper's head). */
  readonly d: number;
  readonly classes: number;
  /** n x d, row-major. */
  readonly features: Float32Array;
  /** n x classes, row-major. */
  readonly logits: Float32Array;
  readonly predicted: Int32Array;
}

export interface PooledLayer {
  readonly layer: string;
  readonly d: number;
  /** n x d, row-major: the activation averaged over height and width (dense outputs as they are). */
  readonly data: Float32Array;
}

function batchOf(o: { batchSize?: number }): number {
  return checkWhole(o.batchSize ?? 32, "batchSize");
}

function imageCount(x: Images): number {
  if (x.shape.length !== 4) throw new Error(`images must be 4-D (n, h, w, c), got shape [${x.shape}]`);
  if (!(x instanceof tf.Tensor) && x.data.length !== x.shape.reduce((a, b) => a * b, 1)) throw new Error(`images: shape [${x.shape}] does not match ${x.data.length} values`);
  return x.shape[0];
}

/** Images [s, s + b) as a tensor (a view's copy for flat data: the whole set never sits on the backend). */
function slice(x: Images, s: number, b: number): tf.Tensor4D {
  if (x instanceof tf.Tensor) return x.slice([s, 0, 0, 0], [b, -1, -1, -1]);
  const per = x.shape[1] * x.shape[2] * x.shape[3];
  return tf.tensor4d(x.data.subarray(s * per, (s + b) * per), [b, x.shape[1], x.shape[2], x.shape[3]]);
}

/** Runs `view` in inference mode (dropout off) over x in batches; returns each output's rows concatenated. */
async function batched(view: tf.LayersModel, x: Images, batchSize: number, post: (t: tf.Tensor) => tf.Tensor2D): Promise<{ data: Float32Array; d: number }[]> {
  const n = imageCount(x);
  const chunks: Float32Array[][] = [];
  let widths: number[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    const outs = tf.tidy(() => {
      const y = view.apply(slice(x, s, b), { training: false });
      return (Array.isArray(y) ? y : [y]).map((t) => post(t as tf.Tensor));
    });
    widths = outs.map((t) => t.shape[1]);
    chunks.push(await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose(outs);
  }
  return widths.map((d, k) => {
    const data = new Float32Array(n * d);
    chunks.forEach((c, j) => data.set(c[k], j * batchSize * d));
    return { data, d };
  });
}

const asRows = (t: tf.Tensor): tf.Tensor2D => {
  if (t.rank === 2) return t as tf.Tensor2D;
  if (t.rank === 4) return tf.mean(t, [1, 2]) as tf.Tensor2D; // global average pooling
  throw new Error(`cannot pool an activation of shape [${t.shape}] (need rank 2 or 4)`);
};

/** The deep feature, logits and predicted class of every image, in inference mode. */
export async function deepFeatures(model: tf.LayersModel, x: Images, o: { batchSize?: number } = {}): Promise<DeepFeatures> {
  const n = imageCount(x);
  const [f, z] = await batched(featureModel(model), x, batchOf(o), asRows); // shares model's weights: not disposed
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < z.d; c++) if (z.data[i * z.d + c] > z.data[i * z.d + best]) best = c;
    predicted[i] = best;
  }
  return { n, d: f.d, classes: z.d, features: f.data, logits: z.data, predicted };
}

/**
 * Global-average-pooled activation of each layer (stage numbers or names; default every stage
 * output, then the deep feature), for LID per layer as in Ma et al. (2018).
 */
export async function pooledStageFeatures(model: tf.LayersModel, x: Images, layers?: ReadonlyArray<number | string>, o: { batchSize?: number } = {}): Promise<PooledLayer[]> {
  const names = (layers ?? [...stageOutputs(model).values(), ...(model.layers.some((l) => l.name === FEATURE_LAYER) ? [FEATURE_LAYER] : [])]).map((l) => resolveLayer(model, l));
  if (names.length === 0) throw new Error(`Model ${model.name} has no stage outputs; name the layers to pool`);
  const outs = await batched(intermediateModel(model, names), x, batchOf(o), asRows);
  return outs.map((r, k) => ({ layer: names[k], d: r.d, data: r.data }));
}

// ---------------------------------------------------------------------------------------------
// Saved adversarial sets and their features on disk.

const FEATURE_FILES = ["features.npy", "labels.npy", "is_adv.npy", "predicted.npy"] as const;

/** Deep features of a set: 2n rows, clean images 0..n-1 then their adversarial versions n..2n-1. */
export interface SavedFeatures {
  readonly dir: string;
  /** Images in the set (rows = 2n). */
  readonly n: number;
  readonly d: number;
  /** 2n x d float32, row-major. */
  readonly features: Float32Array;
  /** True class of each row. */
  readonly labels: Int32Array;
  /** 1 for adversarial rows. */
  readonly isAdv: Uint8Array;
  /** The model's class for each row. */
  readonly predicted: Int32Array;
  readonly meta: FeatureMeta;
}

export interface FeatureMeta {
  readonly key: string;
  readonly task: string;
  readonly profile: string;
  readonly model: string;
  readonly attack: string;
  readonly eps: number;
  readonly layer: string;
  readonly n: number;
  readonly d: number;
  readonly ids: readonly string[];
  readonly classNames: readonly string[];
  readonly rows: string;
  readonly files: readonly string[];
}

/** Where the features of the adversarial set in `advDir` live (a subfolder: labels.npy would clash). */
export const featuresDir = (advDir: string): string => path.join(advDir, "features");

const featureFix = (dir: string) => `Recompute them: run notebooks/07-deep-features.ipynb or extractFeatures("${path.dirname(dir)}", model), after the adversarial set exists (notebook 03 / \`npm run mia -- attack\`)`;

/** Reads features written by extractFeatures; `dir` is the features folder or its adversarial set. */
export function readFeatureSet(dir: string): SavedFeatures {
  const d0 = fs.existsSync(path.join(dir, "features-meta.json")) || path.basename(dir) === "features" ? dir : featuresDir(dir);
  const fix = featureFix(d0);
  const meta = readJson(path.join(d0, "features-meta.json"), fix) as unknown as FeatureMeta;
  const [f, y, a, p] = FEATURE_FILES.map((name, k) => readArray(path.join(d0, name), (["float32", "int32", "uint8", "int32"] as const)[k], fix));
  const rows = f.shape[0];
  if (f.shape.length !== 2 || rows !== 2 * meta.n || f.shape[1] !== meta.d || [y, a, p].some((v) => v.shape.length !== 1 || v.shape[0] !== rows)) {
    throw new Error(`${d0}: the arrays disagree with features-meta.json (features [${f.shape}], labels [${y.shape}], is_adv [${a.shape}], predicted [${p.shape}], n ${meta.n}, d ${meta.d}). ${fix}`);
  }
  return { dir: d0, n: meta.n, d: meta.d, features: f.data as Float32Array, labels: y.data as Int32Array, isAdv: a.data as Uint8Array, predicted: p.data as Int32Array, meta };
}

/** A stable identity for a model's weights (when no savedAt is at hand). */
async function weightsKey(model: tf.LayersModel): Promise<string> {
  return (await new CacheKey({ v: 1 }).weights(model)).digest().slice(0, 16);
}

export interface ExtractOptions {
  readonly batchSize?: number;
  /** Identity of the model (e.g. loadTrained's savedAt); default: a hash of its weights. */
  readonly modelKey?: string;
  /** Recompute even when cached. */
  readonly force?: boolean;
}

/**
 * Deep features of the clean and adversarial images of the set in `advDir`, written as .npy to
 * `<advDir>/features/` and reused while the set (its meta.json) and the model are unchanged.
 */
export async function extractFeatures(advDir: string, model: tf.LayersModel, o: ExtractOptions = {}): Promise<SavedFeatures & { cached: boolean }> {
  const metaFile = path.join(advDir, "meta.json");
  const setMeta = readJson(metaFile, attackFix(advDir));
  // meta.json is written last and differs for every save (experiment key, or the CLI's timing), so it identifies the set.
  const setKey = createHash("sha256").update(fs.readFileSync(metaFile)).digest("hex").slice(0, 16);
  const key = createHash("sha256").update(JSON.stringify({ v: 1, setKey, model: o.modelKey ?? (await weightsKey(model)), layer: FEATURE_LAYER })).digest("hex").slice(0, 16);
  const out = featuresDir(advDir);
  if (!o.force) {
    try {
      const prior = readFeatureSet(out);
      if (prior.meta.key === key) return { ...prior, cached: true };
    } catch {
      // absent or damaged: recompute below
    }
  }
  const set = loadAdversarialSet(advDir);
  requireWritable(out, RESULTS_HINT);
  const n = set.labels.length;
  const clean = await deepFeatures(model, { data: set.clean, shape: set.shape }, o);
  const adv = await deepFeatures(model, { data: set.adversarial, shape: set.shape }, o);
  const d = clean.d;
  const features = new Float32Array(2 * n * d);
  features.set(clean.features);
  features.set(adv.features, n * d);
  const labels = new Int32Array(2 * n);
  labels.set(set.labels);
  labels.set(set.labels, n);
  const isAdv = new Uint8Array(2 * n).fill(1, n);
  const predicted = new Int32Array(2 * n);
  predicted.set(clean.predicted);
  predicted.set(adv.predicted, n);
  const s = (k: string) => (typeof setMeta[k] === "string" ? (setMeta[k] as string) : "");
  const meta: FeatureMeta = {
    key,
    task: s("task"),
    profile: s("profile"),
    model: s("model"),
    attack: s("attack"),
    eps: Number(setMeta.eps),
    layer: FEATURE_LAYER,
    n,
    d,
    ids: set.ids,
    classNames: Array.isArray(setMeta.classNames) ? (setMeta.classNames as string[]) : [],
    rows: "clean images 0..n-1, then their adversarial versions n..2n-1 (same order)",
    files: [...FEATURE_FILES],
  };
  fs.mkdirSync(out, { recursive: true });
  fs.rmSync(path.join(out, "features-meta.json"), { force: true });
  const files: Array<[string, Uint8Array]> = [
    ["features.npy", writeNpy({ dtype: "float32", shape: [2 * n, d], data: features })],
    ["labels.npy", writeNpy({ dtype: "int32", shape: [2 * n], data: labels })],
    ["is_adv.npy", writeNpy({ dtype: "uint8", shape: [2 * n], data: isAdv })],
    ["predicted.npy", writeNpy({ dtype: "int32", shape: [2 * n], data: predicted })],
    ["features-meta.json", new TextEncoder().encode(JSON.stringify(meta, null, 1))], // last: its presence means complete
  ];
  for (const [name, bytes] of files) writeFileAtomic(path.join(out, name), bytes, RESULTS_HINT);
  return { dir: out, n, d, features, labels, isAdv, predicted, meta, cached: false };
}

/** Features of a task's saved sets (one per attack at `eps`), with its trained model loaded once. */
export async function taskFeatures(
  task: string,
  o: {
    profile?: Profile | ProfileName;
    model?: string;
    attacks: readonly string[];
    eps?: number;
    batchSize?: number;
    force?: boolean;
    /** The task's trained model when the caller already loaded it (the caller disposes it then). */
    trained?: Pick<Awaited<ReturnType<typeof loadTrained>>, "model" | "key" | "savedAt">;
  },
): Promise<SavedFeatures[]> {
  const profile = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const { model, key, savedAt } = o.trained ?? (await loadTrained(task, { profile, model: o.model }));
  try {
    const out: SavedFeatures[] = [];
    for (const attack of o.attacks) {
      const dir = adversarialDir(resultsRoot(), { profile: profile.name, task, model: key.model, attack, eps: o.eps ?? 1 });
      if (!fs.existsSync(path.join(dir, "meta.json"))) {
        throw new Error(`No ${attack} adversarial set for '${task}' at eps ${o.eps ?? 1}/255 (${dir}). Run notebooks/03-attacks.ipynb, or: npm run mia -- attack --task ${task} --attack ${attack} --eps ${o.eps ?? 1} --profile ${profile.name}`);
      }
      out.push(await extractFeatures(dir, model, { batchSize: o.batchSize ?? profile.batchSize, modelKey: savedAt, force: o.force }));
    }
    return out;
  } finally {
    if (!o.trained) model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The paper's detector partition.

export interface FeaturePartition {
  /** Row indices into the feature set (each chosen image's clean row i and adversarial row n + i). */
  readonly advTrain: number[];
  readonly advTest: number[];
  /** Image indices (0..n-1) behind those rows. */
  readonly images: { readonly advTrain: number[]; readonly advTest: number[] };
  /** Images dropped: clean misclassified (and, with onlySuccessful, attacks that did not fool). */
  readonly dropped: number;
}

/**
 * AdvTrain / AdvTest as in the paper: images whose clean version the model classifies correctly,
 * split by advPartition (stratified by class, seeded), each image's clean and adversarial rows on
 * the same side so no pair straddles the split. Like the authors' (and Ma et al.'s LID) code, an
 * adversarial row is kept even if it failed to fool the model (at 1/255 nearly all do on medical
 * images); `onlySuccessful` keeps only pairs whose adversarial version is misclassified.
 * `groups` (one per image, e.g. patient) keeps groups on one side; default each image alone.
 */
export function featurePartition(set: Pick<SavedFeatures, "n" | "labels" | "predicted">, o: { trainFraction?: number; seed?: number; onlySuccessful?: boolean; groups?: readonly string[] } = {}): FeaturePartition {
  const { n, labels, predicted } = set;
  if (o.groups && o.groups.length !== n) throw new Error(`featurePartition: ${o.groups.length} groups for ${n} images`);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i] && (!o.onlySuccessful || predicted[n + i] !== labels[i])) keep.push(i);
  const groups = o.groups ?? Array.from({ length: n }, (_, i) => `img${i}`);
  const p = advPartition(keep, Array.from(labels.subarray(0, n)), groups, { trainFraction: o.trainFraction, seed: o.seed });
  const rows = (imgs: number[]) => [...imgs, ...imgs.map((i) => n + i)];
  return { advTrain: rows(p.advTrain), advTest: rows(p.advTest), images: p, dropped: n - keep.length };
}

/** Rows `idx` of an r x d matrix (for fitting a detector on one side of the partition). */
export function takeRows(x: Float32Array, d: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * d);
  idx.forEach((r, k) => out.set(x.subarray(r * d, (r + 1) * d), k * d));
  return out;
}
