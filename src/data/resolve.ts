/**
 * Which data a task reads. The raw dataset (Kermany JPEGs, HAM10000, EyePACS, CIFAR-10 as an
 * image folder) wins wherever it is; otherwise a substitute in the same data roots:
 *   cifar10, cifar2      -> CIFAR-10's official binary batches (cifar10/cifar-10-batches-bin/)
 *   cxr                  -> medmnist/pneumoniamnist_<size>.npz
 *   derm, derm-2..7      -> medmnist/dermamnist_<size>.npz
 *   dr, dr5, retinamnist -> medmnist/retinamnist_<size>.npz (DeepDRiD, not EyePACS)
 * MedMNIST+ size: the smallest available >= the requested image size, else the largest.
 * Substitutes keep their files' own train/val/test. Nothing found: an error listing what is
 * missing, every place looked, and how to get it.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { CIFAR_BINARY_DIR, findCifarBinaryDir, scanCifarBinary } from "./cifar-binary";
import { scanMedmnist } from "./medmnist";
import { DATASET_LAYOUTS, dataRootCandidates, findDataset, type DatasetId, type RootCandidate } from "./root";
import type { SourceItem } from "./sources";
import { type ScanOptions, type TaskSpec, resolveTask } from "./tasks";

export type SourceKind = "raw" | "medmnist" | "cifar-binary";

/** Where a task's images come from, for reports ("which source did this notebook use?"). */
export interface TaskSource {
  readonly kind: SourceKind;
  /** The dataset folder (raw), the medmnist/ folder, or cifar-10-batches-bin/. */
  readonly dir: string;
  /** The file read, where the source is one file (.npz). */
  readonly file?: string;
  /** One human phrase: what the data is. */
  readonly description: string;
  /** MedMNIST+ side in pixels (medmnist sources). */
  readonly size?: number;
}

export interface ResolveOptions {
  /** The task's dataset folder (or a data root holding it): a user's own copy; bypasses the search. */
  readonly dir?: string;
  /** The image size that will be requested (chooses the MedMNIST+ file); default: the profile's. */
  readonly size?: number;
  readonly profile?: Profile | ProfileName;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ResolvedSource {
  readonly source: TaskSource;
  readonly scan: (o: ScanOptions) => SourceItem[];
  readonly splitting: TaskSpec["splitting"];
  readonly mergeOfficialVal: boolean;
  /** Names the cache folder; differs between sources (raw keys are as before this file existed). */
  readonly datasetKey: string;
  /** Identifies the source in each cache entry's key. */
  readonly cacheSource: string;
}

/** The MedMNIST+ sizes on Zenodo (record 10519652); `<flag>.npz` is MedMNIST v2's 28x28. */
export const MEDMNIST_SIZES = [64, 128, 224] as const;
const MEDMNIST_V2_SIZE = 28;

const RAW_DESCRIPTIONS: Record<DatasetId, string> = {
  "chest-xray-pneumonia": "Kermany chest X-rays (raw JPEGs)",
  "eyepacs-dr": "Kaggle EyePACS fundus photographs (raw JPEGs)",
  ham10000: "HAM10000 dermoscopy (raw JPEGs)",
  cifar10: "CIFAR-10 (image folder)",
  medmnist: "MedMNIST v2 .npz",
};

/** Folders that are not a dataset's own images (a substitute, or another dataset in a data root passed as `dir`). */
const NOT_RAW = new Set<string>([CIFAR_BINARY_DIR, "cache", "models", "results", ...Object.keys(DATASET_LAYOUTS)]);
const isDir = (d: string): boolean => fs.existsSync(d) && fs.statSync(d).isDirectory();
const hasDataDirs = (d: string): boolean => fs.readdirSync(d, { withFileTypes: true }).some((e) => e.isDirectory() && !e.name.startsWith(".") && !NOT_RAW.has(e.name));

/** Whether `dir` holds the task's raw data (not just a substitute, a download in progress or an empty folder). */
function rawPresent(task: TaskSpec, dir: string): boolean {
  if (!isDir(dir)) return false;
  if (task.rawFile) return fs.existsSync(path.join(dir, task.rawFile));
  switch (task.dataset as DatasetId) {
    case "eyepacs-dr":
      return fs.existsSync(path.join(dir, "trainLabels.csv"));
    case "ham10000":
      return fs.existsSync(path.join(dir, "HAM10000_metadata.csv"));
    case "chest-xray-pneumonia":
    case "cifar10":
      return hasDataDirs(dir);
    default:
      return true;
  }
}

/** MedMNIST+ side to use: the smallest available >= requested, else the largest. */
export function chooseMedmnistSize(available: readonly number[], requested: number): number {
  if (available.length === 0) throw new Error("no MedMNIST size available");
  const sorted = [...available].sort((a, b) => a - b);
  return sorted.find((s) => s >= requested) ?? sorted[sorted.length - 1];
}

/** `<flag>_<size>.npz` (and `<flag>.npz`, 28x28) files in a folder: size -> file. */
export function medmnistFiles(dir: string, flag: string): Map<number, string> {
  const found = new Map<number, string>();
  if (!isDir(dir)) return found;
  for (const f of fs.readdirSync(dir)) {
    const m = new RegExp(`^${flag}(?:_(\\d+))?\\.npz$`, "i").exec(f);
    if (m && fs.statSync(path.join(dir, f)).isFile()) found.set(m[1] ? Number(m[1]) : MEDMNIST_V2_SIZE, path.join(dir, f));
  }
  return found;
}

const hash8 = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 8);

function raw(task: TaskSpec, dir: string): ResolvedSource {
  const file = task.rawFile ? path.join(dir, task.rawFile) : undefined;
  return {
    source: { kind: "raw", dir, ...(file ? { file } : {}), description: task.rawDescription ?? RAW_DESCRIPTIONS[task.dataset as DatasetId] ?? task.title },
    scan: (o) => task.scan(dir, o),
    splitting: task.splitting,
    mergeOfficialVal: task.mergeOfficialVal ?? false,
    datasetKey: `${task.dataset}-${hash8(dir)}`,
    cacheSource: dir,
  };
}

function cifarBinary(task: TaskSpec, dir: string): ResolvedSource {
  return {
    source: { kind: "cifar-binary", dir, description: "CIFAR-10 (official binary batches, cifar-10-binary.tar.gz)" },
    scan: () => scanCifarBinary(dir),
    splitting: "official",
    mergeOfficialVal: false,
    datasetKey: `${task.dataset}-cifar-binary-${hash8(dir)}`,
    cacheSource: `cifar-binary:${dir}`,
  };
}

function medmnist(task: TaskSpec, file: string, size: number): ResolvedSource {
  const fb = task.medmnist!;
  return {
    source: { kind: "medmnist", dir: path.dirname(file), file, size, description: `${fb.description}, ${size}x${size}` },
    scan: () => scanMedmnist(file, { labelNames: fb.labelNames }),
    splitting: "official",
    mergeOfficialVal: false,
    datasetKey: `${task.dataset}-medmnist-${hash8(file)}`,
    cacheSource: `medmnist:${file}`,
  };
}

/** The first MedMNIST+ file by the size rule, over folders in order (a size found earlier wins). */
function findMedmnist(task: TaskSpec, dirs: readonly string[], o: ResolveOptions): ResolvedSource | null {
  if (!task.medmnist) return null;
  const bySize = new Map<number, string>();
  for (const d of dirs) for (const [s, f] of medmnistFiles(d, task.medmnist.flag)) if (!bySize.has(s)) bySize.set(s, f);
  if (bySize.size === 0) return null;
  const requested = o.size ?? (typeof o.profile === "object" ? o.profile : resolveProfile(o.profile, o.env ?? process.env)).imageSize;
  const size = chooseMedmnistSize([...bySize.keys()], requested);
  return medmnist(task, bySize.get(size)!, size);
}

/** The MedMNIST+ file names that would serve a task, e.g. "pneumoniamnist_64.npz, pneumoniamnist_128.npz, ...". */
export function medmnistNames(flag: string): string[] {
  return MEDMNIST_SIZES.map((s) => `${flag}_${s}.npz`);
}

function missingError(task: TaskSpec, id: DatasetId, roots: readonly RootCandidate[]): Error {
  const lines: string[] = [];
  // Opens as findDataset's error always has, then the substitutes and the fix.
  lines.push(`Dataset '${id}' not found. Looked in:`);
  for (const r of roots) {
    const d = path.join(r.dir, id);
    lines.push(`  ${d} (${r.why})${isDir(d) ? ": the folder exists but lacks the layout below" : ""}`);
  }
  lines.push(`  expected layout: ${id}/${DATASET_LAYOUTS[id]}`);
  const what = task.medmnist ? `a MedMNIST+ substitute (${task.medmnist.flag})` : task.cifarBinary ? "CIFAR-10's official binary batches" : "";
  lines.push(`Task '${task.name}' has no data: neither its raw dataset '${id}' (${task.rawDescription ?? RAW_DESCRIPTIONS[id]})${what ? ` nor ${what}` : ""} was found.`);
  if (task.cifarBinary) {
    lines.push("Looked for the official binary version in:");
    for (const r of roots) lines.push(`  ${path.join(r.dir, id, CIFAR_BINARY_DIR)} (${r.why})`);
    lines.push(`  expected: ${id}/${CIFAR_BINARY_DIR}/{data_batch_1..5.bin,test_batch.bin,batches.meta.txt} (cifar-10-binary.tar.gz, extracted)`);
  }
  if (task.medmnist) {
    lines.push("Looked for MedMNIST+ files in:");
    for (const r of roots) lines.push(`  ${path.join(r.dir, "medmnist")} (${r.why})`);
    lines.push(`  any of these would also do: medmnist/${medmnistNames(task.medmnist.flag).join(", medmnist/")} (or medmnist/${task.medmnist.flag}.npz, 28x28)`);
  }
  if (task.noFallback) lines.push(task.noFallback);
  const env = "or set MIA_DATA_DIR to a folder that holds them (see data/README.md)";
  if (task.medmnist || task.cifarBinary) {
    lines.push(
      `Fix: run \`make data\` (or \`npm run mia -- data --fetch\`) on a machine with internet access; it downloads the public sets into data/ ` +
        `(${task.cifarBinary ? "CIFAR-10's binary version" : `MedMNIST+ ${task.medmnist!.flag}`}). Or copy the data into one of the folders above, ${env}.`,
    );
    if (id === "eyepacs-dr") lines.push("The raw EyePACS set needs a Kaggle account (competition 'diabetic-retinopathy-detection'); `make data` prints how to get it. Without it, RetinaMNIST+ (DeepDRiD) stands in.");
  } else {
    const where =
      id === "chest-xray-pneumonia"
        ? " (Kermany et al.'s ChestXRay2017 from Mendeley Data, doi:10.17632/rscbjbr9sj.2, or Kaggle 'Chest X-Ray Images (Pneumonia)'; its chest_xray/{train,test} become chest-xray-pneumonia/{train,test})"
        : "";
    lines.push(`Fix: download the raw dataset${where} and put it under one of the folders above as '${id}/', ${env}.`);
  }
  return new Error(lines.join("\n"));
}

/** The source a task would read now, with its scanner, splitting and cache key. */
export function resolveTaskSource(nameOrSpec: string | TaskSpec, o: ResolveOptions = {}): ResolvedSource {
  const task = resolveTask(nameOrSpec);
  if (task.locate) {
    const dir = task.locate();
    return { ...raw(task, dir), source: { kind: "raw", dir, description: task.title } };
  }
  const id = task.dataset as DatasetId;
  if (o.dir !== undefined) {
    // The user's own folder: it is the data; substitutes only where it is not the raw layout.
    const dir = findDataset(id, { dir: o.dir });
    if (rawPresent(task, dir)) return raw(task, dir);
    if (task.cifarBinary) {
      const bin = findCifarBinaryDir(dir);
      if (bin !== null) return cifarBinary(task, bin);
    }
    const root = path.resolve(o.dir);
    const mm = findMedmnist(task, [path.join(root, "medmnist"), root], o);
    if (mm !== null) return mm;
    return raw(task, dir); // the scanner says what is wrong with it
  }
  const roots = dataRootCandidates(o.env);
  for (const r of roots) {
    const dir = path.join(r.dir, id);
    if (rawPresent(task, dir)) return raw(task, dir);
  }
  if (task.cifarBinary) {
    for (const r of roots) {
      const bin = isDir(path.join(r.dir, id)) ? findCifarBinaryDir(path.join(r.dir, id)) : null;
      if (bin !== null) return cifarBinary(task, bin);
    }
  }
  const mm = findMedmnist(task, roots.map((r) => path.join(r.dir, "medmnist")), o);
  if (mm !== null) return mm;
  throw missingError(task, id, roots);
}

/** Where a task's data comes from, without reading it. */
export function taskSource(nameOrSpec: string | TaskSpec, o: ResolveOptions = {}): TaskSource {
  return resolveTaskSource(nameOrSpec, o).source;
}

/** One human line: "cxr: Kermany chest X-rays (raw JPEGs) in /work/shared/data/chest-xray-pneumonia". */
export function describeSource(nameOrSpec: string | TaskSpec, o: ResolveOptions = {}): string {
  const task = resolveTask(nameOrSpec);
  return sourceLine(task.name, resolveTaskSource(task, o).source);
}

/** The line for an already resolved source (e.g. `sourceLine(data.task.name, data.source)`). */
export function sourceLine(taskName: string, s: TaskSource): string {
  return `${taskName}: ${s.description} in ${s.file ?? s.dir}`;
}

/**
 * "Data sources:" and one line per task (which set, which folder or file), for the top of every
 * notebook: with MedMNIST+ or CIFAR-10 binary fallbacks a reader must see what was measured.
 * A task whose data is missing says so instead of stopping the notebook here.
 */
export function sourcesReport(tasks: readonly string[], o: ResolveOptions = {}): string {
  const { missing } = availableTasks(tasks, o);
  const lines = tasks.map((t) => {
    const gone = missing.find((m) => m.task === t);
    return gone ? `  ${t}: MISSING (${gone.reason.split("\n")[0]})` : `  ${describeSource(t, o)}`;
  });
  return ["Data sources:", ...lines].join("\n");
}

/**
 * The tasks of a list whose data is present (raw or a substitute), and the others with the error
 * that says what is missing and how to supply it:
 * on a machine that could fetch only the public sets (no cxr3, which has no substitute) the
 * notebooks run on what is there and say what they left out, instead of stopping.
 */
export function availableTasks(tasks: readonly string[], o: ResolveOptions = {}): { available: string[]; missing: Array<{ task: string; reason: string }> } {
  const available: string[] = [];
  const missing: Array<{ task: string; reason: string }> = [];
  for (const t of tasks) {
    try {
      describeSource(t, o);
      available.push(t);
    } catch (e) {
      // The whole message: it names every place looked and the fix.
      missing.push({ task: t, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { available, missing };
}
