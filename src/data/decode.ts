/**
 * Decoding and resizing with sharp (libvips), never hand-written codecs. A bounded pool of
 * in-flight images keeps both cores busy while memory stays flat: each image is decoded and
 * shrunk straight into its slot of one preallocated Uint8Array.
 */
import * as os from "node:os";
import sharp from "sharp";
import * as fs from "node:fs";
import { CIFAR_SIDE, cifarRecordToHwc } from "./cifar-binary";
import { NpzFile, type NpyArray } from "./npy";
import type { ImageRef } from "./sources";

export type Channels = 1 | 3;

export interface DecodeOptions {
  readonly size: number;
  readonly channels: Channels;
  /** Images in flight at once (default: 2 per core). */
  readonly concurrency?: number;
  /** Throw on the first unreadable image instead of skipping it. */
  readonly strict?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DecodeResult {
  /** n x size x size x channels, uint8, row-major (NHWC). Slots of failed images are zero. */
  readonly pixels: Uint8Array;
  /** ok[i] is false where image i could not be decoded. */
  readonly ok: boolean[];
  readonly errors: Array<{ index: number; reason: string }>;
}

// libvips' own threads would compete with our pool on 2 cores; one per image is enough.
sharp.concurrency(1);
sharp.cache(false);

/** Rows of .npz arrays, loaded once per (file, key). */
class NpzRows {
  private files = new Map<string, NpzFile>();
  private arrays = new Map<string, NpyArray>();
  image(ref: Extract<ImageRef, { kind: "npz" }>): { data: Uint8Array; width: number; height: number; channels: number } {
    const k = `${ref.file}#${ref.key}`;
    let arr = this.arrays.get(k);
    if (arr === undefined) {
      let f = this.files.get(ref.file);
      if (f === undefined) this.files.set(ref.file, (f = NpzFile.open(ref.file)));
      arr = f.get(ref.key);
      if (arr.dtype !== "uint8") throw new Error(`${ref.file}: ${ref.key} is ${arr.dtype}; expected uint8 images`);
      if (arr.shape.length !== 3 && arr.shape.length !== 4) throw new Error(`${ref.file}: ${ref.key} has shape (${arr.shape}); expected (N,H,W) or (N,H,W,C)`);
      this.arrays.set(k, arr);
    }
    const [, height, width, channels = 1] = arr.shape;
    const per = height * width * channels;
    const data = (arr.data as Uint8Array).subarray(ref.index * per, (ref.index + 1) * per);
    return { data, width, height, channels };
  }
  private batches = new Map<string, Uint8Array>();
  /** Record `index` of a CIFAR-10 binary batch as 32x32 HWC RGB; each batch file is read once. */
  cifar(ref: Extract<ImageRef, { kind: "cifar-binary" }>): { data: Uint8Array; width: number; height: number; channels: number } {
    let b = this.batches.get(ref.file);
    if (b === undefined) this.batches.set(ref.file, (b = new Uint8Array(fs.readFileSync(ref.file))));
    return { data: cifarRecordToHwc(b, ref.index), width: CIFAR_SIDE, height: CIFAR_SIDE, channels: 3 };
  }
  close(): void {
    for (const f of this.files.values()) f.close();
    this.batches.clear();
  }
}

async function decodeOne(ref: ImageRef, o: DecodeOptions, rows: NpzRows): Promise<Buffer> {
  let img: sharp.Sharp;
  if (ref.kind === "file") {
    img = sharp(ref.path, { failOn: "error" });
  } else {
    const r = ref.kind === "npz" ? rows.image(ref) : rows.cifar(ref);
    img = sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels as 1 | 3 | 4 } });
  }
  // fit "fill" squashes to a square as Keras' flow_from_directory did for the paper.
  img = img.removeAlpha().resize(o.size, o.size, { fit: "fill" });
  img = o.channels === 1 ? img.toColourspace("b-w") : img.toColourspace("srgb");
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== o.channels || data.length !== o.size * o.size * o.channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${o.size}x${o.size}x${o.channels}`);
  }
  return data;
}

const describe = (ref: ImageRef): string => (ref.kind === "file" ? ref.path : ref.kind === "npz" ? `${ref.file}:${ref.key}[${ref.index}]` : `${ref.file}[${ref.index}]`);

export async function decodeImages(refs: readonly ImageRef[], o: DecodeOptions): Promise<DecodeResult> {
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > 4096) throw new Error(`image size must be an integer in 1..4096, got ${o.size}`);
  if (o.channels !== 1 && o.channels !== 3) throw new Error(`channels must be 1 or 3, got ${o.channels}`);
  const per = o.size * o.size * o.channels;
  const pixels = new Uint8Array(refs.length * per);
  const ok = new Array<boolean>(refs.length).fill(false);
  const errors: Array<{ index: number; reason: string }> = [];
  const rows = new NpzRows();
  let next = 0;
  let done = 0;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (next < refs.length && failure === undefined) {
      const i = next++;
      try {
        pixels.set(await decodeOne(refs[i], o, rows), i * per);
        ok[i] = true;
      } catch (err) {
        const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
        if (o.strict) failure = new Error(`Cannot decode ${describe(refs[i])}: ${reason} (strict mode; without it unreadable images are skipped and reported).`);
        errors.push({ index: i, reason: `${describe(refs[i])}: ${reason}` });
      }
      done++;
      o.onProgress?.(done, refs.length);
    }
  };
  const n = Math.max(1, o.concurrency ?? 2 * os.availableParallelism());
  try {
    await Promise.all(Array.from({ length: Math.min(n, refs.length) }, worker));
  } finally {
    rows.close();
  }
  if (failure) throw failure;
  errors.sort((a, b) => a.index - b.index);
  return { pixels, ok, errors };
}
