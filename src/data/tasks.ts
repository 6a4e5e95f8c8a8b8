/**
 * The named tasks. Each says which dataset it reads, its classes, how an item gets its label,
 * how it is split, its default channels, and what it means clinically.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../config/io";
import type { Channels } from "./decode";
import { customTasksDir, type DatasetId } from "./root";
import { HAM10000_CLASSES, kermanyPatient, kermanySubtype, scanCsvSource, scanHam10000, scanImageFolder, scanKaggleDr, splitFolders, type SourceItem } from "./sources";
import { scanMedmnist } from "./medmnist";
import { CIFAR10_CLASSES } from "./cifar-binary";

export interface ScanOptions {
  readonly allowMissing?: boolean;
}

export interface TaskSpec {
  readonly name: string;
  readonly title: string;
  /** What the task means for a clinician (or, for the comparators, why it is here). */
  readonly clinical: string;
  readonly dataset: DatasetId | "custom";
  /** Where a custom task's data is (built-in tasks are found through the data root). */
  readonly locate?: () => string;
  /** Default channels; loadTask({channels}) overrides for like-for-like comparisons. */
  readonly channels: Channels;
  /** "official": the source's own train/test (val carved from train); "group": our seeded group split. */
  readonly splitting: "official" | "group";
  /** Treat the source's own val folder as training data and carve val by group (Kaggle's Kermany val holds 16 images). */
  readonly mergeOfficialVal?: boolean;
  readonly scan: (dir: string, o: ScanOptions) => SourceItem[];
  /** Class names in label order; may depend on the scanned items (derm-k). */
  readonly classNames: (items: readonly SourceItem[]) => string[];
  /** The item's class name, or null to leave it out of this task. */
  readonly labelOf: (item: SourceItem) => string | null;
  /** The paper's counterpart, for the comparison cells. */
  readonly paper?: string;
  /** Preprocessing the task's models apply as their first layer (fundus: Graham's local contrast). */
  readonly preprocess?: "none" | "local-contrast";
  /** The one file in the dataset folder this task reads (its presence means the raw data is there). */
  readonly rawFile?: string;
  /** What the raw data is, for source lines (default: per dataset). */
  readonly rawDescription?: string;
  /** The MedMNIST+ file used when the raw dataset is found nowhere. */
  readonly medmnist?: MedmnistFallback;
  /** Read CIFAR-10's official binary batches when the image folder is absent. */
  readonly cifarBinary?: boolean;
  /** Why there is no substitute for the raw data (for the missing-data error). */
  readonly noFallback?: string;
  /** A custom task: what it was made from (saved by name, so later stages find it again). */
  readonly custom?: CustomRecipe;
}

/** A MedMNIST+ substitute for a task's raw dataset: `<root>/medmnist/<flag>_<size>.npz`, its official splits. */
export interface MedmnistFallback {
  /** The MedMNIST flag: pneumoniamnist, dermamnist, retinamnist. */
  readonly flag: string;
  /** Raw label (as the raw scanner names it) of MedMNIST label k. */
  readonly labelNames: readonly string[];
  /** What the file holds, for source lines (the size is added). */
  readonly description: string;
}

/** DermaMNIST's labels in MedMNIST's INFO order: 0 akiec, 1 bcc, 2 bkl, 3 df, 4 mel, 5 nv, 6 vasc (HAM10000's dx codes). */
export const DERMAMNIST_LABELS = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"] as const;

const PNEUMONIAMNIST: MedmnistFallback = {
  flag: "pneumoniamnist",
  labelNames: ["NORMAL", "PNEUMONIA"],
  description: "PneumoniaMNIST (MedMNIST+: Kermany's paediatric chest X-rays, resized; MedMNIST's own train/val/test)",
};
const DERMAMNIST: MedmnistFallback = {
  flag: "dermamnist",
  labelNames: DERMAMNIST_LABELS,
  description: "DermaMNIST (MedMNIST+: HAM10000 dermoscopy, resized; MedMNIST's own 7:1:2 train/val/test)",
};
const RETINAMNIST: MedmnistFallback = {
  flag: "retinamnist",
  labelNames: ["0", "1", "2", "3", "4"],
  description: "RetinaMNIST (MedMNIST+: DeepDRiD fundus photographs graded 0-4, NOT Kaggle EyePACS; 1,600 images; MedMNIST's own train/val/test)",
};

const fixed = (names: string[]) => () => names;
const scanKermany = (dir: string) => scanImageFolder(dir, { groupOf: (f) => kermanyPatient(f) });
const scanCifar = (dir: string) => scanImageFolder(dir);
const CIFAR10 = [...CIFAR10_CLASSES];

/** HAM10000 classes by frequency in the scanned metadata (ties by name), most frequent first. */
function hamByFrequency(items: readonly SourceItem[]): string[] {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.rawLabel, (counts.get(it.rawLabel) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
}

function dermK(k: number): TaskSpec {
  return {
    name: `derm-${k}`,
    title: `Dermoscopy, the ${k} most frequent HAM10000 classes`,
    clinical: `Skin lesion type among the ${k} commonest in HAM10000 (nv nevus, mel melanoma, bkl benign keratosis, bcc basal cell carcinoma, akiec actinic keratosis, vasc vascular, df dermatofibroma); more classes, finer distinctions.`,
    dataset: "ham10000",
    channels: 3,
    splitting: "group",
    scan: scanHam10000,
    classNames: (items) => hamByFrequency(items).slice(0, k),
    labelOf: (it) => it.rawLabel,
    paper: k === 2 ? "Derm (binary)" : "multi-class extension (the paper used CXR-2/3/4 from ChestX-ray14)",
    medmnist: DERMAMNIST,
  };
}

const TASK_LIST: TaskSpec[] = [
  {
    name: "cxr",
    title: "Chest X-ray: pneumonia vs normal",
    clinical: "Paediatric chest radiographs (Guangzhou, Kermany et al. 2018): does the child have pneumonia? A screening/triage decision.",
    dataset: "chest-xray-pneumonia",
    channels: 1,
    splitting: "official",
    scan: scanKermany,
    mergeOfficialVal: true,
    classNames: fixed(["NORMAL", "PNEUMONIA"]),
    labelOf: (it) => it.rawLabel.toUpperCase(),
    paper: "Chest X-Ray (binary)",
    medmnist: PNEUMONIAMNIST,
  },
  {
    name: "cxr3",
    title: "Chest X-ray: normal / bacterial / viral pneumonia",
    clinical: "The same radiographs, pneumonia split by cause (from the file names): bacterial pneumonia needs antibiotics, viral usually supportive care.",
    dataset: "chest-xray-pneumonia",
    channels: 1,
    splitting: "official",
    scan: scanKermany,
    mergeOfficialVal: true,
    classNames: fixed(["normal", "bacterial", "viral"]),
    labelOf: (it) => {
      if (it.rawLabel.toUpperCase() === "NORMAL") return "normal";
      const sub = kermanySubtype(path.basename(it.id));
      return sub === "bacteria" ? "bacterial" : sub === "virus" ? "viral" : null;
    },
    paper: "CXR-3 (the paper: ChestX-ray14)",
    noFallback: "No MedMNIST+ substitute: PneumoniaMNIST keeps only normal/pneumonia, not the bacterial/viral cause (it is in Kermany's file names).",
  },
  {
    name: "dr",
    title: "Fundoscopy: referable diabetic retinopathy",
    clinical: "Retinal photographs (EyePACS): referable DR (grade >= 2, moderate or worse) needs an ophthalmologist; grades 0-1 are rescreened.",
    dataset: "eyepacs-dr",
    channels: 3,
    splitting: "group",
    scan: scanKaggleDr,
    classNames: fixed(["non-referable", "referable"]),
    labelOf: (it) => (Number(it.rawLabel) >= 2 ? "referable" : "non-referable"),
    paper: "Fundoscopy (binary)",
    medmnist: RETINAMNIST,
  },
  {
    name: "dr5",
    title: "Fundoscopy: the five DR grades",
    clinical: "International DR scale: 0 none, 1 mild, 2 moderate, 3 severe non-proliferative, 4 proliferative DR.",
    dataset: "eyepacs-dr",
    channels: 3,
    splitting: "group",
    scan: scanKaggleDr,
    classNames: fixed(["0-none", "1-mild", "2-moderate", "3-severe", "4-proliferative"]),
    labelOf: (it) => ["0-none", "1-mild", "2-moderate", "3-severe", "4-proliferative"][Number(it.rawLabel)] ?? null,
    paper: "multi-class extension",
    medmnist: RETINAMNIST,
  },
  {
    name: "derm",
    title: "Dermoscopy: melanoma vs nevus",
    clinical: "Dermoscopic images (HAM10000): is this pigmented lesion a melanoma (excise) or a benign nevus?",
    dataset: "ham10000",
    channels: 3,
    splitting: "group",
    scan: scanHam10000,
    classNames: fixed(["nv", "mel"]),
    labelOf: (it) => (it.rawLabel === "nv" || it.rawLabel === "mel" ? it.rawLabel : null),
    paper: "Dermoscopy (binary; the paper: ISIC melanoma)",
    medmnist: DERMAMNIST,
  },
  ...[2, 3, 4, 5, 6, 7].map(dermK),
  {
    name: "cifar10",
    title: "CIFAR-10 (natural images, 10 classes)",
    clinical: "Not clinical: the natural-image comparator the paper measures medical models against.",
    dataset: "cifar10",
    channels: 3,
    splitting: "official",
    scan: scanCifar,
    classNames: fixed(CIFAR10),
    labelOf: (it) => it.rawLabel,
    paper: "CIFAR-10 comparator",
    cifarBinary: true,
  },
  {
    name: "cifar2",
    title: "CIFAR-10 cat vs dog (natural images, binary)",
    clinical: "Not clinical: a binary natural-image task, so medical binary models are compared like for like.",
    dataset: "cifar10",
    channels: 3,
    splitting: "official",
    scan: scanCifar,
    classNames: fixed(["cat", "dog"]),
    labelOf: (it) => (it.rawLabel === "cat" || it.rawLabel === "dog" ? it.rawLabel : null),
    paper: "binary natural comparator (beyond the paper)",
    cifarBinary: true,
  },
  {
    name: "retinamnist",
    title: "RetinaMNIST (MedMNIST v2): DR grade 0-4 at low resolution",
    clinical: "Fundus images graded for DR severity (DeepDRiD), as distributed by MedMNIST.",
    dataset: "medmnist",
    channels: 3,
    splitting: "official",
    scan: (dir) => scanMedmnist(path.join(dir, "retinamnist.npz")),
    classNames: fixed(["0", "1", "2", "3", "4"]),
    labelOf: (it) => it.rawLabel,
    paper: "beyond the paper",
    rawFile: "retinamnist.npz",
    rawDescription: "RetinaMNIST 28x28 (MedMNIST v2 retinamnist.npz; DeepDRiD fundus photographs)",
    medmnist: RETINAMNIST,
  },
];

export const TASKS: ReadonlyMap<string, TaskSpec> = new Map(TASK_LIST.map((t) => [t.name, t]));
export const TASK_NAMES: readonly string[] = TASK_LIST.map((t) => t.name);

/**
 * A task by name: a built-in one, else a custom task registered by `mia train --imagefolder ...
 * --name NAME` (or registerCustomTask), so every later stage finds the user's data by its name.
 */
/** A task given by name (resolved once, here) or already resolved: the spec every stage works on. */
export function resolveTask(nameOrSpec: string | TaskSpec): TaskSpec {
  return typeof nameOrSpec === "string" ? getTask(nameOrSpec) : nameOrSpec;
}

export function getTask(name: string): TaskSpec {
  const t = TASKS.get(name.trim().toLowerCase());
  if (t !== undefined) return t;
  const recipe = readCustomTask(name.trim());
  if (recipe) return customTask(recipe);
  const hint = /^derm-?k$/i.test(name.trim()) ? " (derm-k is a family: use derm-2 ... derm-7)" : "";
  const custom = listCustomTasks();
  throw new Error(
    `Unknown task '${name}'${hint}. Valid tasks: ${TASK_NAMES.join(", ")}` +
      (custom.length ? `; your registered tasks: ${custom.join(", ")}` : "") +
      `. Your own data: train it once with --imagefolder DIR | --csv FILE | --npz FILE --name ${name.trim() || "NAME"} (registered in ${customTasksDir()}), then use its name.`,
  );
}

/** Readable names for figure panels and tables: each built-in task's title, the name itself otherwise. */
export function taskTitles(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, TASKS.get(n.trim().toLowerCase())?.title ?? n]));
}

export { HAM10000_CLASSES };

/** What a custom task is made of: its name, where its data is, and how to read it. */
export interface CustomRecipe {
  readonly name: string;
  readonly source: CustomSource;
  readonly classNames?: readonly string[];
  readonly channels?: Channels;
  readonly title?: string;
  readonly clinical?: string;
}

const CUSTOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The source with absolute paths (a registered task must not depend on the directory it is used from). */
function absoluteSource(src: CustomSource): CustomSource {
  if (src.kind === "imagefolder") return { kind: "imagefolder", dir: path.resolve(src.dir) };
  if (src.kind === "npz") return { kind: "npz", file: path.resolve(src.file) };
  return { ...src, csv: path.resolve(src.csv), ...(src.images ? { images: path.resolve(src.images) } : {}) };
}

const recipeFile = (name: string, env: NodeJS.ProcessEnv = process.env) => path.join(customTasksDir(env), `${name}.json`);

/** The recipe of a registered custom task, or null. A damaged file is an error naming it. */
export function readCustomTask(name: string, env: NodeJS.ProcessEnv = process.env): CustomRecipe | null {
  if (!CUSTOM_NAME.test(name)) return null;
  const file = recipeFile(name, env);
  if (!fs.existsSync(file)) return null;
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as CustomRecipe;
    if (r.name !== name || !r.source || !["imagefolder", "csv", "npz"].includes(r.source.kind)) throw new Error("not a task recipe");
    return r;
  } catch (e) {
    throw new Error(`The custom task file ${file} is damaged (${(e as Error).message}): delete it and train the task again with --imagefolder/--csv/--npz --name ${name}.`);
  }
}

export function listCustomTasks(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = customTasksDir(env);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort() : [];
}

/**
 * Registers a custom task under its name (customTasksDir()/NAME.json) so later stages find it by
 * name. The same name for other data is refused (it would silently reuse the other data's models).
 */
export function registerCustomTask(task: TaskSpec, env: NodeJS.ProcessEnv = process.env): string {
  if (!task.custom) throw new Error(`registerCustomTask: '${task.name}' is not a custom task`);
  const file = recipeFile(task.name, env);
  const old = readCustomTask(task.name, env);
  const same = (a: CustomRecipe, b: CustomRecipe) => JSON.stringify(a.source) === JSON.stringify(b.source) && JSON.stringify(a.classNames ?? null) === JSON.stringify(b.classNames ?? null) && (a.channels ?? 3) === (b.channels ?? 3);
  if (old && !same(old, task.custom))
    throw new Error(`A task named '${task.name}' is already registered for other data (${JSON.stringify(old.source)}, ${file}): pass another --name, or delete that file (and its models) to reuse the name.`);
  if (!old) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify(task.custom, null, 2) + "\n", "Make the folder writable, or set MIA_CUSTOM_TASKS_DIR to another folder.");
  }
  return file;
}

/** A user's own data, in one of the layouts the built-in tasks use. */
export type CustomSource =
  /** <split>/<class>/*.{jpg,png} or <class>/*.{jpg,png}; split folders, if any, are kept. */
  | { readonly kind: "imagefolder"; readonly dir: string }
  /** A CSV naming each image and its label (and optionally its patient/lesion). */
  | {
      readonly kind: "csv";
      readonly csv: string;
      /** Image folder (default: images/ beside the CSV). */
      readonly images?: string;
      readonly imageColumn?: string;
      readonly labelColumn?: string;
      readonly groupColumn?: string;
    }
  /** A MedMNIST-style .npz: {train,val,test}_{images,labels}. */
  | { readonly kind: "npz"; readonly file: string };

const naturalOrder = (a: string, b: string): number => a.localeCompare(b, "en", { numeric: true });

/**
 * A task over your own data, usable everywhere a task name is (`loadTask(customTask(...))`,
 * CLI `mia data --imagefolder DIR`). Classes default to the labels found, in natural order;
 * datasets with their own train/test keep it, others get the seeded group split.
 */
export function customTask(o: CustomRecipe): TaskSpec {
  if (TASKS.has(o.name.trim().toLowerCase())) throw new Error(`'${o.name}' is a built-in task: give your data another --name.`);
  if (!CUSTOM_NAME.test(o.name)) throw new Error(`Task name '${o.name}' must be letters, digits, '.', '_' or '-' (it names folders): pass another --name.`);
  const src = o.source;
  const location = path.resolve(src.kind === "imagefolder" ? src.dir : src.kind === "csv" ? src.csv : src.file);
  const scan = (_dir: string, so: ScanOptions): SourceItem[] => {
    if (src.kind === "imagefolder") return scanImageFolder(location);
    if (src.kind === "npz") return scanMedmnist(location);
    return scanCsvSource({
      csv: location,
      imageDirs: [path.resolve(src.images ?? path.join(path.dirname(location), "images"))],
      imageColumn: src.imageColumn ?? "image",
      labelColumn: src.labelColumn ?? "label",
      groupColumn: src.groupColumn,
      allowMissing: so.allowMissing,
    });
  };
  const hasOfficial = src.kind === "npz" || (src.kind === "imagefolder" && splitFolders(location).length > 0);
  const recipe: CustomRecipe = { ...o, source: absoluteSource(src) };
  return {
    name: o.name,
    custom: recipe,
    title: o.title ?? `${o.name} (your data: ${location})`,
    clinical: o.clinical ?? "A user-supplied dataset.",
    dataset: "custom",
    locate: () => location,
    channels: o.channels ?? 3,
    splitting: hasOfficial ? "official" : "group",
    scan,
    classNames: (items) => (o.classNames ? [...o.classNames] : [...new Set(items.map((it) => it.rawLabel))].sort(naturalOrder)),
    labelOf: (it) => it.rawLabel,
  };
}
