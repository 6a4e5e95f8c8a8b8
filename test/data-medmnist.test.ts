/** MedMNIST .npz files through the whole loader: grey and RGB, official splits, resizing, bad files. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { customTask, loadTask, scanMedmnist } from "../src/data";
import { writeNpy } from "../src/data/npy";
import { makeZip } from "./support/zip";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-medmnist-"));

/** A MedMNIST-style file: per split, n grey (N,H,W) or RGB (N,H,W,3) images of constant value 10*label. */
function writeMedmnist(file: string, o: { side: number; rgb: boolean; n: Record<string, number>; drop?: string }): void {
  const entries = ["train", "val", "test"].flatMap((split) => {
    const n = o.n[split];
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const per = o.side * o.side * (o.rgb ? 3 : 1);
    const pixels = new Uint8Array(n * per);
    labels.forEach((l, i) => pixels.fill(10 * l + 5, i * per, (i + 1) * per));
    const shape = o.rgb ? [n, o.side, o.side, 3] : [n, o.side, o.side];
    return [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape, data: pixels }), method: 8 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 1], data: labels }), method: 0 as const },
    ];
  });
  fs.writeFileSync(file, makeZip(entries.filter((e) => e.name !== o.drop)));
}

test("a grey MedMNIST-style .npz loads with its official splits, resized, pixels intact", async () => {
  const file = path.join(dir, "pneumoniamnist_like.npz");
  writeMedmnist(file, { side: 28, rgb: false, n: { train: 9, val: 3, test: 6 } });
  const task = customTask({ name: "grey-npz", channels: 1, source: { kind: "npz", file } });
  assert.equal(task.splitting, "official");
  const d = await loadTask(task, { size: 16, perClass: { train: null, val: null, test: null }, cache: false, quiet: true });
  assert.deepEqual(d.classNames, ["0", "1", "2"]);
  assert.deepEqual([d.splits.train!.n, d.splits.val!.n, d.splits.test!.n], [9, 3, 6]);
  const t = d.splits.test!;
  t.labels.forEach((l, i) => assert.ok(t.pixels.subarray(i * 256, (i + 1) * 256).every((v) => v === 10 * l + 5), `image ${i}`));
});

test("an RGB .npz at 64x64 becomes grey on request (like-for-like with X-rays)", async () => {
  const file = path.join(dir, "rgb64.npz");
  writeMedmnist(file, { side: 64, rgb: true, n: { train: 3, val: 3, test: 3 } });
  const d = await loadTask(customTask({ name: "rgb-npz", source: { kind: "npz", file } }), { size: 8, channels: 1, splits: ["test"], cache: false, quiet: true });
  assert.equal(d.splits.test!.pixels.length, 3 * 64);
  assert.equal(d.splits.test!.pixels[64], 15, "a constant grey RGB image stays the same grey level");
});

test("an .npz missing a key or cut short is a clear error", () => {
  const missing = path.join(dir, "missing.npz");
  writeMedmnist(missing, { side: 28, rgb: false, n: { train: 2, val: 2, test: 2 }, drop: "val_labels.npy" });
  assert.throws(() => scanMedmnist(missing), /lacks key\(s\) val_labels \(it has: .*\)\. A MedMNIST file has train_images, train_labels, val_images, val_labels, test_images, test_labels/);
  const cut = path.join(dir, "cut.npz");
  writeMedmnist(cut, { side: 28, rgb: false, n: { train: 4, val: 2, test: 2 } });
  const bytes = fs.readFileSync(cut);
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.throws(() => scanMedmnist(cut), /truncated|incomplete/i);
});
