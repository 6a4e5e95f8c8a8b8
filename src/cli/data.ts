/** `mia data`: what a task holds, before any training. */
import { classCounts, customTask, describeGaps, getTask, loadTask, planTask, registerCustomTask, SPLIT_NAMES, splitGaps, TASKS, type TaskSpec } from "../data";
import { CATALOG_NAMES, DEFAULT_FETCH_SIZES, fetchDatasets, formatSources, missingReport, MEDMNIST_FETCH_SIZES } from "../data/catalog";
import { availableTasks, chooseMedmnistSize, sourcesReport } from "../data/resolve";
import { parseCommand, profileOption, UsageError } from "./usage";

/** Help lines for the two data-reading switches every command that reads images takes. */
export const DATA_SWITCHES_HELP = `  --allow-missing        leave out CSV rows without images or labels, and images without rows
  --strict               fail on the first unreadable image instead of skipping it`;

const HELP = `Usage: mia data --list
       mia data --sources [--sizes 64,128] [--json]
       mia data --fetch [--sizes 64,128] [--only pneumoniamnist,cifar10] [--json]
       mia data --fetch --needed [--profile P]
       mia data --task NAME [--data DIR] [options]
       mia data --imagefolder DIR | --csv FILE [--images DIR] [--image-column C] [--label-column C] [--group-column C] | --npz FILE

Shows a task's classes and its images per split and class (train / val / test), the duplicates
found and the images left out. With --decode, also decodes the images the profile uses (into the
cache, so later runs start at once) and reports unreadable ones.

Datasets:
  --sources              what is present where (MIA_DATA_DIR, else data/ and ../shared/data), and how
                         to get what is missing (Kaggle sets: exact steps)
  --fetch                download the public sets that are missing into MIA_DATA_DIR, else data/:
                         MedMNIST+ from Zenodo (record 10519652) and CIFAR-10 (binary version), with
                         a progress bar, resuming partial downloads, checking the published MD5s;
                         a file is placed only once verified
  --needed               with --fetch: only what the profile's tasks lack (neither the raw set nor a
                         substitute anywhere), at the size the profile reads; no network otherwise
  --sizes 64,128         MedMNIST sizes (${MEDMNIST_FETCH_SIZES.join(", ")}; default ${DEFAULT_FETCH_SIZES.join(",")}; --sources: all)
  --only A,B             only these (${CATALOG_NAMES.join(", ")}; default all)
Task:
  --list                 list the named tasks
  --task NAME            a named task (cxr, cxr3, dr, dr5, derm, derm-2..7, cifar10, cifar2, retinamnist)
  --data DIR             the task's dataset folder, or a data root holding it (default: MIA_DATA_DIR,
                         data/, ../shared/data)
Your own data (no code change):
  --imagefolder DIR      <split>/<class>/*.jpg or <class>/*.jpg
  --csv FILE             a CSV of image,label rows; --images DIR (default: images/ beside it),
                         --image-column (image), --label-column (label), --group-column (patient id)
  --npz FILE             a MedMNIST-style .npz
  --classes A,B,...      class names in label order (default: the labels found)
  --name NAME            a name for your task (default: custom)
Options:
  --profile P            smoke | cpu | cpu-long | paper | paper-dry (default: MIA_PROFILE, else cpu)
  --decode               decode and cache the images the profile uses
  --size N               image side in pixels (default: the profile's)
  --channels 1|3         (default: the task's)
  --seed N               split seed (default 0)
${DATA_SWITCHES_HELP}
  --json                 print JSON
  -h, --help`;

/** The options naming a task or a user's own data, shared by every command that takes a task. */
export const TASK_OPTIONS = {
  task: { type: "string" },
  data: { type: "string" },
  imagefolder: { type: "string" },
  csv: { type: "string" },
  images: { type: "string" },
  "image-column": { type: "string" },
  "label-column": { type: "string" },
  "group-column": { type: "string" },
  npz: { type: "string" },
  classes: { type: "string" },
  name: { type: "string" },
  channels: { type: "string" },
  "allow-missing": { type: "boolean" },
  strict: { type: "boolean" },
} as const;


/**
 * taskFrom, and a custom task registered under its --name (so that later commands, the notebooks
 * and `--task NAME` find it again); the same name for other data is a usage error.
 */
export function registeredTaskFrom(v: Record<string, string | boolean | undefined>): TaskSpec {
  const task = taskFrom(v);
  if (task.custom) {
    try {
      registerCustomTask(task);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return task;
}

export function taskFrom(v: Record<string, string | boolean | undefined>): TaskSpec {
  const sources = ["task", "imagefolder", "csv", "npz"].filter((k) => v[k] !== undefined);
  if (sources.length !== 1) throw new UsageError("give exactly one of --task, --imagefolder, --csv, --npz (or --list).");
  const classNames = typeof v.classes === "string" ? v.classes.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const name = typeof v.name === "string" ? v.name : "custom";
  const channels = v.channels === undefined ? undefined : Number(v.channels);
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new UsageError(`--channels must be 1 or 3, got ${v.channels}`);
  if (typeof v.task === "string") {
    try {
      return getTask(v.task);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const custom = (o: Parameters<typeof customTask>[0]) => {
    try {
      return customTask(o);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  if (typeof v.imagefolder === "string") return custom({ name, classNames, channels: channels as 1 | 3 | undefined, source: { kind: "imagefolder", dir: v.imagefolder } });
  if (typeof v.npz === "string") return custom({ name, classNames, channels: channels as 1 | 3 | undefined, source: { kind: "npz", file: v.npz } });
  return custom({
    name,
    classNames,
    channels: channels as 1 | 3 | undefined,
    source: {
      kind: "csv",
      csv: v.csv as string,
      images: v.images as string | undefined,
      imageColumn: v["image-column"] as string | undefined,
      labelColumn: v["label-column"] as string | undefined,
      groupColumn: v["group-column"] as string | undefined,
    },
  });
}

export const int = (s: unknown, what: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new UsageError(`${what} must be an integer, got '${s}'`);
  return n;
};

/** An integer option that must be at least `min` (counts: steps, images, epochs, repeats). */
export const positive = (s: unknown, what: string, min = 1): number | undefined => {
  const n = int(s, what);
  if (n !== undefined && n < min) throw new UsageError(`${what} must be >= ${min}, got ${n}`);
  return n;
};

export async function runData(argv: string[]): Promise<void> {
  const v = parseCommand(
    argv,
    {
      list: { type: "boolean" },
      fetch: { type: "boolean" },
      needed: { type: "boolean" },
      sources: { type: "boolean" },
      sizes: { type: "string" },
      only: { type: "string" },
      ...TASK_OPTIONS,
      profile: { type: "string" },
      decode: { type: "boolean" },
      size: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    },
    HELP,
  );
  if (!v) return;
  if (v.list) {
    const tasks = [...TASKS.values()].map((t) => ({ name: t.name, dataset: t.dataset, channels: t.channels, title: t.title, clinical: t.clinical }));
    if (v.json) console.log(JSON.stringify(tasks, null, 2));
    else for (const t of tasks) console.log(`${t.name.padEnd(12)} ${t.title}  [${t.dataset}]`);
    return;
  }
  if (v.needed && !v.fetch) throw new UsageError("--needed goes with --fetch.");
  if (v.fetch && v.needed) {
    await fetchNeeded(v);
    return;
  }
  if (v.fetch || v.sources) {
    if (v.fetch && v.sources) throw new UsageError("give --fetch or --sources, not both.");
    await runFetchOrSources(v);
    return;
  }
  if (v.sizes !== undefined || v.only !== undefined) throw new UsageError("--sizes and --only go with --fetch or --sources.");
  const task = taskFrom(v);
  const profile = profileOption(v.profile);
  const seed = int(v.seed, "--seed") ?? 0;
  const size = int(v.size, "--size");
  const plan = planTask(task, { dir: v.data, seed, allowMissing: v["allow-missing"] });
  const report: Record<string, unknown> = {
    task: task.name,
    title: task.title,
    dir: plan.dir,
    classes: plan.classNames,
    splitting: task.splitting,
    available: plan.available,
    duplicates: plan.duplicates,
    droppedTrainTestDuplicates: plan.droppedTrainTestDuplicates,
    excluded: plan.excluded,
    gaps: splitGaps(plan),
  };
  if (v.decode) {
    const t0 = Date.now();
    const data = await loadTask(task, {
      dir: v.data,
      profile,
      size,
      channels: v.channels === undefined ? undefined : (Number(v.channels) as 1 | 3),
      seed,
      allowMissing: v["allow-missing"],
      strict: v.strict,
      quiet: v.json,
    });
    report.decoded = {
      profile: profile.name,
      size: data.size,
      channels: data.channels,
      seconds: (Date.now() - t0) / 1000,
      fromCache: data.fromCache,
      perSplit: Object.fromEntries(SPLIT_NAMES.map((s) => [s, classCounts(data).filter((r) => r.split === s).map((r) => r.count)])),
      skipped: data.skipped,
    };
  }
  if (v.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const w = Math.max(8, ...plan.classNames.map((c) => c.length));
  console.log(`${task.name}: ${task.title}\n  data: ${plan.dir}\n  split: ${task.splitting === "official" ? "the dataset's own (train/test, and its val if it has one, else val taken from train, group-disjoint)" : "seeded group split 70/10/20 (patients/lesions never straddle)"}`);
  console.log(`  ${"class".padEnd(w)}  ${SPLIT_NAMES.map((s) => s.padStart(7)).join("")}`);
  plan.classNames.forEach((c, k) => console.log(`  ${c.padEnd(w)}  ${SPLIT_NAMES.map((s) => String(plan.available[s][k]).padStart(7)).join("")}`));
  console.log(`  duplicates: ${plan.duplicates} extra byte-identical copies (kept in one split); left out: ${plan.excluded} image(s) of other classes`);
  const gaps = splitGaps(plan);
  if (gaps.length > 0) console.log(`  WARNING: ${describeGaps(gaps)}: a model cannot be trained or scored on these splits (every class needs images in train, val and test).`);
  if (report.decoded) {
    const d = report.decoded as { profile: string; size: number; channels: number; seconds: number; perSplit: Record<string, number[]>; skipped: unknown[]; fromCache: Record<string, boolean> };
    const cached = Object.values(d.fromCache).every(Boolean) ? "from cache" : "decoded";
    console.log(`  profile ${d.profile}: ${SPLIT_NAMES.map((s) => `${s} ${d.perSplit[s].reduce((a, b) => a + b, 0)}`).join(", ")} images at ${d.size}x${d.size}x${d.channels}, ${cached} in ${d.seconds.toFixed(1)}s; unreadable: ${d.skipped.length}`);
  }
}

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);

/**
 * `make run`'s data step: only the sets that the profile's tasks lack (neither the raw set nor a
 * substitute in any data root) are downloaded, at the MedMNIST size the profile reads. With every
 * task covered it touches no network, so machines with the raw data never need one.
 */
async function fetchNeeded(v: { profile?: string; json?: boolean }): Promise<void> {
  const profile = profileOption(v.profile);
  const tasks = [...new Set([...profile.tasks.medical, ...profile.tasks.natural, ...profile.tasks.multiclass])];
  const { missing: gone } = availableTasks(tasks, { profile });
  const missing = gone.map((m) => m.task);
  if (missing.length === 0) {
    console.log(`[data] every task of the ${profile.name} profile has its data:\n${sourcesReport(tasks, { profile }).split("\n").slice(1).join("\n")}`);
    return;
  }
  const names = [...new Set(missing.flatMap((t) => {
    const spec = getTask(t);
    return spec.medmnist ? [spec.medmnist.flag] : spec.cifarBinary ? ["cifar10"] : [];
  }))];
  const size = chooseMedmnistSize(MEDMNIST_FETCH_SIZES.filter((s) => s >= 64), profile.imageSize);
  console.log(`[data] missing for the ${profile.name} profile: ${missing.join(", ")}; fetching ${names.join(", ") || "nothing (no public substitute)"}${names.some((n) => n !== "cifar10") ? ` at ${size}x${size}` : ""}`);
  const unfetchable = missing.filter((t) => !getTask(t).medmnist && !getTask(t).cifarBinary);
  if (names.length > 0) await runFetchOrSources({ fetch: true, sizes: String(size), only: names.join(","), json: v.json });
  // The notebooks leave these tasks out and say so; supplying them is a manual step.
  for (const t of unfetchable) console.error(`[data] ${t} has no public download; the notebooks will leave it out. To include it:\n${gone.find((m) => m.task === t)!.reason}`);
}

async function runFetchOrSources(v: { fetch?: boolean; sizes?: string; only?: string; json?: boolean }): Promise<void> {
  const sizes = list(v.sizes)?.map((x) => {
    const n = Number(x);
    if (!(MEDMNIST_FETCH_SIZES as readonly number[]).includes(n)) throw new UsageError(`--sizes: ${x} is not a MedMNIST size (${MEDMNIST_FETCH_SIZES.join(", ")})`);
    return n;
  });
  const only = list(v.only);
  const bad = (only ?? []).filter((n) => !CATALOG_NAMES.includes(n));
  if (bad.length > 0) throw new UsageError(`--only: unknown dataset(s) ${bad.join(", ")}; known: ${CATALOG_NAMES.join(", ")}`);
  if (!v.fetch) {
    const report = missingReport({ sizes });
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else console.log(formatSources(report));
    return;
  }
  const report = await fetchDatasets({ sizes, names: only, quiet: v.json });
  if (v.json) console.log(JSON.stringify(report, null, 2));
  else {
    const n = (s: string) => report.items.filter((i) => i.status === s).length;
    console.log(`data root ${report.root}: ${n("downloaded")} downloaded, ${n("present")} already present, ${n("failed")} failed, ${n("skipped")} not tried`);
    for (const i of report.items) console.log(`  ${i.status.padEnd(10)} ${i.path}${i.error ? `\n             ${i.error}` : ""}`);
  }
  if (!report.ok) {
    throw new Error(
      `some downloads failed (above); nothing half-written was left in place. Run 'mia data --fetch' again to resume, ` +
        `or supply the files by hand ('mia data --sources' says where each goes).`,
    );
  }
}
