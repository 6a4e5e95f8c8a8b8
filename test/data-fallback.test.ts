/**
 * Substitute sources written by the downloader, in their exact formats: CIFAR-10's official
 * binary batches and MedMNIST+ <flag>_<size>.npz files; which source wins, which size, what is
 * reported, cache keys per source, and the error when nothing is there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import {
  chooseMedmnistSize,
  CIFAR10_CLASSES,
  CIFAR_RECORD,
  describeSource,
  loadTask,
  planTask,
  readCifarLabels,
  scanCifarBinary,
  taskSource,
  availableTasks,
  sourcesReport,
} from "../src/data";
import { writeNpy } from "../src/data/npy";
import { makeZip } from "./support/zip";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const ALL = { train: null, val: null, test: null };

/** Runs `f` with MIA_DATA_DIR (and a fresh MIA_CACHE_DIR) set, restoring both afterwards. */
async function withRoot<T>(root: string, f: () => T | Promise<T>, cache = tmp("mia-fb-cache-")): Promise<T> {
  const saved = { data: process.env.MIA_DATA_DIR, cache: process.env.MIA_CACHE_DIR };
  process.env.MIA_DATA_DIR = root;
  process.env.MIA_CACHE_DIR = cache;
  try {
    return await f();
  } finally {
    for (const [k, v] of [["MIA_DATA_DIR", saved.data], ["MIA_CACHE_DIR", saved.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// ---------------------------------------------------------------- CIFAR-10 binary

const CIFAR_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];
/** Pixel (plane c, position p) of record r in file f: distinct per image and per channel. */
const px = (f: number, r: number, c: number, p: number) => (p * 7 + c * 85 + r * 31 + f * 11) % 256;
/** Labels per file: two records each, covering cat (3) and dog (5). */
const cifarLabels = (f: number) => [(2 * f + 3) % 10, f % 2 === 0 ? 5 : 3];

/** The record bytes: label, then 1024 R, 1024 G, 1024 B. */
function cifarRecord(f: number, r: number, label: number): Buffer {
  const b = Buffer.alloc(CIFAR_RECORD);
  b[0] = label;
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[1 + c * 1024 + p] = px(f, r, c, p);
  return b;
}

/** The same image as HWC RGB, as a PNG in an image folder would decode. */
function cifarHwc(f: number, r: number): Buffer {
  const b = Buffer.alloc(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) b[3 * p + c] = px(f, r, c, p);
  return b;
}

function writeCifarBinary(root: string): string {
  const dir = path.join(root, "cifar10", "cifar-10-batches-bin");
  fs.mkdirSync(dir, { recursive: true });
  CIFAR_FILES.forEach((name, f) => fs.writeFileSync(path.join(dir, name), Buffer.concat(cifarLabels(f).map((l, r) => cifarRecord(f, r, l)))));
  fs.writeFileSync(path.join(dir, "batches.meta.txt"), CIFAR10_CLASSES.join("\n") + "\n\n");
  return dir;
}

/** The same records as lossless PNGs in the image-folder layout. */
async function writeCifarFolder(root: string): Promise<void> {
  for (const [f, name] of CIFAR_FILES.entries()) {
    for (const [r, l] of cifarLabels(f).entries()) {
      const file = path.join(root, "cifar10", name === "test_batch.bin" ? "test" : "train", CIFAR10_CLASSES[l], `${name}-${r}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await sharp(cifarHwc(f, r), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(file);
    }
  }
}

test("CIFAR-10 binary: planes R,G,B become HWC exactly, class names from batches.meta.txt, official train/test", async () => {
  const root = tmp("mia-fb-cifar-");
  const bin = writeCifarBinary(root);
  await withRoot(root, async () => {
    const d = await loadTask("cifar10", { size: 32, perClass: ALL, cache: false, quiet: true });
    assert.equal(d.source.kind, "cifar-binary");
    assert.equal(d.source.dir, bin);
    assert.deepEqual(d.classNames, [...CIFAR10_CLASSES]);
    const t = d.splits.test!;
    assert.deepEqual(t.ids, ["test_batch.bin[0]", "test_batch.bin[1]"]);
    assert.deepEqual(Array.from(t.labels), cifarLabels(5));
    assert.deepEqual(Buffer.from(t.pixels.subarray(0, 3072)), cifarHwc(5, 0));
    assert.deepEqual(Buffer.from(t.pixels.subarray(3072)), cifarHwc(5, 1));
    // Train batches -> train + val (val carved from train), test_batch -> test.
    assert.equal(d.splits.train!.n + d.splits.val!.n, 10);
    assert.ok([...d.splits.train!.ids, ...d.splits.val!.ids].every((id) => /^data_batch_[1-5]\.bin\[[01]\]$/.test(id)));
    const i = d.splits.train!.ids.indexOf("data_batch_3.bin[1]");
    if (i >= 0) {
      assert.equal(d.splits.train!.labels[i], cifarLabels(2)[1]);
      assert.deepEqual(Buffer.from(d.splits.train!.pixels.subarray(i * 3072, (i + 1) * 3072)), cifarHwc(2, 1));
    }
    assert.match(describeSource("cifar10"), new RegExp(`^cifar10: CIFAR-10 \\(official binary batches.*\\) in ${bin.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}$`));
    // cifar2 keeps only cat and dog.
    const p2 = planTask("cifar2", { size: 32 });
    assert.deepEqual(p2.classNames, ["cat", "dog"]);
    assert.ok(p2.items.every((it) => it.rawLabel === "cat" || it.rawLabel === "dog"));
    assert.equal(p2.items.length, 12 - [0, 1, 2, 3, 4, 5].filter((f) => ![3, 5].includes(cifarLabels(f)[0])).length);
  });
});

test("CIFAR-10 binary gives the same pixels as the image folder (resized too); the image folder wins when both exist", async () => {
  const binRoot = tmp("mia-fb-cifar-bin-");
  writeCifarBinary(binRoot);
  const folderRoot = tmp("mia-fb-cifar-png-");
  await writeCifarFolder(folderRoot);
  for (const size of [32, 16]) {
    const a = await withRoot(binRoot, () => loadTask("cifar10", { size, splits: ["test"], cache: false, quiet: true }));
    const b = await withRoot(folderRoot, () => loadTask("cifar10", { size, splits: ["test"], cache: false, quiet: true }));
    assert.equal(a.source.kind, "cifar-binary");
    assert.equal(b.source.kind, "raw");
    assert.deepEqual(Array.from(a.splits.test!.labels), Array.from(b.splits.test!.labels));
    assert.deepEqual(a.splits.test!.pixels, b.splits.test!.pixels, `size ${size}`);
  }
  // Both layouts in one root: the image folder is read.
  writeCifarBinary(folderRoot);
  await withRoot(folderRoot, () => {
    const s = taskSource("cifar10");
    assert.equal(s.kind, "raw");
    assert.equal(s.dir, path.join(folderRoot, "cifar10"));
  });
});

test("CIFAR-10 binary: truncated files, bad labels and missing files are clear errors", () => {
  const root = tmp("mia-fb-cifar-bad-");
  const bin = writeCifarBinary(root);
  const file = path.join(bin, "data_batch_2.bin");
  const good = fs.readFileSync(file);
  fs.writeFileSync(file, good.subarray(0, good.length - 100));
  assert.throws(() => scanCifarBinary(bin), /data_batch_2\.bin is truncated or corrupt: 6046 bytes is not a whole number of 3073-byte records \(1 label byte \+ 3072 pixel bytes\)/);
  fs.writeFileSync(file, Buffer.alloc(0));
  assert.throws(() => readCifarLabels(file), /truncated or corrupt: 0 bytes/);
  const bad = Buffer.from(good);
  bad[CIFAR_RECORD] = 10;
  fs.writeFileSync(file, bad);
  assert.throws(() => scanCifarBinary(path.dirname(bin)), /data_batch_2\.bin is corrupt: record 1 has label 10; CIFAR-10 labels are 0\.\.9/);
  fs.writeFileSync(file, good);
  assert.equal(scanCifarBinary(bin).length, 12);
  fs.rmSync(path.join(bin, "data_batch_4.bin"));
  assert.throws(() => scanCifarBinary(bin), /data_batch_4\.bin is missing: the CIFAR-10 binary set is incomplete/);
  fs.writeFileSync(path.join(bin, "data_batch_4.bin"), good);
  fs.writeFileSync(path.join(bin, "batches.meta.txt"), "cat\ndog\n");
  assert.throws(() => scanCifarBinary(bin), /batches\.meta\.txt names 2 class\(es\); CIFAR-10 has 10/);
  fs.rmSync(path.join(bin, "batches.meta.txt"));
  assert.throws(() => scanCifarBinary(bin), /batches\.meta\.txt is missing/);
});

// ---------------------------------------------------------------- MedMNIST+

/**
 * A MedMNIST+-style <flag>_<side>.npz: labels per split as given, each image constant at
 * 20 * label + 5 + side % 7 (so the label and the file can be read back from any pixel).
 */
function writeMedmnist(file: string, o: { side: number; rgb: boolean; labels: Record<"train" | "val" | "test", number[]> }): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const entries = (["train", "val", "test"] as const).flatMap((split) => {
    const labels = o.labels[split];
    const n = labels.length;
    const per = o.side * o.side * (o.rgb ? 3 : 1);
    const pixels = new Uint8Array(n * per);
    labels.forEach((l, i) => pixels.fill(20 * l + 5 + (o.side % 7), i * per, (i + 1) * per));
    return [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape: o.rgb ? [n, o.side, o.side, 3] : [n, o.side, o.side], data: pixels }), method: 8 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 1], data: labels }), method: 0 as const },
    ];
  });
  fs.writeFileSync(file, makeZip(entries));
}
const pixelLabel = (v: number, side: number) => (v - 5 - (side % 7)) / 20;

const repeat = (counts: number[]) => counts.flatMap((c, label) => Array<number>(c).fill(label));
// DermaMNIST order: 0 akiec, 1 bcc, 2 bkl, 3 df, 4 mel, 5 nv, 6 vasc; counts make nv > mel > bkl > bcc > akiec > vasc > df.
const DERM_COUNTS = [5, 6, 7, 2, 8, 12, 3];
const DERM = { train: repeat(DERM_COUNTS), val: repeat([1, 1, 1, 1, 1, 1, 1]), test: repeat([1, 1, 1, 1, 2, 2, 1]) };

test("cxr from pneumoniamnist_64.npz: NORMAL/PNEUMONIA, MedMNIST's own train/val/test, source reported", async () => {
  const root = tmp("mia-fb-pneu-");
  const file = path.join(root, "medmnist", "pneumoniamnist_64.npz");
  writeMedmnist(file, { side: 64, rgb: false, labels: { train: [0, 1, 1, 0, 1, 1], val: [1, 0], test: [0, 1, 1] } });
  await withRoot(root, async () => {
    const d = await loadTask("cxr", { size: 16, perClass: ALL, cache: false, quiet: true });
    assert.deepEqual(d.classNames, ["NORMAL", "PNEUMONIA"]);
    assert.equal(d.source.kind, "medmnist");
    assert.equal(d.source.file, file);
    assert.equal(d.source.size, 64);
    // The file's val is kept as val (no merge into train, nothing carved).
    assert.deepEqual([d.splits.train!.n, d.splits.val!.n, d.splits.test!.n], [6, 2, 3]);
    assert.deepEqual(d.splits.val!.ids, ["pneumoniamnist_64.npz:val[0]", "pneumoniamnist_64.npz:val[1]"]);
    assert.deepEqual(Array.from(d.splits.test!.labels), [0, 1, 1]);
    for (const s of [d.splits.train!, d.splits.val!, d.splits.test!]) s.labels.forEach((l, i) => assert.equal(pixelLabel(s.pixels[i * 256], 64), l));
    const line = describeSource("cxr", { size: 16 });
    assert.equal(line, `cxr: ${d.source.description} in ${file}`);
    assert.match(line, /^cxr: PneumoniaMNIST \(MedMNIST\+: Kermany's .*\), 64x64 in /);
    assert.deepEqual(planTask("cxr", { size: 16 }).source, d.source);
  });
});

test("derm and derm-k from dermamnist_64.npz: DermaMNIST's label order mapped onto HAM10000's dx codes", async () => {
  const root = tmp("mia-fb-derm-");
  writeMedmnist(path.join(root, "medmnist", "dermamnist_64.npz"), { side: 64, rgb: true, labels: DERM });
  await withRoot(root, async () => {
    const d = await loadTask("derm", { size: 8, perClass: ALL, cache: false, quiet: true });
    assert.deepEqual(d.classNames, ["nv", "mel"]);
    assert.equal(d.source.kind, "medmnist");
    // Only DermaMNIST labels 5 (nv -> 0) and 4 (mel -> 1), official splits.
    const dermLabel = { 0: 5, 1: 4 } as Record<number, number>;
    for (const s of [d.splits.train!, d.splits.val!, d.splits.test!]) s.labels.forEach((l, i) => assert.equal(pixelLabel(s.pixels[i * 192], 64), dermLabel[l]));
    assert.deepEqual([d.splits.train!.n, d.splits.val!.n, d.splits.test!.n], [12 + 8, 2, 4]);
    assert.equal(d.excluded, DERM.train.length + DERM.val.length + DERM.test.length - 26);

    const d7 = await loadTask("derm-7", { size: 8, perClass: ALL, cache: false, quiet: true });
    // By frequency, as for the raw HAM10000 metadata.
    assert.deepEqual(d7.classNames, ["nv", "mel", "bkl", "bcc", "akiec", "vasc", "df"]);
    const order = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"];
    for (const s of [d7.splits.train!, d7.splits.test!]) s.labels.forEach((l, i) => assert.equal(order[pixelLabel(s.pixels[i * 192], 64)], d7.classNames[l]));
    assert.equal(d7.splits.train!.n, DERM.train.length);
    const p3 = planTask("derm-3", { size: 8 });
    assert.deepEqual(p3.classNames, ["nv", "mel", "bkl"]);
  });
});

test("dr and dr5 from retinamnist_64.npz: referable = grade >= 2; the source says DeepDRiD, not EyePACS", async () => {
  const root = tmp("mia-fb-retina-");
  writeMedmnist(path.join(root, "medmnist", "retinamnist_64.npz"), { side: 64, rgb: true, labels: { train: [0, 1, 2, 3, 4, 0, 1], val: [2, 0], test: [4, 1, 2, 0] } });
  await withRoot(root, async () => {
    const d = await loadTask("dr", { size: 8, perClass: ALL, cache: false, quiet: true });
    assert.deepEqual(d.classNames, ["non-referable", "referable"]);
    assert.deepEqual(Array.from(d.splits.test!.labels), [1, 0, 1, 0]);
    assert.deepEqual(Array.from(d.splits.train!.labels), [0, 0, 1, 1, 1, 0, 0]);
    assert.match(d.source.description, /RetinaMNIST .*DeepDRiD.*NOT Kaggle EyePACS/);
    const p5 = planTask("dr5", { size: 8 });
    assert.deepEqual(p5.labels.slice(0, 7), [0, 1, 2, 3, 4, 0, 1]);
    assert.equal(p5.splitting, "official");
  });
});

test("MedMNIST+ size: the smallest >= the requested image size, else the largest", async () => {
  assert.equal(chooseMedmnistSize([64, 128, 224], 64), 64);
  assert.equal(chooseMedmnistSize([64, 128, 224], 100), 128);
  assert.equal(chooseMedmnistSize([64, 128, 224], 300), 224);
  assert.equal(chooseMedmnistSize([128, 64], 300), 128);
  assert.equal(chooseMedmnistSize([128, 224], 32), 128);
  const root = tmp("mia-fb-size-");
  const labels = { train: [0, 1], val: [0, 1], test: [0, 1] };
  for (const side of [64, 128]) writeMedmnist(path.join(root, "medmnist", `pneumoniamnist_${side}.npz`), { side, rgb: false, labels });
  await withRoot(root, async () => {
    assert.equal(taskSource("cxr", { size: 64 }).size, 64);
    assert.equal(taskSource("cxr", { size: 100 }).size, 128);
    assert.equal(taskSource("cxr", { size: 300 }).size, 128, "none >= 300: the largest");
    assert.match(taskSource("cxr", { size: 100 }).file!, /pneumoniamnist_128\.npz$/);
    // Without a size, the profile's image size decides (smoke: 32 -> 64).
    assert.equal(taskSource("cxr", { profile: "smoke" }).size, 64);
    // The pixels come from the chosen file.
    const d = await loadTask("cxr", { size: 100, splits: ["test"], perClass: ALL, cache: false, quiet: true });
    assert.equal(pixelLabel(d.splits.test!.pixels[0], 128), 0);
    writeMedmnist(path.join(root, "medmnist", "pneumoniamnist_224.npz"), { side: 224, rgb: false, labels });
    assert.equal(taskSource("cxr", { size: 300 }).size, 224);
  });
  // A folder passed as `dir` (a data root of one's own) is searched the same way.
  const s = taskSource("cxr", { dir: root, size: 100 });
  assert.equal(s.kind, "medmnist");
  assert.equal(s.file, path.join(root, "medmnist", "pneumoniamnist_128.npz"));
});

/** A tiny Kermany-layout folder of PNGs. */
async function kermany(root: string): Promise<string> {
  const dir = path.join(root, "chest-xray-pneumonia");
  for (const [split, cls, name, grey] of [
    ["train", "NORMAL", "IM-0001-0001.png", 40],
    ["train", "NORMAL", "IM-0002-0001.png", 41],
    ["train", "PNEUMONIA", "person1_bacteria_1.png", 200],
    ["train", "PNEUMONIA", "person2_virus_2.png", 201],
    ["test", "NORMAL", "IM-0100-0001.png", 90],
    ["test", "PNEUMONIA", "person100_bacteria_1.png", 190],
  ] as const) {
    fs.mkdirSync(path.join(dir, split, cls), { recursive: true });
    await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(path.join(dir, split, cls, name));
  }
  return dir;
}

test("the raw set wins over MedMNIST+; cache entries never cross sources", async () => {
  const root = tmp("mia-fb-both-");
  const raw = await kermany(root);
  writeMedmnist(path.join(root, "medmnist", "pneumoniamnist_64.npz"), { side: 64, rgb: false, labels: { train: [0, 1], val: [0, 1], test: [0, 1] } });
  const cache = tmp("mia-fb-cache-");
  await withRoot(
    root,
    async () => {
      const opts = { size: 8, splits: ["test" as const], quiet: true };
      const a = await loadTask("cxr", opts);
      assert.equal(a.source.kind, "raw");
      assert.equal(a.source.dir, raw);
      assert.match(a.source.description, /Kermany chest X-rays \(raw JPEGs\)/);
      assert.equal(describeSource("cxr"), `cxr: Kermany chest X-rays (raw JPEGs) in ${raw}`);
      assert.equal(a.fromCache.test, false);
      assert.deepEqual(Array.from(a.splits.test!.pixels.subarray(0, 1)), [90]);
      const rawPlan = planTask("cxr", { size: 8 });
      // Raw data gone: the substitute is read, decoded afresh, never served from the raw's cache.
      fs.renameSync(raw, raw + "-away");
      const b = await loadTask("cxr", opts);
      assert.equal(b.source.kind, "medmnist");
      assert.equal(b.fromCache.test, false);
      assert.equal(pixelLabel(b.splits.test!.pixels[0], 64), 0);
      const mmPlan = planTask("cxr", { size: 8 });
      assert.notEqual(mmPlan.datasetKey, rawPlan.datasetKey);
      assert.notEqual(mmPlan.cacheSource, rawPlan.cacheSource);
      assert.equal((await loadTask("cxr", opts)).fromCache.test, true, "the substitute's own entry is reused");
      // Raw back: its own entry again, with its own pixels.
      fs.renameSync(raw + "-away", raw);
      const c = await loadTask("cxr", opts);
      assert.equal(c.source.kind, "raw");
      assert.equal(c.fromCache.test, true);
      assert.deepEqual(c.splits.test!.pixels, a.splits.test!.pixels);
      // Another MedMNIST+ size is another entry.
      writeMedmnist(path.join(root, "medmnist", "pneumoniamnist_128.npz"), { side: 128, rgb: false, labels: { train: [0, 1], val: [0, 1], test: [0, 1] } });
      fs.renameSync(raw, raw + "-away");
      const d = await loadTask("cxr", { ...opts, size: 100 });
      assert.equal(d.source.size, 128);
      assert.equal(d.fromCache.test, false);
      assert.equal(pixelLabel(d.splits.test!.pixels[0], 128), 0);
    },
    cache,
  );
});

test("nothing there: the error lists what is missing, every place looked, the files that would do and the fix", async () => {
  const root = tmp("mia-fb-empty-");
  // An empty dataset folder is not the dataset.
  fs.mkdirSync(path.join(root, "chest-xray-pneumonia"));
  await withRoot(root, () => {
    assert.throws(() => planTask("cxr"), (e: Error) => {
      const m = e.message;
      assert.match(m, /^Dataset 'chest-xray-pneumonia' not found\. Looked in:\n/);
      assert.match(m, /Task 'cxr' has no data: neither its raw dataset 'chest-xray-pneumonia' \(Kermany chest X-rays \(raw JPEGs\)\) nor a MedMNIST\+ substitute \(pneumoniamnist\) was found/);
      assert.ok(m.includes(`${path.join(root, "chest-xray-pneumonia")} (MIA_DATA_DIR): the folder exists but lacks the layout below`), m);
      assert.ok(m.includes(`${path.join(root, "medmnist")} (MIA_DATA_DIR)`), m);
      assert.match(m, /expected layout: chest-xray-pneumonia\/\{train,test\}\/\{NORMAL,PNEUMONIA\}/);
      assert.match(m, /medmnist\/pneumoniamnist_64\.npz, medmnist\/pneumoniamnist_128\.npz, medmnist\/pneumoniamnist_224\.npz/);
      assert.match(m, /make data.*npm run mia -- data --fetch/);
      assert.match(m, /MIA_DATA_DIR/);
      return true;
    });
    assert.throws(() => describeSource("cifar10"), /cifar10\/cifar-10-batches-bin .*\n.*data_batch_1\.\.5\.bin,test_batch\.bin,batches\.meta\.txt/);
    assert.throws(() => planTask("dr"), /retinamnist_64\.npz[\s\S]*Kaggle account/);
    assert.throws(() => planTask("cxr3"), (e: Error) => {
      assert.match(e.message, /No MedMNIST\+ substitute: PneumoniaMNIST keeps only normal\/pneumonia/);
      assert.match(e.message, /Fix: download the raw dataset .*Mendeley.*as 'chest-xray-pneumonia\/'.*MIA_DATA_DIR/);
      return true;
    });
  });
  // A substitute never stands in for cxr3.
  writeMedmnist(path.join(root, "medmnist", "pneumoniamnist_64.npz"), { side: 64, rgb: false, labels: { train: [0, 1], val: [0, 1], test: [0, 1] } });
  await withRoot(root, () => {
    assert.equal(taskSource("cxr").kind, "medmnist");
    assert.throws(() => planTask("cxr3"), /has no data/);
  });
});

test("availableTasks / sourcesReport: with only the public substitutes, cxr3 is left out with its reason, not an error", async () => {
  const root = tmp("mia-fb-avail-");
  writeMedmnist(path.join(root, "medmnist", "pneumoniamnist_64.npz"), { side: 64, rgb: false, labels: { train: [0, 1], val: [0, 1], test: [0, 1] } });
  await withRoot(root, () => {
    const r = availableTasks(["cxr", "cxr3", "derm"]);
    assert.deepEqual(r.available, ["cxr"]);
    assert.deepEqual(r.missing.map((m) => m.task), ["cxr3", "derm"]);
    for (const m of r.missing) assert.match(m.reason, /not found/);
    const report = sourcesReport(["cxr", "cxr3"]);
    assert.match(report, /^Data sources:\n {2}cxr: .*pneumoniamnist_64\.npz\n {2}cxr3: MISSING \(/);
  });
});
