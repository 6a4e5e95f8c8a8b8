/**
 * The project's keyed result caches (detector results, t-SNE maps, loss landscapes): one JSON file
 * per entry, `<cacheRoot>/<kind>/<key>.json` (MIA_CACHE_DIR moves the root). The caller's key
 * hashes everything the value depends on, so a stale entry is never read; this file only stores
 * and reads. An entry that cannot be read or fails the caller's check (a write cut short, an older
 * layout) counts as absent and is computed again; a cache that cannot be written warns once per
 * kind and loses nothing (the value is still returned to the caller).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "./io";
import { cacheRoot } from "./paths";

/** The file of an entry. */
export function jsonCacheFile(kind: string, key: string, dir?: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`jsonCacheFile: kind must be a lower-case folder name, got '${kind}'`);
  if (!/^[0-9a-f]{8,64}$/.test(key)) throw new Error(`jsonCacheFile: key must be a hex digest, got '${key}'`);
  return path.join(dir ?? cacheRoot(), kind, `${key}.json`);
}

/** The cached value under (kind, key), or undefined when absent, unreadable or refused by `valid`. */
export function readJsonCache<T>(kind: string, key: string, o: { dir?: string; valid?: (v: unknown) => boolean } = {}): T | undefined {
  const file = jsonCacheFile(kind, key, o.dir);
  if (!fs.existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined; // a write cut short: computed again and replaced
  }
  return o.valid && !o.valid(v) ? undefined : (v as T);
}

const warned = new Set<string>();
/** Stores `value` under (kind, key), atomically; returns whether it was stored (an unwritable cache warns once per kind). */
export function writeJsonCache(kind: string, key: string, value: unknown, o: { dir?: string } = {}): boolean {
  const file = jsonCacheFile(kind, key, o.dir);
  try {
    writeFileAtomic(file, JSON.stringify(value));
    return true;
  } catch (e) {
    if (!warned.has(kind)) console.error(`[${kind}] results not cached (${e instanceof Error ? e.message : e}); set MIA_CACHE_DIR to a writable folder to reuse them`);
    warned.add(kind);
    return false;
  }
}

/**
 * A hash of the files a cached result is computed by (compiled .js or .ts sources, absent ones
 * skipped) and the locked dependency versions: part of every key, so changed code never reads an
 * old result.
 */
export function filesHash(files: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    h.update(path.basename(f));
    h.update(fs.readFileSync(f));
  }
  return h.digest("hex");
}

/** Every source file (.js, or .ts when running from the sources; no .d.ts) below `dir`, sorted: a folder's code for filesHash. */
export function codeFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** `<dir>/<module>.js`, or `.ts` when running from the sources: the file a module was loaded from. */
export function moduleFile(dir: string, module: string): string {
  return [".js", ".ts"].map((e) => path.join(dir, module + e)).find((f) => fs.existsSync(f)) ?? path.join(dir, module + ".js");
}

/** What CacheKey hashes of a tensor (tf.Tensor fits; this floor does not import tfjs). */
export interface HashableTensor {
  readonly shape: readonly number[];
  data(): Promise<ArrayBufferView>;
}

/**
 * A cache key built from a JSON header (settings, code hash, backend), models' weights and
 * arrays: each array adds its shape and its bytes, so equal keys mean equal inputs bit for bit.
 * `digest()` gives the 32-hex-digit key of readJsonCache / writeJsonCache.
 */
export class CacheKey {
  private readonly h = createHash("sha256");
  constructor(header: unknown) {
    this.h.update(JSON.stringify(header));
  }
  /** A separator or label (e.g. "model"), so adjacent parts cannot run into each other. */
  text(s: string): this {
    this.h.update(s);
    return this;
  }
  array(shape: readonly number[], d: ArrayBufferView): this {
    this.h.update(JSON.stringify(shape));
    this.h.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    return this;
  }
  async tensor(t: HashableTensor): Promise<this> {
    return this.array(t.shape, await t.data());
  }
  /** Every weight of each model, in order, after a "model" label. */
  async weights(...models: ReadonlyArray<{ getWeights(): HashableTensor[] }>): Promise<this> {
    for (const m of models) {
      this.text("model");
      for (const w of m.getWeights()) await this.tensor(w);
    }
    return this;
  }
  digest(): string {
    return this.h.digest("hex").slice(0, 32);
  }
}
