/**
 * loadTask: from a task name to decoded, split, labelled pixels.
 *   scan -> label -> merge duplicate groups -> split -> per-class subset -> decode (cached).
 * Pixels are uint8 NHWC; toTensors() gives floats in [0, 1], so eps = k/255 is exactly k grey levels.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import { writeFileAtomic } from "../config/io";
import { progress, type Progress } from "../ui/progress";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { CIFAR_RECORD } from "./cifar-binary";
import { CACHE_FORMAT, cachePaths, readCache, writeCache } from "./cache";
import { decodeImages, type Channels } from "./decode";
import { resolveTaskSource, type TaskSource } from "./resolve";
import { cacheRoot } from "./root";
import type { SourceItem } from "./sources";
import { groupStratifiedSplit, limitPerClass, mergeDuplicateGroups } from "./split";
import { type TaskSpec, resolveTask } from "./tasks";

export const SPLIT_NAMES = ["train", "val", "test"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Fractions for datasets without an official split (patient/lesion-disjoint). */
export const GROUP_SPLIT = { train: 0.7, val: 0.1, test: 0.2 } as const;
/** Share of an official train split held out as validation (group-disjoint). */
export const VAL_FROM_TRAIN = 0.1;

export interface LoadOptions {
  /** Sizes and subsets come from the profile (default: MIA_PROFILE, else cpu). */
  readonly profile?: Profile | ProfileName;
  readonly size?: number;
  readonly channels?: Channels;
  /** Which splits to decode (default all three). */
  readonly splits?: readonly SplitName[];
  /** At most this many images per class, per split; null = all. Default from the profile. */
  readonly perClass?: Partial<Record<SplitName, number | null>>;
  /** The task's dataset folder: a user's own copy with the same layout. */
  readonly dir?: string;
  readonly seed?: number;
  /** Fail on the first unreadable image instead of skipping it. */
  readonly strict?: boolean;
  /** Leave out CSV rows without images and images without rows (instead of an error). */
  readonly allowMissing?: boolean;
  readonly cache?: boolean;
  /** Called as images decode; default prints a line every few seconds for long decodes. */
  readonly onProgress?: (split: SplitName, done: number, total: number) => void;
  readonly quiet?: boolean;
}

export interface SplitData {
  readonly name: SplitName;
  readonly n: number;
  /** n x size x size x channels, uint8, NHWC. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly ids: readonly string[];
  readonly groups: readonly string[];
  /** Images in [0, 1] as float32 [n, size, size, channels] and int32 labels; the caller disposes. */
  toTensors(indices?: readonly number[]): { x: tf.Tensor4D; y: tf.Tensor1D };
}

export interface TaskData {
  readonly task: TaskSpec;
  readonly classNames: readonly string[];
  readonly size: number;
  readonly channels: Channels;
  readonly dir: string;
  /** Which data was read: the raw set, a MedMNIST+ file or CIFAR-10's binary batches. */
  readonly source: TaskSource;
  readonly splits: Partial<Record<SplitName, SplitData>>;
  /** Images of the task's classes before subsetting, per split and class. */
  readonly available: Record<SplitName, number[]>;
  /** Images that could not be decoded (skipped) with the reason. */
  readonly skipped: ReadonlyArray<{ id: string; reason: string }>;
  /** Items of the dataset that are not in this task's classes. */
  readonly excluded: number;
  /** Byte-identical duplicate images found (kept within one split). */
  readonly duplicates: number;
  /** Training copies of images also in the official test split, dropped. */
  readonly droppedTrainTestDuplicates: number;
  readonly fromCache: Partial<Record<SplitName, boolean>>;
}

function makeSplit(name: SplitName, pixels: Uint8Array, labels: Int32Array, ids: string[], groups: string[], size: number, channels: number): SplitData {
  const per = size * size * channels;
  return {
    name,
    n: labels.length,
    pixels,
    labels,
    ids,
    groups,
    toTensors(indices) {
      const idx = indices ?? Array.from(labels, (_, i) => i);
      const x = new Float32Array(idx.length * per);
      idx.forEach((i, k) => {
        if (!(i >= 0 && i < labels.length)) throw new RangeError(`index ${i} outside 0..${labels.length - 1}`);
        for (let j = 0, src = i * per, dst = k * per; j < per; j++) x[dst + j] = pixels[src + j] / 255;
      });
      return {
        x: tf.tensor4d(x, [idx.length, size, size, channels]),
        y: tf.tensor1d(Int32Array.from(idx, (i) => labels[i]), "int32"),
      };
    },
  };
}

/**
 * What identifies each item's bytes on disk without reading them: size and modification time of
 * its file (for .npz rows and CIFAR-10 records, of the file that holds them). An image changed in
 * place gets a new stamp, so nothing cached from its old bytes is served.
 */
function contentStamps(items: readonly SourceItem[]): string[] {
  const stats = new Map<string, string>();
  const stamp = (f: string): string => {
    let s = stats.get(f);
    if (s === undefined) {
      const st = fs.statSync(f);
      stats.set(f, (s = `${st.size}|${st.mtimeMs}`));
    }
    return s;
  };
  return items.map((it) => stamp(it.image.kind === "file" ? it.image.path : it.image.file));
}

/** Content hashes of file images (and CIFAR-10 binary records), cached by (path, size, mtime) so they are read once. */
function contentHashes(items: readonly SourceItem[], datasetKey: string, itemStamps: readonly string[]): string[] {
  const stamps = items.map((it, i) => `${it.id}|${itemStamps[i]}`);
  const fp = createHash("sha256").update(stamps.join("\n")).digest("hex").slice(0, 16);
  const file = path.join(cacheRoot(), datasetKey, `hashes-${fp}.json`);
  try {
    const cached = JSON.parse(fs.readFileSync(file, "utf8")) as string[];
    if (cached.length === items.length) return cached;
  } catch {
    /* not cached yet */
  }
  const batches = new Map<string, Buffer>();
  const hashes = items.map((it) => {
    const ref = it.image;
    if (ref.kind === "file") return createHash("sha1").update(fs.readFileSync(ref.path)).digest("hex");
    if (ref.kind === "npz") return `npz:${it.id}`;
    // CIFAR-10 binary: the record's pixels, so byte-identical images (train copies of test images) are found.
    let b = batches.get(ref.file);
    if (b === undefined) batches.set(ref.file, (b = fs.readFileSync(ref.file)));
    const start = ref.index * CIFAR_RECORD + 1;
    return createHash("sha1").update(b.subarray(start, start + CIFAR_RECORD - 1)).digest("hex");
  });
  try {
    writeFileAtomic(file, JSON.stringify(hashes));
  } catch {
    /* a read-only cache folder only costs time */
  }
  return hashes;
}

/** Progress per split for decodes worth watching (200+ images), in place in notebooks. */
function progressPrinter(task: string, quiet: boolean): (split: SplitName, done: number, total: number) => void {
  const bars = new Map<SplitName, Progress>();
  return (split, done, total) => {
    if (quiet || total < 200) return;
    let bar = bars.get(split);
    if (!bar) bars.set(split, (bar = progress(total, `decoding ${task}/${split}`)));
    if (done >= total) bar.finish();
    else bar.update(done);
  };
}

/** Everything about a task's images except their pixels: which exist, their labels, groups and splits. */
export interface TaskPlan {
  readonly task: TaskSpec;
  readonly classNames: readonly string[];
  readonly dir: string;
  /** Which data the plan reads (raw, MedMNIST+ or CIFAR-10 binary). */
  readonly source: TaskSource;
  /** The splitting used: a substitute keeps its file's own train/val/test. */
  readonly splitting: TaskSpec["splitting"];
  /** Cache folder name; differs between sources. */
  readonly datasetKey: string;
  /** Identifies the source in cache entry keys. */
  readonly cacheSource: string;
  /** The task's items (only those in its classes), their labels, groups and split (null: dropped). */
  readonly items: readonly SourceItem[];
  /** Per item, the size and mtime of the file holding it: part of the decode cache's key. */
  readonly stamps: readonly string[];
  readonly labels: readonly number[];
  readonly groups: readonly string[];
  readonly assigned: ReadonlyArray<SplitName | null>;
  readonly available: Record<SplitName, number[]>;
  readonly excluded: number;
  readonly duplicates: number;
  readonly droppedTrainTestDuplicates: number;
}

/**
 * `size` (default: the profile's image size) only chooses among MedMNIST+ files when the raw
 * dataset is absent; `plan.source` says which data was found.
 */
export function planTask(nameOrSpec: string | TaskSpec, options: Pick<LoadOptions, "dir" | "seed" | "allowMissing" | "size" | "profile"> = {}): TaskPlan {
  const task = resolveTask(nameOrSpec);
  const seed = options.seed ?? 0;
  const resolved = resolveTaskSource(task, { dir: options.dir, size: options.size, profile: options.profile });
  const { source, datasetKey, cacheSource, splitting } = resolved;
  const dir = source.dir;
  const all = resolved.scan({ allowMissing: options.allowMissing });
  const classNames = task.classNames(all);
  const items: SourceItem[] = [];
  const labels: number[] = [];
  for (const it of all) {
    const name = task.labelOf(it);
    const label = name === null ? -1 : classNames.indexOf(name);
    if (label >= 0) {
      items.push(it);
      labels.push(label);
    }
  }
  if (items.length === 0) throw new Error(`Task ${task.name}: no image in ${source.file ?? dir} belongs to its classes (${classNames.join(", ")}).`);

  // Byte-identical duplicates share a group, so they land in one split.
  const stamps = contentStamps(items);
  const hashes = contentHashes(items, datasetKey, stamps);
  const groups = mergeDuplicateGroups(items.map((it) => it.group), hashes);

  let assigned: (SplitName | null)[];
  let droppedTrainTestDuplicates = 0;
  if (splitting === "official") {
    const testHashes = new Set(hashes.filter((_, i) => items[i].official === "test"));
    const official = (it: SourceItem) => (resolved.mergeOfficialVal && it.official === "val" ? "train" : it.official);
    assigned = items.map((it, i) => {
      if (it.official === undefined) throw new Error(`Task ${task.name} uses the official split, but ${it.id} is in no train/test folder.`);
      if (it.official !== "test" && testHashes.has(hashes[i])) {
        droppedTrainTestDuplicates++;
        return null; // a training copy of a test image would leak the test set
      }
      return official(it) ?? null;
    });
    if (!items.some((it) => official(it) === "val")) {
      const trainIdx = assigned.flatMap((s, i) => (s === "train" ? [i] : []));
      const sub = groupStratifiedSplit(trainIdx.map((i) => labels[i]), trainIdx.map((i) => groups[i]), { train: 1 - VAL_FROM_TRAIN, val: VAL_FROM_TRAIN }, seed);
      trainIdx.forEach((i, k) => (assigned[i] = sub[k] as SplitName));
    }
  } else {
    assigned = groupStratifiedSplit(labels, groups, GROUP_SPLIT, seed) as SplitName[];
  }
  const available = Object.fromEntries(SPLIT_NAMES.map((s) => [s, classNames.map(() => 0)])) as Record<SplitName, number[]>;
  assigned.forEach((s, i) => {
    if (s) available[s][labels[i]]++;
  });
  return {
    task, classNames, dir, source, splitting, datasetKey, cacheSource, items, stamps, labels, groups, assigned, available,
    excluded: all.length - items.length,
    duplicates: hashes.length - new Set(hashes).size,
    droppedTrainTestDuplicates,
  };
}

export async function loadTask(nameOrSpec: string | TaskSpec, options: LoadOptions = {}): Promise<TaskData> {
  const profile = typeof options.profile === "object" ? options.profile : resolveProfile(options.profile);
  const wanted = options.splits ?? SPLIT_NAMES;
  for (const s of wanted) if (!SPLIT_NAMES.includes(s)) throw new Error(`Unknown split '${s}': use ${SPLIT_NAMES.join(", ")}.`);
  const size = options.size ?? profile.imageSize;
  const plan = planTask(nameOrSpec, { ...options, size, profile });
  const { task, classNames, items, labels, groups, assigned, dir, source, cacheSource } = plan;
  const channels = options.channels ?? task.channels;
  const seed = options.seed ?? 0;

  const limits: Record<SplitName, number | null> = {
    train: profile.trainPerClass,
    val: profile.testPerClass,
    test: profile.testPerClass,
    ...options.perClass,
  };
  const progress = options.onProgress ?? progressPrinter(task.name, options.quiet ?? false);
  const splits: Partial<Record<SplitName, SplitData>> = {};
  const fromCache: Partial<Record<SplitName, boolean>> = {};
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const split of wanted) {
    const idx = assigned.flatMap((s, i) => (s === split ? [i] : []));
    const chosen = limitPerClass(idx, labels, limits[split], seed + SPLIT_NAMES.indexOf(split) + 1).sort((a, b) => (items[a].id < items[b].id ? -1 : 1));
    const ids = chosen.map((i) => items[i].id);
    const paths = cachePaths(cacheRoot(), { dataset: plan.datasetKey, split, size, channels, source: cacheSource, ids, stamps: chosen.map((i) => plan.stamps[i]) });
    let entry = options.cache === false ? undefined : readCache(paths, ids);
    fromCache[split] = entry !== undefined;
    if (entry !== undefined && options.strict && entry.meta.errors.length > 0) {
      // The cached entry remembers which images failed to decode: strict refuses them as a fresh decode would.
      const e = entry.meta.errors[0];
      throw new Error(`Cannot decode ${e.reason} (strict mode, remembered by the decode cache${entry.meta.errors.length > 1 ? `; ${entry.meta.errors.length - 1} more unreadable image(s) in ${split}` : ""}; without strict, unreadable images are skipped and reported).`);
    }
    if (entry === undefined) {
      const res = await decodeImages(chosen.map((i) => items[i].image), { size, channels, strict: options.strict, onProgress: (d, t) => progress(split, d, t) });
      entry = { meta: { format: CACHE_FORMAT, dataset: plan.datasetKey, split, size, channels, n: ids.length, ids, ok: res.ok, errors: res.errors, source: cacheSource }, pixels: res.pixels };
      if (options.cache !== false) {
        try {
          writeCache(paths, entry);
        } catch (err) {
          if (!options.quiet) console.warn(`[data] could not write the cache (${(err as Error).message}); continuing without it.`);
        }
      }
    }
    const { ok, errors } = entry.meta;
    for (const e of errors) skipped.push({ id: ids[e.index], reason: e.reason });
    const keep = chosen.map((_, k) => k).filter((k) => ok[k]);
    const per = size * size * channels;
    let pixels = entry.pixels;
    if (keep.length !== chosen.length) {
      pixels = new Uint8Array(keep.length * per);
      keep.forEach((k, j) => pixels.set(entry!.pixels.subarray(k * per, (k + 1) * per), j * per));
    }
    splits[split] = makeSplit(
      split,
      pixels,
      Int32Array.from(keep, (k) => labels[chosen[k]]),
      keep.map((k) => ids[k]),
      keep.map((k) => groups[chosen[k]]),
      size,
      channels,
    );
  }
  if (skipped.length > 0 && !options.quiet) {
    console.warn(`[data] ${task.name}: skipped ${skipped.length} unreadable image(s), e.g. ${skipped[0].id}: ${skipped[0].reason}`);
  }
  const { excluded, duplicates, droppedTrainTestDuplicates, available } = plan;
  return { task, classNames, size, channels, dir, source, splits, available, skipped, excluded, duplicates, droppedTrainTestDuplicates, fromCache };
}

/** A split that cannot give a metric: no images at all, or classes without an image. */
export interface SplitGap {
  readonly split: SplitName;
  readonly n: number;
  /** Classes with no image in the split. */
  readonly missing: readonly string[];
}

/**
 * The splits (among `splits`) that lack images or classes: from the loaded images when the split
 * is loaded (after subsetting and skipped files), else from the plan's counts.
 */
export function splitGaps(data: Pick<TaskData, "classNames" | "available"> & { splits?: TaskData["splits"] }, splits: readonly SplitName[] = SPLIT_NAMES): SplitGap[] {
  const gaps: SplitGap[] = [];
  for (const s of splits) {
    const loaded = data.splits?.[s];
    const counts = loaded ? data.classNames.map((_, k) => loaded.labels.filter((l) => l === k).length) : data.available[s];
    const n = counts.reduce((a, b) => a + b, 0);
    const missing = data.classNames.filter((_, k) => counts[k] === 0);
    if (missing.length > 0) gaps.push({ split: s, n, missing });
  }
  return gaps;
}

/** One sentence per gap, e.g. "the test split has no images" / "the val split has no image of 'mel'". */
export function describeGaps(gaps: readonly SplitGap[]): string {
  return gaps
    .map((g) => (g.n === 0 ? `the ${g.split} split has no images` : `the ${g.split} split has no image of ${g.missing.map((c) => `'${c}'`).join(", ")} (${g.n} image${g.n === 1 ? "" : "s"} of the other classes)`))
    .join("; ");
}

/**
 * Refuses data whose splits cannot train or score a model: every class needs images in train
 * (to be learnt), val (early stopping on its AUC) and test (its AUC is otherwise undefined, and
 * an accuracy over no images is NaN).
 */
export function requireEveryClass(data: Pick<TaskData, "classNames" | "available" | "task"> & { splits?: TaskData["splits"] }, splits: readonly SplitName[] = SPLIT_NAMES, what = "train or evaluate a model"): void {
  const gaps = splitGaps(data, splits);
  if (gaps.length === 0) return;
  // Classes with no image in any split of the dataset: most likely a --classes name that is not a label.
  const nowhere = data.classNames.filter((_, k) => SPLIT_NAMES.every((s) => data.available[s][k] === 0));
  throw new Error(
    `Task ${data.task.name} cannot ${what}: ${describeGaps(gaps)}. ` +
      (nowhere.length > 0 ? `${nowhere.map((c) => `'${c}'`).join(", ")} ha${nowhere.length > 1 ? "ve" : "s"} no image in the whole dataset: check the class names (--classes) against its labels (mia data --task ...). ` : "") +
      `Every class needs images in every split. ` +
      `Add images (an official split comes from train/ and test/ folders: check both hold every class), remove the split folders so a seeded group split is made, ` +
      `raise the per-class limits of the profile, or name fewer classes (--classes).`,
  );
}

/** Class counts per loaded split, as rows (for tables and bar charts). */
export function classCounts(data: TaskData): Array<{ split: SplitName; class: string; count: number }> {
  const rows: Array<{ split: SplitName; class: string; count: number }> = [];
  for (const s of SPLIT_NAMES) {
    const sd = data.splits[s];
    if (!sd) continue;
    const counts = data.classNames.map(() => 0);
    for (const l of sd.labels) counts[l]++;
    data.classNames.forEach((c, k) => rows.push({ split: s, class: c, count: counts[k] }));
  }
  return rows;
}

export interface PlanSummary {
  readonly task: string;
  readonly dataset: string;
  readonly classes: string;
  readonly train: number;
  readonly val: number;
  readonly test: number;
  /** Distinct groups (patients, lesions, or images where there is no grouping). */
  readonly groups: number;
  readonly duplicates: number;
  /** Groups found in more than one split: 0 means no patient/lesion/duplicate leaks across splits. */
  readonly groupsInSeveralSplits: number;
}

/** One row per task for tables: sizes per split, groups, duplicates and a leakage check. */
export function summarizePlan(plan: TaskPlan): PlanSummary {
  const splitsOf = new Map<string, Set<SplitName>>();
  plan.assigned.forEach((s, i) => {
    if (s === null) return;
    const set = splitsOf.get(plan.groups[i]) ?? new Set<SplitName>();
    set.add(s);
    splitsOf.set(plan.groups[i], set);
  });
  const n = (s: SplitName) => plan.available[s].reduce((a, b) => a + b, 0);
  return {
    task: plan.task.name,
    dataset: plan.task.dataset,
    classes: plan.classNames.join(" / "),
    train: n("train"),
    val: n("val"),
    test: n("test"),
    groups: splitsOf.size,
    duplicates: plan.duplicates,
    groupsInSeveralSplits: [...splitsOf.values()].filter((s) => s.size > 1).length,
  };
}
