/** Loaders on generated fixtures (exact pixels, corrupt files, bad CSVs) and the cache. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { findDataset, getTask, loadTask, planTask, scanHam10000, scanKaggleDr, TASK_NAMES } from "../src/data";
import { tf } from "../src/backend";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

async function png(file: string, grey: number, w = 20, h = 16): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(file);
}

/** A tiny Kermany-layout folder: grey value encodes the class, one duplicate pair, one corrupt file. */
async function kermanyFixture(): Promise<string> {
  const dir = tmp("mia-cxr-");
  for (let p = 0; p < 6; p++) {
    await png(path.join(dir, "train/NORMAL", `IM-00${p}0-0001.png`), 40 + p);
    await png(path.join(dir, "train/PNEUMONIA", `person${p}_bacteria_${p}.png`), 200 + p);
    await png(path.join(dir, "train/PNEUMONIA", `person${p + 10}_virus_${p}.png`), 150 + p);
  }
  // Byte-identical duplicate under another patient's name, and a copy of a test image in train.
  fs.copyFileSync(path.join(dir, "train/PNEUMONIA/person1_bacteria_1.png"), path.join(dir, "train/PNEUMONIA/person99_bacteria_9.png"));
  await png(path.join(dir, "test/NORMAL", "IM-0900-0001.png"), 90);
  await png(path.join(dir, "test/PNEUMONIA", "person900_virus_1.png"), 190);
  fs.copyFileSync(path.join(dir, "test/NORMAL/IM-0900-0001.png"), path.join(dir, "train/NORMAL/IM-0950-0001.png"));
  fs.writeFileSync(path.join(dir, "train/NORMAL/IM-0999-0001.jpeg"), Buffer.from("this is not a jpeg at all"));
  fs.writeFileSync(path.join(dir, "train/NORMAL/.DS_Store"), "x");
  return dir;
}

test("ImageFolder with splits: exact pixels in [0,1], labels, corrupt image skipped and reported", async (t) => {
  const dir = await kermanyFixture();
  const warn = t.mock.method(console, "warn", () => {});
  const data = await loadTask("cxr", { dir, size: 8, perClass: { train: null, val: null, test: null }, cache: false, quiet: true });
  assert.equal(warn.mock.callCount(), 0, "quiet means quiet");
  warn.mock.restore();
  assert.deepEqual(data.classNames, ["NORMAL", "PNEUMONIA"]);
  assert.equal(data.channels, 1);
  const test = data.splits.test!;
  assert.deepEqual(test.ids, ["test/NORMAL/IM-0900-0001.png", "test/PNEUMONIA/person900_virus_1.png"]);
  assert.deepEqual(Array.from(test.labels), [0, 1]);
  // Constant images stay constant through resize: pixel value = the grey level.
  assert.ok(test.pixels.subarray(0, 64).every((v) => v === 90));
  assert.ok(test.pixels.subarray(64, 128).every((v) => v === 190));
  const { x, y } = test.toTensors();
  assert.deepEqual(x.shape, [2, 8, 8, 1]);
  assert.ok(Math.abs((await x.max().data())[0] - 190 / 255) < 1e-6);
  assert.deepEqual(Array.from(await y.data()), [0, 1]);
  tf.dispose([x, y]);
  // The corrupt file is skipped, counted and named; nothing else is lost.
  assert.equal(data.skipped.length, 1);
  assert.match(data.skipped[0].id, /IM-0999-0001\.jpeg$/);
  const total = (["train", "val"] as const).reduce((s, k) => s + data.splits[k]!.n, 0);
  // Files in train: 6 normal + 12 pneumonia + 1 duplicate + 1 copy of a test image + 1 corrupt;
  // the corrupt one is skipped and the copy of the test image dropped.
  assert.equal(total, 6 + 12 + 1 + 1 + 1 - 1 - 1);
  assert.equal(data.droppedTrainTestDuplicates, 1, "the train copy of a test image is dropped");
  assert.equal(data.duplicates, 2);
});

test("Kaggle's Kermany layout: a tiny official val/ folder joins train and val is carved by patient", async () => {
  const dir = await kermanyFixture();
  await png(path.join(dir, "val/NORMAL", "IM-0777-0001.png"), 77);
  await png(path.join(dir, "val/PNEUMONIA", "person777_virus_1.png"), 177);
  const plan = planTask("cxr", { dir });
  const i = plan.items.findIndex((it) => it.id === "val/NORMAL/IM-0777-0001.png");
  assert.ok(i >= 0 && plan.items[i].official === "val");
  // Validation was carved from train (plus the merged val images), not left at the folder's 2 images.
  assert.ok(plan.items.some((it, k) => it.official === "train" && plan.assigned[k] === "val"), "val carved from train");
  // Every image of the official val folder is in train or val, chosen with the rest of train by patient.
  assert.ok(plan.items.every((it, k) => it.official !== "val" || plan.assigned[k] === "train" || plan.assigned[k] === "val"));
  assert.equal(plan.available.test.reduce((a, b) => a + b, 0), 2);
});

test("duplicates share a split; strict mode turns a corrupt image into an error naming it", async () => {
  const dir = await kermanyFixture();
  for (const seed of [0, 1, 2, 3]) {
    const plan = planTask("cxr", { dir, seed });
    const a = plan.items.findIndex((it) => it.id.endsWith("person1_bacteria_1.png"));
    const b = plan.items.findIndex((it) => it.id.endsWith("person99_bacteria_9.png"));
    assert.equal(plan.groups[a], plan.groups[b]);
    assert.equal(plan.assigned[a], plan.assigned[b], `seed ${seed}`);
  }
  await assert.rejects(loadTask("cxr", { dir, size: 8, perClass: { train: null }, cache: false, strict: true, quiet: true, splits: ["train", "val"] }), /Cannot decode .*IM-0999-0001\.jpeg: .*strict mode/);
});

test("cxr3 labels come from file names; channels can be overridden for like-for-like comparisons", async () => {
  const dir = await kermanyFixture();
  const data = await loadTask("cxr3", { dir, size: 4, channels: 3, cache: false, quiet: true, splits: ["test"] });
  assert.deepEqual(data.classNames, ["normal", "bacterial", "viral"]);
  assert.deepEqual(Array.from(data.splits.test!.labels), [0, 2]);
  assert.equal(data.splits.test!.pixels.length, 2 * 4 * 4 * 3);
  assert.ok(data.splits.test!.pixels.subarray(0, 48).every((v) => v === 90), "grey repeated to RGB");
});

test("the cache is reused on a second load and rebuilt when damaged", async () => {
  const dir = await kermanyFixture();
  const cacheDir = tmp("mia-cache-");
  process.env.MIA_CACHE_DIR = cacheDir;
  try {
    const opts = { dir, size: 6, quiet: true, splits: ["test" as const] };
    const first = await loadTask("cxr", opts);
    assert.equal(first.fromCache.test, false);
    const second = await loadTask("cxr", opts);
    assert.equal(second.fromCache.test, true);
    assert.deepEqual(second.splits.test!.pixels, first.splits.test!.pixels);
    const files: string[] = [];
    const walk = (d: string): void => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name))));
    walk(cacheDir);
    const u8 = files.find((f) => f.endsWith(".u8"))!;
    assert.match(u8, /6x6x1[/\\]test-[0-9a-f]{16}\.u8$/, "keyed by size, channels and split");
    fs.truncateSync(u8, 10);
    const third = await loadTask("cxr", opts);
    assert.equal(third.fromCache.test, false, "a damaged entry is not trusted");
    assert.deepEqual(third.splits.test!.pixels, first.splits.test!.pixels);
    // Same size, one byte flipped: the checksum finds it.
    assert.equal((await loadTask("cxr", opts)).fromCache.test, true);
    const bytes = fs.readFileSync(u8);
    bytes[3] ^= 0xff;
    fs.writeFileSync(u8, bytes);
    const fourth = await loadTask("cxr", opts);
    assert.equal(fourth.fromCache.test, false, "damaged bytes of the right size are not served");
    assert.deepEqual(fourth.splits.test!.pixels, first.splits.test!.pixels);
  } finally {
    delete process.env.MIA_CACHE_DIR;
  }
});

test("the cache is keyed on each file's size and mtime: an image changed in place is decoded again; strict refuses cached failures", async () => {
  const dir = await kermanyFixture();
  const cacheDir = tmp("mia-cache-stamp-");
  process.env.MIA_CACHE_DIR = cacheDir;
  try {
    const opts = { dir, size: 4, quiet: true, splits: ["test" as const] };
    const first = await loadTask("cxr", opts);
    assert.equal(first.fromCache.test, false);
    assert.ok(first.splits.test!.pixels.subarray(0, 16).every((v) => v === 90));
    // Same name, new content (and a later mtime): never the old pixels.
    const file = path.join(dir, "test/NORMAL/IM-0900-0001.png");
    await png(file, 30);
    const later = new Date(fs.statSync(file).mtimeMs + 5000);
    fs.utimesSync(file, later, later);
    const second = await loadTask("cxr", opts);
    assert.equal(second.fromCache.test, false, "a changed file is not served from the cache");
    assert.ok(second.splits.test!.pixels.subarray(0, 16).every((v) => v === 30), "the new pixels");
    assert.equal((await loadTask("cxr", opts)).fromCache.test, true, "unchanged since: cached again");

    // A corrupt image, cached as unreadable: without strict it is skipped (from the cache), with strict refused.
    const trainOpts = { dir, size: 4, quiet: true, perClass: { train: null, val: null }, splits: ["train" as const, "val" as const] };
    const lenient = await loadTask("cxr", trainOpts);
    assert.ok(lenient.skipped.some((s) => s.id.endsWith("IM-0999-0001.jpeg")));
    const cached = await loadTask("cxr", trainOpts);
    assert.ok(cached.fromCache.train && cached.fromCache.val);
    await assert.rejects(loadTask("cxr", { ...trainOpts, strict: true }), /Cannot decode .*IM-0999-0001\.jpeg: .*strict mode, remembered by the decode cache/);
  } finally {
    delete process.env.MIA_CACHE_DIR;
  }
});

test("CSV sources: missing images, unlabelled images, unknown labels and missing columns are clear errors", async () => {
  const dir = tmp("mia-ham-");
  await png(path.join(dir, "images/ISIC_1.jpg"), 10);
  await png(path.join(dir, "images/ISIC_2.jpg"), 20);
  const meta = (rows: string[]) => fs.writeFileSync(path.join(dir, "HAM10000_metadata.csv"), ["lesion_id,image_id,dx,dx_type", ...rows].join("\n"));
  meta(["HAM_1,ISIC_1,mel,histo", "HAM_1,ISIC_2,mel,histo"]);
  assert.equal(scanHam10000(dir).length, 2);
  meta(["HAM_1,ISIC_1,mel,histo", "HAM_1,ISIC_2,mel,histo", "HAM_2,ISIC_3,nv,histo"]);
  assert.throws(() => scanHam10000(dir), /1 row\(s\) of HAM10000_metadata\.csv have no image .*ISIC_3.*allowMissing \(CLI: --allow-missing\)/);
  assert.equal(scanHam10000(dir, { allowMissing: true }).length, 2);
  meta(["HAM_1,ISIC_1,mel,histo"]);
  assert.throws(() => scanHam10000(dir), /1 image\(s\) have no row in HAM10000_metadata\.csv \(e\.g\. ISIC_2\.jpg\)/);
  meta(["HAM_1,ISIC_1,melanoma,histo", "HAM_1,ISIC_2,mel,histo"]);
  assert.throws(() => scanHam10000(dir), /row 2: unknown dx 'melanoma' for ISIC_1 \(expected one of: akiec, bcc, bkl, df, mel, nv, vasc\)/);
  fs.writeFileSync(path.join(dir, "HAM10000_metadata.csv"), "image,dx\nISIC_1,mel\n");
  assert.throws(() => scanHam10000(dir), /lacks column\(s\) image_id, lesion_id \(it has: image, dx\)/);

  const dr = tmp("mia-dr-");
  await png(path.join(dr, "images/1_left.jpeg"), 10);
  await png(path.join(dr, "images/1_right.jpeg"), 10);
  fs.writeFileSync(path.join(dr, "trainLabels.csv"), "image,level\n1_left,0\n1_right,7\n");
  assert.throws(() => scanKaggleDr(dr), /row 3: unknown level '7'/);
  fs.writeFileSync(path.join(dr, "trainLabels.csv"), "image,level\n1_left,0\n1_right,3\n");
  const items = scanKaggleDr(dr);
  assert.deepEqual(items.map((i) => i.group), ["1", "1"], "both eyes of patient 1 share a group");
});

test("unknown tasks and missing datasets: errors list the choices, the layout and where we looked", () => {
  assert.throws(() => getTask("xray"), new RegExp(`Unknown task 'xray'\\. Valid tasks: ${TASK_NAMES.join(", ")}`));
  assert.throws(() => getTask("derm-k"), /derm-k is a family: use derm-2 \.\.\. derm-7/);
  const empty = tmp("mia-empty-");
  assert.throws(() => findDataset("ham10000", { env: { MIA_DATA_DIR: empty } }), (e: Error) => {
    assert.match(e.message, /Dataset 'ham10000' not found\. Looked in:/);
    assert.ok(e.message.includes(path.join(empty, "ham10000")) && e.message.includes("(MIA_DATA_DIR)"));
    assert.match(e.message, /images\/ISIC_\*\.jpg \+ HAM10000_metadata\.csv/);
    return true;
  });
  assert.throws(() => findDataset("cifar10", { env: { MIA_DATA_DIR: path.join(empty, "nope") } }), /MIA_DATA_DIR=.*nope is not a folder/);
  assert.throws(() => findDataset("cifar10", { dir: path.join(empty, "mine") }), /does not exist \(expected cifar10:/);
});
