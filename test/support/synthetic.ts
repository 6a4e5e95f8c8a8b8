/** Small datasets with a known answer, for training tests. */
import * as fs from "node:fs";
import { writeNpy } from "../../src/data/npy";
import { makeZip } from "./zip";

/**
 * Grey side x side images (default 12x12, 48 training and 16 val/test images): class 0 dark, class 1
 * bright, with per-pixel noise (a task any net solves). Other sizes for the device training run.
 */
export function syntheticNpz(file: string, o: { side?: number; train?: number; eval?: number } = {}): void {
  const side = o.side ?? 12;
  const px2 = side * side;
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const entries = (["train", "val", "test"] as const).flatMap((split) => {
    const n = split === "train" ? (o.train ?? 48) : (o.eval ?? 16);
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const px = new Uint8Array(n * px2);
    labels.forEach((l, i) => {
      for (let k = 0; k < px2; k++) px[i * px2 + k] = Math.round((l ? 150 : 60) + 60 * rand());
    });
    return [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape: [n, side, side], data: px }), method: 0 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 1], data: labels }), method: 0 as const },
    ];
  });
  fs.writeFileSync(file, makeZip(entries));
}

