/**
 * On-disk cache of decoded pixels, so a second run does not decode again. One entry per
 * (dataset, size, channels, split, exact list of images): `<root>/<dataset>/<S>x<S>x<C>/
 * <split>-<hash>.u8` with a JSON sidecar. Written to a temporary name and renamed, so an
 * interrupted run never leaves a half-written entry; a damaged entry is ignored and rebuilt.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../config/io";

/** Bump when decoding changes (resize kernel, colour handling) to invalidate old entries. */
export const CACHE_FORMAT = 2;

export interface CacheMeta {
  readonly format: number;
  readonly dataset: string;
  readonly split: string;
  readonly size: number;
  readonly channels: number;
  readonly n: number;
  readonly ids: readonly string[];
  readonly ok: readonly boolean[];
  readonly errors: ReadonlyArray<{ index: number; reason: string }>;
  readonly source: string;
  /** SHA-1 of the pixel file: bytes damaged on disk are found (and decoded again), not served. */
  readonly sha1?: string;
}

export interface CacheEntry {
  readonly meta: CacheMeta;
  readonly pixels: Uint8Array;
}

/**
 * `stamps[i]` (size and mtime of image i's file) joins the key, so an image replaced in place is
 * decoded again rather than served from its old pixels.
 */
export function cachePaths(root: string, key: { dataset: string; split: string; size: number; channels: number; source: string; ids: readonly string[]; stamps?: readonly string[] }) {
  if (key.stamps !== undefined && key.stamps.length !== key.ids.length) throw new Error(`cachePaths: ${key.stamps.length} stamps for ${key.ids.length} ids`);
  const h = createHash("sha256");
  h.update(`${CACHE_FORMAT}\n${key.source}\n${key.size}\n${key.channels}\n`);
  key.ids.forEach((id, i) => h.update(key.stamps ? `${id}|${key.stamps[i]}\n` : id + "\n"));
  const dir = path.join(root, key.dataset.replace(/[^\w.-]+/g, "_"), `${key.size}x${key.size}x${key.channels}`);
  const base = path.join(dir, `${key.split}-${h.digest("hex").slice(0, 16)}`);
  return { dir, data: `${base}.u8`, meta: `${base}.json` };
}

export function readCache(p: { data: string; meta: string }, expectIds: readonly string[]): CacheEntry | undefined {
  try {
    if (!fs.existsSync(p.meta) || !fs.existsSync(p.data)) return undefined;
    const meta = JSON.parse(fs.readFileSync(p.meta, "utf8")) as CacheMeta;
    const bytes = meta.n * meta.size * meta.size * meta.channels;
    if (meta.format !== CACHE_FORMAT || meta.n !== expectIds.length || fs.statSync(p.data).size !== bytes) return undefined;
    if (meta.ids.some((id, i) => id !== expectIds[i])) return undefined;
    const buf = fs.readFileSync(p.data);
    if (meta.sha1 === undefined || createHash("sha1").update(buf).digest("hex") !== meta.sha1) return undefined;
    return { meta, pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  } catch {
    return undefined; // unreadable or damaged: decode again
  }
}

export function writeCache(p: { dir: string; data: string; meta: string }, entry: CacheEntry): void {
  // Data first, then the sidecar: a reader only trusts an entry whose sidecar exists.
  const hint = "Free space, or set MIA_CACHE_DIR to a writable folder (the cache only saves decoding time).";
  writeFileAtomic(p.data, entry.pixels, hint);
  writeFileAtomic(p.meta, JSON.stringify({ ...entry.meta, sha1: createHash("sha1").update(entry.pixels).digest("hex") }), hint);
}
