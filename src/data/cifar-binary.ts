/**
 * CIFAR-10 in its official binary form (cifar-10-binary.tar.gz, extracted):
 *   cifar-10-batches-bin/{data_batch_1..5.bin, test_batch.bin, batches.meta.txt}
 * Each record is 1 label byte (0..9) then 3072 pixel bytes: the 1024 red values of the 32x32
 * image in row-major order, then the 1024 green, then the 1024 blue; 10000 records per file.
 * Scanning reads only the label bytes; pixels are read when decoded (decode.ts), as HWC RGB,
 * so they come out exactly as the same images stored as lossless PNGs in an image folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { OfficialSplit, SourceItem } from "./sources";

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;
export const CIFAR_RECORD = 1 + CIFAR_PIXELS;
/** The folder the official tarball extracts to. */
export const CIFAR_BINARY_DIR = "cifar-10-batches-bin";
export const CIFAR_BINARY_FILES: ReadonlyArray<{ file: string; split: OfficialSplit }> = [
  ...[1, 2, 3, 4, 5].map((i) => ({ file: `data_batch_${i}.bin`, split: "train" as const })),
  { file: "test_batch.bin", split: "test" },
];
/** The class order of the official release (batches.meta.txt), label 0..9. */
export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;

/** The folder holding the batch files, given it or the folder above it; null when neither holds them. */
export function findCifarBinaryDir(dir: string): string | null {
  for (const d of [path.join(dir, CIFAR_BINARY_DIR), dir]) {
    if (fs.existsSync(path.join(d, CIFAR_BINARY_FILES[0].file)) || fs.existsSync(path.join(d, "test_batch.bin"))) return d;
  }
  return null;
}

/** Class names from batches.meta.txt (one per line, blank lines ignored); it must name 10 classes. */
export function readCifarMeta(dir: string): string[] {
  const file = path.join(dir, "batches.meta.txt");
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: the CIFAR-10 binary set is incomplete (the official archive holds batches.meta.txt with the 10 class names). Download it again (make data).`);
  }
  const names = fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (names.length !== 10) throw new Error(`${file} names ${names.length} class(es); CIFAR-10 has 10 (${CIFAR10_CLASSES.join(" ")}).`);
  return names;
}

/** Checks one batch file's size and labels; returns the labels. */
export function readCifarLabels(file: string, classes = 10): Uint8Array {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: the CIFAR-10 binary set is incomplete (expected ${CIFAR_BINARY_FILES.map((f) => f.file).join(", ")}). Download it again (make data).`);
  const size = fs.statSync(file).size;
  if (size === 0 || size % CIFAR_RECORD !== 0) {
    throw new Error(
      `${file} is truncated or corrupt: ${size} bytes is not a whole number of ${CIFAR_RECORD}-byte records (1 label byte + ${CIFAR_PIXELS} pixel bytes). Delete it and download CIFAR-10 again (make data).`,
    );
  }
  const n = size / CIFAR_RECORD;
  const labels = new Uint8Array(n);
  const fd = fs.openSync(file, "r");
  try {
    // Read in chunks of whole records; keep only the label bytes.
    const per = 1024;
    const buf = Buffer.alloc(per * CIFAR_RECORD);
    for (let start = 0; start < n; start += per) {
      const count = Math.min(per, n - start);
      const got = fs.readSync(fd, buf, 0, count * CIFAR_RECORD, start * CIFAR_RECORD);
      if (got !== count * CIFAR_RECORD) throw new Error(`${file}: short read at record ${start} (the file changed while reading?).`);
      for (let k = 0; k < count; k++) {
        const l = buf[k * CIFAR_RECORD];
        if (l >= classes) throw new Error(`${file} is corrupt: record ${start + k} has label ${l}; CIFAR-10 labels are 0..${classes - 1}. Delete it and download CIFAR-10 again (make data).`);
        labels[start + k] = l;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return labels;
}

/**
 * The items of an extracted binary set (`dir` is cifar-10-batches-bin/ or the folder above it):
 * data_batch_* are the official train split, test_batch the test split; labels are class names.
 */
export function scanCifarBinary(dir: string): SourceItem[] {
  const bin = findCifarBinaryDir(dir);
  if (bin === null) throw new Error(`No CIFAR-10 binary batches in ${dir}: expected ${CIFAR_BINARY_DIR}/{data_batch_1..5.bin,test_batch.bin,batches.meta.txt}.`);
  const names = readCifarMeta(bin);
  const items: SourceItem[] = [];
  for (const { file, split } of CIFAR_BINARY_FILES) {
    const full = path.join(bin, file);
    const labels = readCifarLabels(full, names.length);
    labels.forEach((l, i) => {
      const id = `${file}[${i}]`;
      items.push({ image: { kind: "cifar-binary", file: full, index: i }, id, rawLabel: names[l], group: id, official: split });
    });
  }
  return items;
}

/** Record `index` of a batch file's bytes as 32x32x3 HWC RGB (planes R, G, B interleaved). */
export function cifarRecordToHwc(batch: Uint8Array, index: number, out: Uint8Array = new Uint8Array(CIFAR_PIXELS)): Uint8Array {
  const start = index * CIFAR_RECORD + 1;
  if (index < 0 || start + CIFAR_PIXELS > batch.length) throw new RangeError(`record ${index} is beyond the end of the batch (${Math.floor(batch.length / CIFAR_RECORD)} records)`);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let p = 0; p < plane; p++) {
    out[3 * p] = batch[start + p];
    out[3 * p + 1] = batch[start + plane + p];
    out[3 * p + 2] = batch[start + 2 * plane + p];
  }
  return out;
}
