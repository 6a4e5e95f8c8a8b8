/** MedMNIST v2 .npz files: keys {train,val,test}_{images,labels}, labels (N,1). */
import * as path from "node:path";
import { NpzFile } from "./npy";
import type { OfficialSplit, SourceItem } from "./sources";

const SPLITS: OfficialSplit[] = ["train", "val", "test"];

/**
 * The items of a MedMNIST(+) .npz with its official splits. `labelNames[k]` names label k as the
 * raw source would (e.g. DermaMNIST's 4 -> "mel"); without it the raw label is the number.
 */
export function scanMedmnist(file: string, options: { labelNames?: readonly string[] } = {}): SourceItem[] {
  const npz = NpzFile.open(file);
  try {
    const need = SPLITS.flatMap((s) => [`${s}_images`, `${s}_labels`]);
    const missing = need.filter((k) => !npz.has(k));
    if (missing.length > 0) {
      throw new Error(`${file} lacks key(s) ${missing.join(", ")} (it has: ${npz.keys().join(", ")}). A MedMNIST file has ${need.join(", ")}.`);
    }
    const items: SourceItem[] = [];
    const name = path.basename(file);
    for (const split of SPLITS) {
      const images = npz.get(`${split}_images`);
      const labels = npz.get(`${split}_labels`);
      // Checked once for the file, not image by image at decode time.
      if (images.dtype !== "uint8") {
        throw new Error(`${file}: ${split}_images holds ${images.dtype}; images must be uint8 (0..255). Convert the file, e.g. in NumPy for floats in [0, 1]: np.clip(np.round(x * 255), 0, 255).astype(np.uint8).`);
      }
      if (images.shape.length !== 3 && !(images.shape.length === 4 && [1, 3, 4].includes(images.shape[3]))) {
        throw new Error(`${file}: ${split}_images has shape (${images.shape}); expected (N, H, W) grey or (N, H, W, 3) colour images.`);
      }
      const n = images.shape[0];
      if (labels.shape[0] !== n) throw new Error(`${file}: ${split}_labels has ${labels.shape[0]} rows but ${split}_images has ${n}.`);
      if (labels.shape.length > 1 && labels.shape.slice(1).reduce((a, b) => a * b, 1) !== 1) {
        throw new Error(`${file}: ${split}_labels has shape (${labels.shape}); multi-label MedMNIST sets (e.g. ChestMNIST) are not supported, only one label per image.`);
      }
      const names = options.labelNames;
      for (let i = 0; i < n; i++) {
        const id = `${name}:${split}[${i}]`;
        const l = Number(labels.data[i]);
        let rawLabel = String(l);
        if (!(Number.isInteger(l) && l >= 0)) {
          // Labels are class indices; -1 or 2.5 would become classes of their own.
          throw new Error(`${file}: ${split}_labels[${i}] is ${l}; labels must be class indices 0, 1, 2, ... Fix the file (a common cause: -1 marking "unknown"; drop those rows).`);
        }
        if (names !== undefined) {
          if (l >= names.length) throw new Error(`${file}: ${split}_labels[${i}] is ${l}; this file's labels are 0..${names.length - 1} (${names.join(", ")}). Is it the right MedMNIST file?`);
          rawLabel = names[l];
        }
        items.push({ image: { kind: "npz", file, key: `${split}_images`, index: i }, id, rawLabel, group: id, official: split });
      }
    }
    return items;
  } finally {
    npz.close();
  }
}
