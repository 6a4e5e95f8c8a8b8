/**
 * Degenerate datasets are refused with the reason and the fix, never trained or scored into a
 * NaN: empty or class-less splits, empty CSV labels, negative .npz labels, class folders one level
 * too deep, a class folder beside the split folders, and --classes naming a class with no images.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { customTask, planTask, requireEveryClass, scanCsvSource, scanImageFolder, scanMedmnist, splitGaps, describeGaps } from "../src/data";
import { writeNpy } from "../src/data/npy";
import { train } from "../src/train";
import { makeZip } from "./support/zip";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

async function png(file: string, grey: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(file);
}

/** `<dir>/<split>/<class>/<k>.png` for each (split, class, count). */
async function folder(layout: Record<string, Record<string, number>>): Promise<string> {
  const dir = tmp("mia-degenerate-");
  for (const [split, classes] of Object.entries(layout)) {
    for (const [cls, n] of Object.entries(classes)) for (let k = 0; k < n; k++) await png(path.join(dir, split, cls, `${cls}-${k}.png`), 20 * k + (cls === "a" ? 0 : 100));
  }
  return dir;
}

test("a test split lacking a class, or with no images, is refused before training with the split and class named", async () => {
  const out = tmp("mia-degenerate-models-");
  const lacking = customTask({ name: "lacking", source: { kind: "imagefolder", dir: await folder({ train: { a: 20, b: 20 }, test: { a: 3 } }) } });
  const plan = planTask(lacking);
  assert.deepEqual(splitGaps(plan).map((g) => [g.split, g.missing]), [["test", ["b"]]]);
  assert.match(describeGaps(splitGaps(plan)), /the test split has no image of 'b' \(3 images of the other classes\)/);
  await assert.rejects(
    train(lacking, { profile: "smoke", out, quiet: true }),
    /Task lacking cannot train or evaluate a model: the test split has no image of 'b'.*Every class needs images in every split/,
  );

  const noTest = customTask({ name: "notest", source: { kind: "imagefolder", dir: await folder({ train: { a: 20, b: 20 } }) } });
  await assert.rejects(train(noTest, { profile: "smoke", out, quiet: true }), /the test split has no images/);
  // Nothing was written for either.
  assert.deepEqual(fs.readdirSync(out), []);

  // The same check guards attacks, on the test split alone.
  const data = { task: lacking, classNames: plan.classNames, available: plan.available };
  assert.throws(() => requireEveryClass(data, ["test"], "be attacked"), /cannot be attacked: the test split has no image of 'b'/);
  assert.doesNotThrow(() => requireEveryClass(data, ["train"]));
});

test("--classes naming a class with no image anywhere is refused, saying which class and where to look", async () => {
  const dir = await folder({ train: { a: 6, b: 6 }, test: { a: 3, b: 3 } });
  const t = customTask({ name: "named", source: { kind: "imagefolder", dir }, classNames: ["a", "b", "c"] });
  const plan = planTask(t);
  assert.deepEqual(splitGaps(plan).map((g) => g.split), ["train", "val", "test"]);
  await assert.rejects(train(t, { profile: "smoke", out: tmp("mia-degenerate-models-"), quiet: true }), /'c' has no image in the whole dataset: check the class names \(--classes\)/);
});

test("an empty label cell in a CSV is an error naming the row, or left out with allowMissing; never a class ''", async () => {
  const dir = tmp("mia-degenerate-csv-");
  for (const k of [1, 2, 3]) await png(path.join(dir, "images", `img${k}.png`), 10 * k);
  const csv = path.join(dir, "labels.csv");
  fs.writeFileSync(csv, "image,label\nimg1.png,cat\nimg2.png,\nimg3.png,dog\n");
  const o = { csv, imageDirs: [path.join(dir, "images")], imageColumn: "image", labelColumn: "label" };
  assert.throws(() => scanCsvSource(o), /labels\.csv row 3: empty 'label' for img2\.png\. Fill in its label or delete the row \(or pass allowMissing, CLI --allow-missing/);
  const items = scanCsvSource({ ...o, allowMissing: true });
  assert.deepEqual(items.map((it) => [it.id, it.rawLabel]), [["images/img1.png", "cat"], ["images/img3.png", "dog"]]);
  const t = customTask({ name: "csv", source: { kind: "csv", csv } });
  assert.deepEqual(planTask(t, { allowMissing: true }).classNames, ["cat", "dog"]);
});

test("negative or fractional labels in an .npz are refused (they would become classes '-1', '-2')", () => {
  const file = path.join(tmp("mia-degenerate-npz-"), "mine.npz");
  const write = (labels: number[], dtype: "int8" | "float32") => {
    const entries = ["train", "val", "test"].flatMap((split) => [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape: [labels.length, 4, 4], data: new Uint8Array(labels.length * 16) }), method: 0 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype, shape: [labels.length, 1], data: labels }), method: 0 as const },
    ]);
    fs.writeFileSync(file, makeZip(entries));
  };
  write([0, 1, -1], "int8");
  assert.throws(() => scanMedmnist(file), /train_labels\[2\] is -1; labels must be class indices 0, 1, 2, \.\.\..*-1 marking "unknown"/);
  write([0, 1.5, 1], "float32");
  assert.throws(() => scanMedmnist(file), /train_labels\[1\] is 1\.5; labels must be class indices/);
  write([0, 1, 2], "int8");
  assert.deepEqual([...new Set(scanMedmnist(file).map((it) => it.rawLabel))], ["0", "1", "2"]);
});

test("class folders one level too deep, and a class folder beside the split folders, are errors naming the folder", async () => {
  const deep = tmp("mia-degenerate-deep-");
  await png(path.join(deep, "train", "images", "a", "1.png"), 10);
  await png(path.join(deep, "train", "images", "b", "1.png"), 200);
  assert.throws(() => scanImageFolder(deep), /train\/images holds folders \(a, b\) but no images: the class folders are one level too deep\. Expected .*train\/<class>\/\*\.png/);

  const deepNoSplit = tmp("mia-degenerate-deep2-");
  await png(path.join(deepNoSplit, "data", "a", "1.png"), 10);
  assert.throws(() => scanImageFolder(deepNoSplit), /data holds folders \(a\) but no images: the class folders are one level too deep/);

  const stray = await folder({ train: { a: 2, b: 2 }, test: { a: 1, b: 1 } });
  await png(path.join(stray, "cat", "1.png"), 10);
  assert.throws(() => scanImageFolder(stray), /has split folders \(test, train\) and other folders beside them \(cat\), which belong to no split\. Move it under a split folder/);
  fs.rmSync(path.join(stray, "cat"), { recursive: true });
  assert.equal(scanImageFolder(stray).length, 6);
});

test("a float64 .npz is refused once for the file, and a split whose every image is unreadable is refused before training", async () => {
  const file = path.join(tmp("mia-degenerate-f64-"), "floats.npz");
  const entries = ["train", "val", "test"].flatMap((split) => [
    { name: `${split}_images.npy`, data: writeNpy({ dtype: "float64", shape: [3, 4, 4], data: new Float64Array(48).fill(0.5) }), method: 0 as const },
    { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [3, 1], data: [0, 1, 0] }), method: 0 as const },
  ]);
  fs.writeFileSync(file, makeZip(entries));
  assert.throws(() => scanMedmnist(file), /floats\.npz: train_images holds float64; images must be uint8 \(0\.\.255\)\. Convert the file, e\.g\. in NumPy/);

  // Every training image unreadable: the split is empty after decoding, and training says so (not a crash inside the optimiser).
  const dir = await folder({ train: { a: 20, b: 20 }, test: { a: 2, b: 2 } });
  for (const cls of ["a", "b"]) for (let k = 0; k < 20; k++) fs.writeFileSync(path.join(dir, "train", cls, `${cls}-${k}.png`), `broken ${k}`);
  const t = customTask({ name: "unreadable", source: { kind: "imagefolder", dir } });
  await assert.rejects(train(t, { profile: "smoke", out: tmp("mia-degenerate-models-"), quiet: true }), /cannot train or evaluate a model: the train split has no images; the val split has no images/);
});
