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
import { REPO_ROOT } from "../config/paths";
import { filesHash, moduleFile, readJsonCache, writeJsonCache } from "../config/json-cache";
import type { FeatureSet } from "./types";

let code: string | undefined;
/** Hash of the code a detector result depends on (computed once per process). */
function codeHash(): string {
  return (code ??= filesHash([
    ...fs.readdirSync(__dirname).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts")).sort().map((f) => path.join(__dirname, f)),
    ...["features/deep", "train/metrics", "data/split"].map((m) => moduleFile(path.join(__dirname, ".."), m)),
    path.join(REPO_ROOT, "package-lock.json"),
  ]));
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

/** The cached JSON value under `key`, or undefined (absent or unreadable). */
export function readDetectCache<T>(key: string, dir?: string): T | undefined {
  return readJsonCache<T>("detect", key, { dir });
}

/** Store a value under `key` (atomically). A cache that cannot be written only warns: the result is not lost. */
export function writeDetectCache(key: string, value: unknown, dir?: string): void {
  writeJsonCache("detect", key, value, { dir });
}
