/**
 * The datasets that can be downloaded without an account, with their published checksums, and
 * instructions for the ones that cannot.
 *
 * Layout written (read by the loaders):
 *   <root>/medmnist/<name>_<size>.npz            MedMNIST+ (Zenodo record 10519652); size 28 is <name>.npz
 *   <root>/cifar10/cifar-10-batches-bin/         CIFAR-10 binary version: data_batch_1..5.bin,
 *                                                test_batch.bin, batches.meta.txt
 * <root> is MIA_DATA_DIR when set, else data/ in the repository.
 *
 * MedMNIST MD5s: MedMNIST/MedMNIST, medmnist/info.py (v3.0.2), INFO[<name>]["MD5_<size>"] / ["MD5"].
 * CIFAR-10 MD5: the dataset page https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10 binary version").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { download, DownloadError, extractTarGzAtomic, verifyFile } from "./fetch";
import { DATASET_LAYOUTS, dataRootCandidates, REPO_ROOT } from "./root";

export const MEDMNIST_RECORD = "10519652";
export const MEDMNIST_NAMES = ["pneumoniamnist", "dermamnist", "retinamnist", "chestmnist"] as const;
export type MedmnistName = (typeof MEDMNIST_NAMES)[number];
export const MEDMNIST_FETCH_SIZES = [28, 64, 128, 224] as const;
export type MedmnistSize = (typeof MEDMNIST_FETCH_SIZES)[number];
/** Sizes fetched when none are asked for. */
export const DEFAULT_FETCH_SIZES: readonly MedmnistSize[] = [64];

/** From MedMNIST/MedMNIST medmnist/info.py (__version__ 3.0.2): INFO[name]["MD5"] (28) and ["MD5_<size>"]. */
const MEDMNIST_MD5: Record<MedmnistName, Record<MedmnistSize, string>> = {
  pneumoniamnist: { 28: "28209eda62fecd6e6a2d98b1501bb15f", 64: "8f4eceb4ccffa70c672198ea285246c6", 128: "05b46931834c231683c68f40c47b2971", 224: "d6a3c71de1b945ea11211b03746c1fe1" },
  dermamnist: { 28: "0744692d530f8e62ec473284d019b0c7", 64: "b70a2f5635c6199aeaa28c31d7202e1f", 128: "2defd784463fa5243564e855ed717de1", 224: "8974907d8e169bef5f5b96bc506ae45d" },
  retinamnist: { 28: "bd4c0672f1bba3e3a89f0e4e876791e4", 64: "afda852cc34dcda56f86ad2b2457dbcc", 128: "e48e916a24454daf90583d4e6efb1a18", 224: "eae7e3b6f3fcbda4ae613ebdcbe35348" },
  chestmnist: { 28: "02c8a6516a18b556561a56cbdd36c4a8", 64: "9de6cd0b934ebb5b7426cfba5efbae16", 128: "db107e5590b27930b62dbaf558aebee3", 224: "45bd33e6f06c3e8cdb481c74a89152aa" },
};

const MEDMNIST_TITLES: Record<MedmnistName, string> = {
  pneumoniamnist: "PneumoniaMNIST (Kermany et al. paediatric chest X-rays), CC BY 4.0",
  dermamnist: "DermaMNIST (HAM10000 dermatoscopy), CC BY-NC 4.0",
  retinamnist: "RetinaMNIST (DeepDRiD fundus, 5 DR grades), CC BY 4.0",
  chestmnist: "ChestMNIST (NIH ChestX-ray14, multi-label), CC BY 4.0",
};

export const CIFAR10_BIN_DIR = "cifar-10-batches-bin";
export const CIFAR10_BIN_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"] as const;
/** 10000 records of 1 label byte + 3072 pixel bytes per batch file. */
const CIFAR10_BATCH_BYTES = 10000 * 3073;

/** One downloadable file of the catalog. Paths are relative to the data root, with '/'. */
export interface CatalogFile {
  /** The name given to --only: a MedMNIST name or "cifar10". */
  dataset: string;
  title: string;
  /** Where the download lands (relative to the root), e.g. "medmnist/pneumoniamnist_64.npz". */
  file: string;
  url: string;
  md5?: string;
  sha256?: string;
  size?: number;
  /** MedMNIST image side. */
  imageSize?: number;
  /** An archive: extracted (atomically) to `to`, whose folder `member` in the archive becomes `to`. */
  extract?: {
    member: string;
    to: string;
    expect: readonly string[];
    /** Exact sizes of some of the extracted files (checked before placing). */
    sizes?: Readonly<Record<string, number>>;
    /** Keep the archive after extraction (default: deleted). */
    keepArchive?: boolean;
  };
}

export const medmnistFileName = (name: string, size: number): string => (size === 28 ? `${name}.npz` : `${name}_${size}.npz`);

export const CIFAR10_BINARY: CatalogFile = {
  dataset: "cifar10",
  title: "CIFAR-10, binary version (Krizhevsky 2009)",
  file: "cifar10/cifar-10-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  md5: "c32a1d4ab5d03f1284b67883e8d87530",
  extract: {
    member: CIFAR10_BIN_DIR,
    to: `cifar10/${CIFAR10_BIN_DIR}`,
    expect: CIFAR10_BIN_FILES,
    sizes: Object.fromEntries(CIFAR10_BIN_FILES.filter((f) => f.endsWith(".bin")).map((f) => [f, CIFAR10_BATCH_BYTES])),
  },
};

/** Every name --only accepts. */
export const CATALOG_NAMES: readonly string[] = [...MEDMNIST_NAMES, "cifar10"];

function checkSizes(sizes: readonly number[]): MedmnistSize[] {
  for (const s of sizes) {
    if (!(MEDMNIST_FETCH_SIZES as readonly number[]).includes(s)) throw new Error(`MedMNIST size ${s} does not exist; sizes: ${MEDMNIST_FETCH_SIZES.join(", ")}.`);
  }
  return sizes as MedmnistSize[];
}

function checkNames(names: readonly string[], known: readonly string[]): void {
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length > 0) throw new Error(`unknown dataset(s) ${bad.join(", ")}; known: ${known.join(", ")}.`);
}

/** The catalog's files for the given datasets (default all) and MedMNIST sizes (default 64). */
export function catalog(options: { names?: readonly string[]; sizes?: readonly number[] } = {}): CatalogFile[] {
  const names = options.names ?? CATALOG_NAMES;
  checkNames(names, CATALOG_NAMES);
  const sizes = checkSizes(options.sizes ?? DEFAULT_FETCH_SIZES);
  const files: CatalogFile[] = [];
  for (const name of MEDMNIST_NAMES) {
    if (!names.includes(name)) continue;
    for (const size of sizes) {
      const fileName = medmnistFileName(name, size);
      files.push({
        dataset: name,
        title: `${MEDMNIST_TITLES[name]}, ${size}x${size}`,
        file: `medmnist/${fileName}`,
        url: `https://zenodo.org/records/${MEDMNIST_RECORD}/files/${fileName}?download=1`,
        md5: MEDMNIST_MD5[name][size],
        imageSize: size,
      });
    }
  }
  if (names.includes("cifar10")) files.push(CIFAR10_BINARY);
  return files;
}

/** Where `mia data --fetch` writes: MIA_DATA_DIR when set (created if missing), else data/ in the repository. */
export function defaultFetchRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MIA_DATA_DIR?.trim();
  return explicit ? path.resolve(explicit) : path.join(REPO_ROOT, "data");
}

/** The roots searched for what is already present (the fetch root first). */
function searchRoots(root: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (root !== undefined) return [path.resolve(root)];
  const explicit = env.MIA_DATA_DIR?.trim();
  if (explicit) return [path.resolve(explicit)];
  return dataRootCandidates(env).map((c) => c.dir);
}

const abs = (root: string, rel: string) => path.join(root, ...rel.split("/"));

/** Whether an extracted folder holds every expected file, at the expected sizes. */
function folderComplete(dir: string, expect: readonly string[], sizes: Readonly<Record<string, number>> = {}): boolean {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return false;
  return expect.every((f) => {
    const p = path.join(dir, f);
    return fs.existsSync(p) && fs.statSync(p).isFile() && (sizes[f] === undefined || fs.statSync(p).size === sizes[f]);
  });
}

export interface FetchItem {
  dataset: string;
  title: string;
  /** The file or folder the loaders read. */
  path: string;
  url: string;
  status: "present" | "downloaded" | "failed" | "skipped";
  bytes?: number;
  resumed?: boolean;
  error?: string;
}

export interface FetchReport {
  root: string;
  items: FetchItem[];
  ok: boolean;
}

export interface FetchOptions {
  names?: readonly string[];
  sizes?: readonly number[];
  /** Where to download (and the only place looked); default MIA_DATA_DIR, else data/ (and ../shared/data is looked in). */
  root?: string;
  /** Replaces every URL by `<baseUrl>/<file name>` (tests, mirrors). */
  baseUrl?: string;
  /** Replaces the built-in catalog (tests). */
  catalog?: readonly CatalogFile[];
  quiet?: boolean;
  retries?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  onProgress?: (file: string, done: number, total: number | undefined) => void;
  /** One line per event (default: console.error unless quiet). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Downloads what is missing, verified, into the data root; skips what is present (and verified:
 * MD5 for single files, every file at its size for an extracted archive). Never throws for one
 * failed file: each item says what happened; `ok` is false if any failed.
 */
export async function fetchDatasets(options: FetchOptions = {}): Promise<FetchReport> {
  const env = options.env ?? process.env;
  const root = path.resolve(options.root ?? defaultFetchRoot(env));
  const roots = searchRoots(options.root, env);
  if (!roots.includes(root)) roots.unshift(root);
  const files = options.catalog ? options.catalog.filter((f) => options.names === undefined || options.names.includes(f.dataset)) : catalog({ names: options.names, sizes: options.sizes });
  if (options.catalog && options.names) checkNames(options.names, [...new Set(options.catalog.map((f) => f.dataset))]);
  const log = options.log ?? ((line: string) => (options.quiet ? undefined : console.error(line)));
  const items: FetchItem[] = [];
  let offline: string | undefined;
  for (const f of files) {
    const url = options.baseUrl ? `${options.baseUrl.replace(/\/+$/, "")}/${path.posix.basename(f.file)}` : f.url;
    const target = abs(root, f.extract ? f.extract.to : f.file);
    const item: FetchItem = { dataset: f.dataset, title: f.title, path: target, url, status: "failed" };
    items.push(item);
    try {
      // Present somewhere already?
      let found: string | undefined;
      for (const r of roots) {
        const p = abs(r, f.extract ? f.extract.to : f.file);
        if (f.extract ? folderComplete(p, f.extract.expect, f.extract.sizes) : await verifyFile(p, { md5: f.md5, sha256: f.sha256, size: f.size })) {
          found = p;
          break;
        }
      }
      if (found !== undefined) {
        item.status = "present";
        item.path = found;
        log(`present   ${found}`);
        continue;
      }
      if (fs.existsSync(target)) {
        throw new Error(
          f.extract
            ? `${target} exists but is incomplete (expected ${f.extract.expect.join(", ")}${f.extract.sizes ? " at their published sizes" : ""}). Delete it and run again.`
            : `${target} exists but does not match the published ${f.md5 ? `MD5 ${f.md5}` : "checksum"} (a different or corrupt file). Delete it and run again.`,
        );
      }
      const dest = abs(root, f.file);
      const manual = `download ${f.url} by hand and put it at ${dest}${f.md5 ? ` (MD5 ${f.md5})` : ""}${f.extract ? `, then run this again to extract it` : ""}`;
      if (!(await verifyFile(dest, { md5: f.md5, sha256: f.sha256, size: f.size }))) {
        if (fs.existsSync(dest)) throw new Error(`${dest} exists but does not match the published ${f.md5 ? `MD5 ${f.md5}` : "checksum"}. Delete it and run again.`);
        if (offline !== undefined) {
          item.status = "skipped";
          item.error = `not tried (no network: ${offline}): ${manual}.`;
          continue;
        }
        log(`fetching  ${url} -> ${dest}`);
        const r = await download(url, dest, {
          md5: f.md5,
          sha256: f.sha256,
          size: f.size,
          quiet: options.quiet,
          retries: options.retries,
          retryDelayMs: options.retryDelayMs,
          timeoutMs: options.timeoutMs,
          manual,
          label: path.posix.basename(f.file),
          onProgress: options.onProgress ? (d, t) => options.onProgress!(f.file, d, t) : undefined,
        });
        item.bytes = r.bytes;
        item.resumed = r.resumed;
      }
      if (f.extract) {
        log(`extracting ${dest} -> ${target}`);
        await extractTarGzAtomic(dest, target, { member: f.extract.member, expect: f.extract.expect, sizes: f.extract.sizes });
        if (!f.extract.keepArchive) fs.rmSync(dest, { force: true });
      }
      item.status = "downloaded";
      log(`placed    ${target}`);
    } catch (err) {
      item.status = "failed";
      item.error = (err as Error).message;
      if (err instanceof DownloadError && err.kind === "network") offline = /\(([A-Z_]+: cannot reach [^)]*)\)/.exec(err.message)?.[1] ?? "unreachable";
    }
  }
  return { root, items, ok: items.every((i) => i.status === "present" || i.status === "downloaded") };
}

// ---------------------------------------------------------------------------------------------
// What is present where, and how to supply what is not.

export type RawDatasetId = "chest-xray-pneumonia" | "eyepacs-dr" | "ham10000";
export const RAW_DATASETS: readonly RawDatasetId[] = ["chest-xray-pneumonia", "eyepacs-dr", "ham10000"];

/** Exact steps to obtain a dataset that needs an account or is not in the catalog. */
export function manualInstructions(id: RawDatasetId, root: string = defaultFetchRoot()): string {
  const dir = path.join(root, id);
  const layout = `${id}/${DATASET_LAYOUTS[id]}`;
  switch (id) {
    case "chest-xray-pneumonia":
      return [
        `Kermany chest X-rays (task cxr, cxr3): needs a free Kaggle account.`,
        `  1. https://www.kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia -> Download (or: kaggle datasets download -d paultimothymooney/chest-xray-pneumonia),`,
        `     or without an account the original release on Mendeley Data: https://data.mendeley.com/datasets/rscbjbr9sj (its chest_xray folder).`,
        `  2. Unzip; move the train and test folders of chest_xray/ to ${dir}/ (its small val/ folder may be left out).`,
        `  Expected layout: ${layout}.`,
        `  Without it the MedMNIST fallback is used: mia data --fetch --only pneumoniamnist.`,
      ].join("\n");
    case "eyepacs-dr":
      return [
        `EyePACS diabetic retinopathy (task dr, dr5): needs a Kaggle account that has accepted the competition rules.`,
        `  1. https://www.kaggle.com/c/diabetic-retinopathy-detection/data -> accept the rules, then download train.zip.00* and trainLabels.csv.zip`,
        `     (or: kaggle competitions download -c diabetic-retinopathy-detection; about 35 GB for train).`,
        `  2. Join and unzip the parts (cat train.zip.00* > train.zip; unzip train.zip); move the .jpeg files to ${path.join(dir, "images")}/`,
        `     and unzip trainLabels.csv to ${path.join(dir, "trainLabels.csv")}.`,
        `  Expected layout: ${layout}.`,
        `  Without it the MedMNIST fallback is used: mia data --fetch --only retinamnist.`,
      ].join("\n");
    case "ham10000":
      return [
        `HAM10000 dermatoscopy (task derm, derm-2..7): free, but each site asks you to accept its terms in a browser.`,
        `  1. https://challenge.isic-archive.com/data/#2018 (Task 3 training input and ground truth), or`,
        `     https://doi.org/10.7910/DVN/DBW86T (Harvard Dataverse: HAM10000_images_part_1.zip, _part_2.zip, HAM10000_metadata),`,
        `     or https://www.kaggle.com/datasets/kmader/skin-cancer-mnist-ham10000 (Kaggle account).`,
        `  2. Put every ISIC_*.jpg in ${path.join(dir, "images")}/ and the metadata as ${path.join(dir, "HAM10000_metadata.csv")}.`,
        `  Expected layout: ${layout}.`,
        `  Without it the MedMNIST fallback is used: mia data --fetch --only dermamnist.`,
      ].join("\n");
  }
}

export interface SourceStatus {
  /** "pneumoniamnist_64", "cifar10", "chest-xray-pneumonia", ... */
  id: string;
  kind: "medmnist" | "cifar10" | "raw";
  title: string;
  present: boolean;
  /** Where it was found. */
  where?: string;
  /** Every place looked. */
  looked: string[];
  /** How to supply it (when missing). */
  how: string;
}

/**
 * Per dataset: present (and where) or missing (where it looked, how to supply it). Only checks
 * that the files are there (no hashing); `mia data --fetch` verifies sums.
 */
export function missingReport(options: { sizes?: readonly number[]; env?: NodeJS.ProcessEnv; root?: string } = {}): SourceStatus[] {
  const env = options.env ?? process.env;
  const roots = searchRoots(options.root, env);
  const fetchRoot = path.resolve(options.root ?? defaultFetchRoot(env));
  const sizes = checkSizes(options.sizes ?? MEDMNIST_FETCH_SIZES);
  const out: SourceStatus[] = [];
  const first = (rel: string, ok: (p: string) => boolean) => {
    const looked = roots.map((r) => abs(r, rel));
    return { where: looked.find(ok), looked };
  };
  const isFile = (p: string) => fs.existsSync(p) && fs.statSync(p).isFile();
  const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();
  for (const id of RAW_DATASETS) {
    const { where, looked } = first(id, isDir);
    out.push({ id, kind: "raw", title: DATASET_LAYOUTS[id], present: where !== undefined, where, looked, how: manualInstructions(id, fetchRoot) });
  }
  {
    const bin = first(`cifar10/${CIFAR10_BIN_DIR}`, (p) => folderComplete(p, CIFAR10_BIN_FILES, CIFAR10_BINARY.extract!.sizes));
    const folder = first("cifar10", (p) => isDir(path.join(p, "train")) && isDir(path.join(p, "test")));
    const where = bin.where ?? folder.where;
    out.push({
      id: "cifar10",
      kind: "cifar10",
      title: CIFAR10_BINARY.title,
      present: where !== undefined,
      where,
      looked: [...bin.looked, ...folder.looked.map((p) => `${p}/{train,test}`)],
      how: `mia data --fetch --only cifar10 (or make data), or download ${CIFAR10_BINARY.url} (MD5 ${CIFAR10_BINARY.md5}) and unpack it so that ${abs(fetchRoot, `cifar10/${CIFAR10_BIN_DIR}`)}/ holds ${CIFAR10_BIN_FILES.join(", ")}.`,
    });
  }
  for (const name of MEDMNIST_NAMES) {
    for (const size of sizes) {
      const f = medmnistFileName(name, size);
      const { where, looked } = first(`medmnist/${f}`, isFile);
      out.push({
        id: f.replace(/\.npz$/, ""),
        kind: "medmnist",
        title: `${MEDMNIST_TITLES[name]}, ${size}x${size}`,
        present: where !== undefined,
        where,
        looked,
        how: `mia data --fetch --only ${name} --sizes ${size}, or download https://zenodo.org/records/${MEDMNIST_RECORD}/files/${f}?download=1 (MD5 ${MEDMNIST_MD5[name][size]}) to ${abs(fetchRoot, `medmnist/${f}`)}.`,
      });
    }
  }
  return out;
}

/** The report as text: present sets with their place, then missing ones with how to get them. */
export function formatSources(report: readonly SourceStatus[]): string {
  const lines: string[] = [];
  const present = report.filter((s) => s.present);
  const missing = report.filter((s) => !s.present);
  lines.push(`Present (${present.length}):`);
  for (const s of present) lines.push(`  ${s.id.padEnd(22)} ${s.where}`);
  if (present.length === 0) lines.push("  (none)");
  lines.push(`Missing (${missing.length}):`);
  for (const s of missing) {
    lines.push(`  ${s.id.padEnd(22)} looked in: ${s.looked.join(", ")}`);
    lines.push(...s.how.split("\n").map((l) => `      ${l}`));
  }
  return lines.join("\n");
}
