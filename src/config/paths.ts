/**
 * Every place this project writes or reads its own files, decided here and nowhere else: the
 * repository root and, below it, the roots of models, attack results, decoded caches, registered
 * custom tasks, pretrained weights, figures and study reports. Each root has one environment
 * variable that moves it. On the ground floor so that every floor may use it. (Where *datasets*
 * are found is a search over several places: data/root.ts.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseTaskList } from "./profiles";

/** The repository root (dist/src/config -> repo, or src/config -> repo when run from sources). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "src"))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, "..", "..", "..");
})();

type Env = NodeJS.ProcessEnv;
/** The folder an environment variable names, else the default below the repository root. */
const root = (env: Env, variable: string, ...fallback: string[]): string => path.resolve(env[variable]?.trim() || path.join(REPO_ROOT, ...fallback));

/** Trained models, one folder per profile / task / architecture: MIA_MODELS_DIR, else data/models. */
export const modelsRoot = (env: Env = process.env): string => root(env, "MIA_MODELS_DIR", "data", "models");
/** Attack sweeps, adversarial sets and features: MIA_RESULTS_DIR, else data/results. */
export const resultsRoot = (env: Env = process.env): string => root(env, "MIA_RESULTS_DIR", "data", "results");
/** Decoded and resized pixels: MIA_CACHE_DIR, else data/cache. */
export const cacheRoot = (env: Env = process.env): string => root(env, "MIA_CACHE_DIR", "data", "cache");
/** Custom tasks registered by name (one JSON recipe each): MIA_CUSTOM_TASKS_DIR, else data/tasks. */
export const customTasksDir = (env: Env = process.env): string => root(env, "MIA_CUSTOM_TASKS_DIR", "data", "tasks");
/** Pretrained weights, read from and fetched into: MIA_WEIGHTS_DIR, else data/weights. */
export const weightsRoot = (env: Env = process.env): string => root(env, "MIA_WEIGHTS_DIR", "data", "weights");
/** `mia study` reports, build/reports/<profile>/<task>/ unless --out: MIA_REPORTS_DIR, else build/reports. */
export const studyDir = (profile: string, task: string, env: Env = process.env): string => path.join(root(env, "MIA_REPORTS_DIR", "build", "reports"), profile, task);

/** A name made safe as one folder name: anything but letters, digits, '.', '_' and '-' becomes '_'. */
export const safeSegment = (s: string): string => s.replace(/[^\w.-]+/g, "_");

/** One run's folder below a root: <root>/<profile>/<task>/<model> (models and results alike). */
export function runFolder(root: string, profile: string, task: string, model: string): string {
  return path.join(root, safeSegment(profile), safeSegment(task), safeSegment(model));
}

/**
 * Where figures go: MIA_FIGURES_DIR, else figures/; on the smoke profile (MIA_PROFILE=smoke, from
 * the runner, a Jupyter UI or a shell) build/figures/smoke/, since smoke figures prove the pipeline
 * and must not replace a real run's figures/ and INDEX.md; with MIA_TASKS=a,b a subfolder
 * tasks-a+b/ of either, so a run on chosen tasks never replaces the profile's figures.
 */
export function figuresDir(env: Env = process.env): string {
  const set = env.MIA_FIGURES_DIR?.trim();
  if (set) return path.resolve(set);
  const base = (env.MIA_PROFILE ?? "").trim().toLowerCase() === "smoke" ? path.join(REPO_ROOT, "build", "figures", "smoke") : path.join(REPO_ROOT, "figures");
  const tasks = parseTaskList(env.MIA_TASKS);
  return tasks ? path.join(base, `tasks-${tasks.join("+")}`) : base;
}
