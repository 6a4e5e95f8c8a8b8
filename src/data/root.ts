/**
 * Where datasets are read from. Per dataset, the first of these that holds it wins:
 *   MIA_DATA_DIR (if set, the only place looked), else data/ in the repo, else ../shared/data.
 * Sources are only read. Decoded caches go to MIA_CACHE_DIR or data/cache/ (gitignored).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, customTasksDir, REPO_ROOT } from "../config/paths";

export { REPO_ROOT };

/** The dataset folders this project knows, with the layout each must have. */
export const DATASET_LAYOUTS = {
  "chest-xray-pneumonia": "{train,test}/{NORMAL,PNEUMONIA}/*.jpeg (Kermany et al. 2018, Kaggle 'Chest X-Ray Images (Pneumonia)')",
  "eyepacs-dr": "images/<patient>_<left|right>.jpeg + trainLabels.csv with columns image,level (Kaggle Diabetic Retinopathy Detection)",
  ham10000: "images/ISIC_*.jpg + HAM10000_metadata.csv with columns lesion_id,image_id,dx,... (ISIC 2018 task 3)",
  cifar10: "{train,test}/<class>/*.{jpg,png} (CIFAR-10 as an image folder)",
  medmnist: "<name>.npz files from MedMNIST v2 (e.g. retinamnist.npz) or MedMNIST+ <name>_{64,128,224}.npz, keys {train,val,test}_{images,labels}",
} as const;
export type DatasetId = keyof typeof DATASET_LAYOUTS;

export interface RootCandidate {
  readonly dir: string;
  readonly why: string;
}

/** The folders searched for datasets, in order. */
export function dataRootCandidates(env: NodeJS.ProcessEnv = process.env): RootCandidate[] {
  const explicit = env.MIA_DATA_DIR?.trim();
  if (explicit) {
    const dir = path.resolve(explicit);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new Error(`MIA_DATA_DIR=${explicit} is not a folder. Point it at a folder holding the datasets (see data/README.md), or unset it to use data/ or ../shared/data.`);
    }
    return [{ dir, why: "MIA_DATA_DIR" }];
  }
  return [
    { dir: path.join(REPO_ROOT, "data"), why: "data/ in the repository" },
    { dir: path.resolve(REPO_ROOT, "..", "shared", "data"), why: "../shared/data beside the checkout" },
  ];
}

/**
 * The folder of one dataset. `dir` (a user's own copy with the same layout) bypasses the search.
 * Errors name the expected layout, the env var and every place looked.
 */
export function findDataset(id: DatasetId, options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  if (options.dir !== undefined) {
    // Either a data root holding <id>/, or the dataset folder itself.
    const dir = path.resolve(options.dir);
    if (!fs.existsSync(dir)) throw new Error(`Dataset folder ${dir} does not exist (expected ${id}: ${DATASET_LAYOUTS[id]}).`);
    const inside = path.join(dir, id);
    return fs.existsSync(inside) && fs.statSync(inside).isDirectory() ? inside : dir;
  }
  const roots = dataRootCandidates(options.env);
  for (const r of roots) {
    const dir = path.join(r.dir, id);
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) return dir;
  }
  const looked = roots.map((r) => `  ${path.join(r.dir, id)} (${r.why})`).join("\n");
  throw new Error(
    `Dataset '${id}' not found. Looked in:\n${looked}\n` +
      `Expected layout: ${id}/${DATASET_LAYOUTS[id]}.\n` +
      `Put it under one of those folders, or set MIA_DATA_DIR to a folder that holds '${id}/' (see data/README.md).`,
  );
}

/** Where decoded caches and registered custom tasks live: decided in config/paths.ts. */
export { cacheRoot, customTasksDir };
