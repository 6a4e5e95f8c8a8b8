/**
 * The detection experiment of notebook 06 and `mia detect` for one task: the deep features of the
 * eps = 1/255 adversarial sets (src/features), the paper's AdvTrain / AdvTest partition of the
 * correctly classified images, every detector fitted on AdvTrain and scored on AdvTest, repeated
 * over seeded splits, with bootstrap intervals; optionally the authors' leaky protocol beside it,
 * and the transfer matrix (fit on one attack, score every other).
 */
import type { tf } from "../backend/tf";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { featurePartition, taskFeatures, type SavedFeatures } from "../features/deep";
import { LOGITS_LAYER } from "../models/head";
import { loadTrained } from "../train/trainer";
import { rng } from "../data/split";
import { softmax } from "../train/metrics";
import { mcDropoutUncertainty, BayesianUncertaintyDetector } from "./bu";
import { DFeatDetector } from "./dfeat";
import { runProtocol, type ProtocolResult } from "./evaluate";
import { KernelDensityDetector } from "./kd";
import { LidDetector } from "./lid";
import { MahalanobisDetector } from "./mahalanobis";
import { QFeatDetector } from "./qfeat";
import { carveValidation, selectRows, type Detector, type FeatureSet } from "./types";
import { detectCacheKey, featureSetHash, readDetectCache, writeDetectCache } from "./cache";

/** The paper's four detectors, then the two beyond it. */
export const DETECTOR_NAMES = ["kd", "lid", "dfeat", "qfeat", "bu", "mahalanobis"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
export const PAPER_DETECTORS: readonly DetectorName[] = ["kd", "lid", "dfeat", "qfeat"];

/** Bandwidths KD chooses from on a validation split carved from AdvTrain (z-scored units). */
export const KD_BANDWIDTHS = [0.25, 0.5, 1, 2, 4, 8] as const;

export function checkDetector(name: string): DetectorName {
  const n = name.toLowerCase() as DetectorName;
  if (!DETECTOR_NAMES.includes(n)) throw new Error(`Unknown detector '${name}'. Detectors: ${DETECTOR_NAMES.join(", ")}.`);
  return n;
}

/**
 * A fresh detector with the paper's settings. KD's bandwidth is chosen on a validation split of
 * the training rows only (Feinman et al. tuned it per dataset), so nothing is read from AdvTest.
 */
export function makeDetector(name: string, train: FeatureSet, seed = 0): Detector {
  switch (checkDetector(name)) {
    case "kd": {
      const { fit, val } = carveValidation(train, 0.2, seed);
      // Too few clean rows per class to tune on: keep the authors' bandwidth (1.0).
      if (minCleanPerClass(fit) < 3 || !val.isAdv?.includes(0) || !val.isAdv?.includes(1)) return new KernelDensityDetector();
      const { bandwidth } = KernelDensityDetector.selectBandwidth(KD_BANDWIDTHS, fit, val);
      return new KernelDensityDetector({ bandwidth });
    }
    case "lid":
      return new LidDetector({ seed });
    case "dfeat":
      return new DFeatDetector({ seed });
    case "qfeat":
      return new QFeatDetector();
    case "bu":
      return new BayesianUncertaintyDetector();
    case "mahalanobis":
      return new MahalanobisDetector();
  }
}

function minCleanPerClass(set: FeatureSet): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < set.n; i++) if (set.isAdv![i] === 0) counts.set(set.labels![i], (counts.get(set.labels![i]) ?? 0) + 1);
  return counts.size === 0 ? 0 : Math.min(...counts.values());
}

/**
 * MC-dropout uncertainty (BU) from the 128-d features: in the paper's head the only dropout sits
 * between the feature layer and the logits, so T passes with dropout on are T random masks of the
 * features through the logits layer, exactly as model(x, training: true) would compute them.
 */
export async function mcDropoutFromFeatures(model: tf.LayersModel, features: Float32Array, n: number, o: { passes?: number; rate?: number; seed?: number } = {}): Promise<Float64Array> {
  const passes = o.passes ?? 50;
  const rate = o.rate ?? 0.2;
  const [w, b] = (await Promise.all(model.getLayer(LOGITS_LAYER).getWeights().map((t) => t.data()))) as Float32Array[];
  const d = features.length / n;
  const classes = b.length;
  if (w.length !== d * classes) throw new Error(`mcDropoutFromFeatures: the logits layer takes ${w.length / classes} features, got ${d}`);
  const r = rng(o.seed ?? 0);
  const probs: Float32Array[] = [];
  const keep = 1 / (1 - rate);
  for (let t = 0; t < passes; t++) {
    const z = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) {
      z.set(b, i * classes);
      for (let j = 0; j < d; j++) {
        if (r() < rate) continue;
        const f = features[i * d + j] * keep;
        for (let c = 0; c < classes; c++) z[i * classes + c] += f * w[j * classes + c];
      }
    }
    probs.push(softmax(z, classes));
  }
  return mcDropoutUncertainty(probs, n, classes);
}

/** A saved feature set (clean rows, then adversarial rows) as the detectors' input; groups = source image. */
export function detectorSet(saved: SavedFeatures, uncertainty?: Float64Array): FeatureSet {
  const rows = 2 * saved.n;
  return {
    x: saved.features,
    n: rows,
    d: saved.d,
    labels: saved.labels,
    predicted: saved.predicted,
    isAdv: saved.isAdv,
    groups: Int32Array.from({ length: rows }, (_, i) => i % saved.n),
    uncertainty,
  };
}

export interface DetectOptions {
  readonly profile?: Profile | ProfileName;
  readonly model?: string;
  readonly attacks?: readonly string[];
  readonly detectors?: readonly string[];
  readonly eps?: number;
  /** Seeded AdvTrain / AdvTest splits averaged (default: the profile's). */
  readonly repeats?: number;
  readonly bootstrap?: number;
  /** Also run the authors' main leak on the first split: the detector's unsupervised statistics (KDEs,
   *  scalers, LID minibatches) fitted on the scored rows too. */
  readonly leaky?: boolean;
  readonly seed?: number;
  readonly onRow?: (row: DetectRow) => void;
  /** Reuse results cached for the same inputs, settings and code (default true; src/detect/cache.ts). */
  readonly cache?: boolean;
}

export interface DetectRow {
  readonly task: string;
  readonly attack: string;
  readonly detector: string;
  /** Mean AUC over the repeats, and the mean of their bootstrap 95% bounds. */
  readonly auc: number;
  readonly lo: number;
  readonly hi: number;
  readonly aucs: readonly number[];
  readonly leakyAuc?: number;
  /** Why the leaky run could not be made (then leakyAuc is NaN). */
  readonly leakyError?: string;
  readonly trainRows: number;
  readonly testRows: number;
  /** The first split's AdvTest scores (for ROC curves). */
  readonly scores: Float64Array;
  readonly isAdv: Uint8Array;
  readonly seconds: number;
  /** Why the detector could not be fitted on this set (then the AUCs are NaN). */
  readonly error?: string;
  /** Read from the cache (its `seconds` are those of the run that computed it). */
  readonly cached?: boolean;
}

/** A row as the cache keeps it: NaN as null (JSON has no NaN), typed arrays as arrays. */
type CachedRow = Omit<DetectRow, "task" | "attack" | "scores" | "isAdv" | "cached" | "auc" | "lo" | "hi" | "aucs" | "leakyAuc"> & { auc: number | null; lo: number | null; hi: number | null; aucs: readonly (number | null)[]; leakyAuc?: number | null; scores: number[]; isAdv: number[] };
const nan = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);
const toCached = ({ task: _t, attack: _a, cached: _c, scores, isAdv, ...r }: DetectRow): CachedRow => ({ ...r, scores: Array.from(scores), isAdv: Array.from(isAdv) });
const fromCached = ({ leakyAuc, ...c }: CachedRow, task: string, attack: string): DetectRow => ({
  ...c,
  task,
  attack,
  auc: nan(c.auc),
  lo: nan(c.lo),
  hi: nan(c.hi),
  aucs: c.aucs.map(nan),
  ...(leakyAuc === undefined ? {} : { leakyAuc: nan(leakyAuc) }),
  scores: Float64Array.from(c.scores),
  isAdv: Uint8Array.from(c.isAdv),
  cached: true,
});

export interface TaskDetection {
  readonly task: string;
  readonly rows: DetectRow[];
  /**
   * Per attack, the detector sets and the first split's partition (for transfer experiments),
   * and every averaged split's AdvTrain / AdvTest row indices into the set (clean rows 0..n-1,
   * then adversarial rows n..2n-1, as in features.npy).
   */
  readonly sets: Record<string, { set: FeatureSet; train: number[]; test: number[]; splits: ReadonlyArray<{ train: number[]; test: number[] }>; featuresDir: string }>;
  /** The trained model's name (its run and results folders). */
  readonly model: string;
}

export async function detectTask(task: string, o: DetectOptions = {}): Promise<TaskDetection> {
  const profile = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const detectors = (o.detectors ?? DETECTOR_NAMES).map(checkDetector);
  const repeats = o.repeats ?? profile.detect.repeats;
  const reps = o.bootstrap ?? profile.detect.bootstrap;
  const seed = o.seed ?? 0;
  // One load of the trained model: its features, and BU's dropout passes through its head.
  const trained = await loadTrained(task, { profile, model: o.model });
  const { model } = trained;
  const rows: DetectRow[] = [];
  const sets: TaskDetection["sets"] = {};
  try {
    const saved = await taskFeatures(task, { profile, attacks: o.attacks ?? ["fgsm", "bim", "pgd", "cw"], eps: o.eps ?? 1, trained });
    for (const s of saved) {
      const set = detectorSet(s, detectors.includes("bu") ? await mcDropoutFromFeatures(model, s.features, 2 * s.n, { seed }) : undefined);
      const splits = Array.from({ length: repeats }, (_, r) => {
        const p = featurePartition(s, { trainFraction: profile.detect.trainFraction, seed: seed + r });
        return { train: p.advTrain, test: p.advTest };
      });
      sets[s.meta.attack] = { set, ...splits[0], splits, featuresDir: s.dir };
      const setHash = o.cache === false ? undefined : featureSetHash(set);
      for (const name of detectors) {
        const t0 = Date.now();
        const key = setHash === undefined ? undefined : detectCacheKey(setHash, { detector: name, repeats, reps, seed, trainFraction: profile.detect.trainFraction, leaky: o.leaky === true });
        const hit = key === undefined ? undefined : readDetectCache<CachedRow>(key);
        if (hit) {
          const row = fromCached(hit, task, s.meta.attack);
          rows.push(row);
          o.onRow?.(row);
          continue;
        }
        const results: ProtocolResult[] = [];
        let leakyAuc: number | undefined;
        let leakyError: string | undefined;
        try {
          splits.forEach(({ train, test }, r) => {
            const [tr, te] = [selectRows(set, train), selectRows(set, test)];
            results.push(runProtocol(() => makeDetector(name, tr, seed + r), tr, te, { bootstrap: { reps, seed: seed + r }, seed: seed + r }));
            if (o.leaky && r === 0) {
              // The authors' per-minibatch LID on AdvTest needs more clean test rows than a small
              // set has; then only the leaky number is missing.
              try {
                leakyAuc = runProtocol(() => makeDetector(name, tr, seed), tr, te, { leaky: true, bootstrap: { reps: 1 }, seed }).auc;
              } catch (e) {
                leakyAuc = NaN;
                leakyError = e instanceof Error ? e.message : String(e);
              }
            }
          });
        } catch (e) {
          // One detector that cannot be fitted (e.g. too few clean rows of a class) must not
          // throw away the others: its row says why.
          const row: DetectRow = { task, attack: s.meta.attack, detector: name, auc: NaN, lo: NaN, hi: NaN, aucs: [], trainRows: splits[0].train.length, testRows: splits[0].test.length, scores: new Float64Array(0), isAdv: new Uint8Array(0), seconds: (Date.now() - t0) / 1000, error: e instanceof Error ? e.message : String(e) };
          if (key !== undefined) writeDetectCache(key, toCached(row));
          rows.push(row);
          o.onRow?.(row);
          continue;
        }
        const mean = (f: (p: ProtocolResult) => number) => results.reduce((a, p) => a + f(p), 0) / results.length;
        const row: DetectRow = {
          task,
          attack: s.meta.attack,
          detector: name,
          auc: mean((p) => p.auc),
          lo: mean((p) => p.lo),
          hi: mean((p) => p.hi),
          aucs: results.map((p) => p.auc),
          leakyAuc,
          leakyError,
          trainRows: splits[0].train.length,
          testRows: splits[0].test.length,
          scores: results[0].scores,
          isAdv: results[0].isAdv,
          seconds: (Date.now() - t0) / 1000,
        };
        if (key !== undefined) writeDetectCache(key, toCached(row));
        rows.push(row);
        o.onRow?.(row);
      }
    }
    return { task, model: trained.key.model, rows, sets };
  } finally {
    model.dispose();
  }
}

/**
 * Detector transferability: fitted on AdvTrain of attack `from`, scored on AdvTest of every
 * attack (the first split; the images are the same across attacks, so AdvTest never overlaps
 * the images the detector was fitted on).
 */
export function transferMatrix(det: TaskDetection, detector: string, from: readonly string[], seed = 0): Array<{ from: string; to: string; auc: number; error?: string }> {
  const out: Array<{ from: string; to: string; auc: number; error?: string }> = [];
  for (const a of from) {
    const src = det.sets[a];
    if (!src) throw new Error(`transferMatrix: no features for attack '${a}' (have ${Object.keys(det.sets).join(", ")})`);
    const train = selectRows(src.set, src.train);
    for (const [b, dst] of Object.entries(det.sets)) {
      try {
        const r = runProtocol(() => makeDetector(detector, train, seed), train, selectRows(dst.set, dst.test), { bootstrap: { reps: 1 }, seed });
        out.push({ from: a, to: b, auc: r.auc });
      } catch (e) {
        out.push({ from: a, to: b, auc: NaN, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  return out;
}
