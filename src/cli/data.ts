/** `mia data`: what a task holds, before any training. */
import { parseArgs } from "node:util";
import { resolveProfile } from "../config";
import { classCounts, customTask, getTask, loadTask, planTask, SPLIT_NAMES, TASKS, type TaskSpec } from "../data";
import { UsageError } from "./main";

const HELP = `Usage: mia data --list
       mia data --task NAME [--data DIR] [options]
       mia data --imagefolder DIR | --csv FILE [--images DIR] [--image-column C] [--label-column C] [--group-column C] | --npz FILE

Shows a task's classes and its images per split and class (train / val / test), the duplicates
found and the images left out. With --decode, also decodes the images the profile uses (into the
cache, so later runs start at once) and reports unreadable ones.

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
  --profile P            smoke | cpu | paper (default: MIA_PROFILE, else cpu)
  --decode               decode and cache the images the profile uses
  --size N               image side in pixels (default: the profile's)
  --channels 1|3         (default: the task's)
  --seed N               split seed (default 0)
  --allow-missing        leave out CSV rows without images and images without rows
  --strict               fail on the first unreadable image instead of skipping it
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
} as const;

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
  if (typeof v.imagefolder === "string") return customTask({ name, classNames, channels: channels as 1 | 3 | undefined, source: { kind: "imagefolder", dir: v.imagefolder } });
  if (typeof v.npz === "string") return customTask({ name, classNames, channels: channels as 1 | 3 | undefined, source: { kind: "npz", file: v.npz } });
  return customTask({
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

export async function runData(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      list: { type: "boolean" },
      ...TASK_OPTIONS,
      profile: { type: "string" },
      decode: { type: "boolean" },
      size: { type: "string" },
      seed: { type: "string" },
      "allow-missing": { type: "boolean" },
      strict: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(HELP);
    return;
  }
  if (v.list) {
    const tasks = [...TASKS.values()].map((t) => ({ name: t.name, dataset: t.dataset, channels: t.channels, title: t.title, clinical: t.clinical }));
    if (v.json) console.log(JSON.stringify(tasks, null, 2));
    else for (const t of tasks) console.log(`${t.name.padEnd(12)} ${t.title}  [${t.dataset}]`);
    return;
  }
  const task = taskFrom(v);
  const profile = resolveProfile(v.profile);
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
  console.log(`${task.name}: ${task.title}\n  data: ${plan.dir}\n  split: ${task.splitting === "official" ? "the dataset's own train/test (val from train, group-disjoint)" : "seeded group split 70/10/20 (patients/lesions never straddle)"}`);
  console.log(`  ${"class".padEnd(w)}  ${SPLIT_NAMES.map((s) => s.padStart(7)).join("")}`);
  plan.classNames.forEach((c, k) => console.log(`  ${c.padEnd(w)}  ${SPLIT_NAMES.map((s) => String(plan.available[s][k]).padStart(7)).join("")}`));
  console.log(`  duplicates: ${plan.duplicates} extra byte-identical copies (kept in one split); left out: ${plan.excluded} image(s) of other classes`);
  if (report.decoded) {
    const d = report.decoded as { profile: string; size: number; channels: number; seconds: number; perSplit: Record<string, number[]>; skipped: unknown[]; fromCache: Record<string, boolean> };
    const cached = Object.values(d.fromCache).every(Boolean) ? "from cache" : "decoded";
    console.log(`  profile ${d.profile}: ${SPLIT_NAMES.map((s) => `${s} ${d.perSplit[s].reduce((a, b) => a + b, 0)}`).join(", ")} images at ${d.size}x${d.size}x${d.channels}, ${cached} in ${d.seconds.toFixed(1)}s; unreadable: ${d.skipped.length}`);
  }
}
