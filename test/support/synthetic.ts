/** Small datasets with a known answer, for training tests. */
import * as fs from "node:fs";
import { writeNpy } from "../../src/data/npy";
import { makeZip } from "./zip";

/** Grey 12x12 images: class 0 dark, class 1 bright, with per-pixel noise (a task any net solves). */
export function syntheticNpz(file: string): void {
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const entries = (["train", "val", "test"] as const).flatMap((split) => {
    const n = split === "train" ? 48 : 16;
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const px = new Uint8Array(n * 144);
    labels.forEach((l, i) => {
      for (let k = 0; k < 144; k++) px[i * 144 + k] = Math.round((l ? 150 : 60) + 60 * rand());
    });
    return [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 12, 12], data: px }), method: 0 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 1], data: labels }), method: 0 as const },
    ];
  });
  fs.writeFileSync(file, makeZip(entries));
}

