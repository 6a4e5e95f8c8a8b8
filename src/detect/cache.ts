/**
 * A cache of detector results (notebook 06 re-runs fit nothing that is already measured). An
 * entry is keyed by a hash of everything the result depends on: the detector's input rows (deep
 * features, labels, predictions, clean/adversarial flags, MC-dropout uncertainty), the protocol's
 * settings, and the code that computes it: the compiled files of src/detect, the feature
 * partition and the metrics, and the locked dependency versions (package-lock.json). Any change
 * to one of them is a different key, so a stale entry is never read. Entries live in
 * `<cacheRoot>/detect/` (MIA_CACHE_DIR moves it); an unreadable entry is computed again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, REPO_ROOT } from "../config/paths";
import type { FeatureSet } from "./types";

let code: string | undefined;
/** Hash of the code a detector result depends on (computed once per process). */
function codeHash(): string {
  if (code) return code;
  const h = createHash("sha256");
  const files = [
    ...fs.readdirSync(__dirname).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts")).sort().map((f) => path.join(__dirname, f)),
    ...["features/deep", "train/metrics", "data/split"].map((m) => [".js", ".ts"].map((e) => path.join(__dirname, "..", m + e)).find((f) => fs.existsSync(f))!),
    path.join(REPO_ROOT, "package-lock.json"),
  ];
  for (const f of files) {
    if (!f || !fs.existsSync(f)) continue;
    h.update(path.basename(f));
    h.update(fs.readFileSync(f));
  }
  return (code = h.digest("hex"));
}

const bytes = (a: ArrayLike<number> | undefined): Buffer => (a === undefined ? Buffer.alloc(0) : Buffer.from(Float64Array.from(a).buffer));

/** A hash of one feature set's rows (the detectors' inputs): computed once per set, not per detector. */
export function featureSetHash(set: FeatureSet): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ n: set.n, d: set.d }));
  for (const a of [set.x, set.labels, set.predicted, set.isAdv, set.groups, set.uncertainty]) {
    const b = bytes(a);
    h.update(String(b.length));
    h.update(b);
  }
  return h.digest("hex");
}

/** The cache key of one detector's result on a feature set (its featureSetHash) under these settings. */
export function detectCacheKey(setHash: string, settings: Record<string, unknown>): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ v: 1, code: codeHash(), set: setHash, settings: Object.fromEntries(Object.entries(settings).sort()) }));
  return h.digest("hex").slice(0, 32);
}

const fileOf = (key: string, dir?: string) => path.join(dir ?? cacheRoot(), "detect", `${key}.json`);

/** The cached JSON value under `key`, or undefined (absent or unreadable). */
export function readDetectCache<T>(key: string, dir?: string): T | undefined {
  const file = fileOf(key, dir);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined; // a write cut short: computed again and replaced
  }
}

let warned = false;
/** Store a value under `key` (written to a new name, then renamed). A cache that cannot be written only warns: the result is not lost. */
export function writeDetectCache(key: string, value: unknown, dir?: string): void {
  const file = fileOf(key, dir);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  } catch (e) {
    if (!warned) console.error(`[detect] results not cached (${e instanceof Error ? e.message : e}); set MIA_CACHE_DIR to a writable folder to reuse them`);
    warned = true;
  }
}
