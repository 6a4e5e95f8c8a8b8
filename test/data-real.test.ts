/**
 * The real datasets in ../shared/data (read-only): counts, leakage-free splits, class names,
 * and a small decode. Fails (does not skip) when the data is missing: every CI machine has it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadTask, planTask, type SplitName, type TaskPlan } from "../src/data";

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const totals = (p: TaskPlan) => p.classNames.map((_, c) => sum((["train", "val", "test"] as SplitName[]).map((s) => p.available[s][c])));

function assertGroupDisjoint(p: TaskPlan): void {
  const where = new Map<string, SplitName>();
  p.assigned.forEach((s, i) => {
    if (s === null) return;
    const prev = where.get(p.groups[i]);
    assert.ok(prev === undefined || prev === s, `${p.task.name}: group ${p.groups[i]} in ${prev} and ${s}`);
    where.set(p.groups[i], s);
  });
}

test("cxr: Kermany counts, official test split, patient-disjoint val, duplicates kept together", () => {
  const p = planTask("cxr");
  assert.deepEqual(p.classNames, ["NORMAL", "PNEUMONIA"]);
  assert.deepEqual(p.available.test, [234, 390]);
  assert.deepEqual([p.available.train[0] + p.available.val[0], p.available.train[1] + p.available.val[1]], [1341, 3875]);
  assert.equal(p.droppedTrainTestDuplicates, 0, "the README says no duplicate crosses train/test");
  assert.ok(p.duplicates >= 30, `30 groups of byte-identical duplicates (found ${p.duplicates} extra copies)`);
  p.items.forEach((it, i) => assert.equal(p.assigned[i] === "test", it.official === "test", it.id));
  // Patients (person<id>_<type>, IM-<id>) never straddle train, val and the official test.
  assertGroupDisjoint(p);
  assert.equal(p.groups[p.items.findIndex((it) => it.id === "test/PNEUMONIA/person100_bacteria_475.jpeg")], "person100_bacteria");
  // The validation share is ~10% of train, per class.
  for (const c of [0, 1]) {
    const share = p.available.val[c] / (p.available.train[c] + p.available.val[c]);
    assert.ok(Math.abs(share - 0.1) < 0.02, `val share ${share}`);
  }
  // Patients were parsed from the names: far fewer groups than images.
  assert.ok(new Set(p.groups).size < p.items.length * 0.75);
});

test("cxr3: normal / bacterial / viral from file names match the dataset's README", () => {
  const p = planTask("cxr3");
  assert.deepEqual(totals(p), [1341 + 234, 2530 + 242, 1345 + 148]);
  assert.deepEqual(p.available.test, [234, 242, 148]);
});

test("dr and dr5: EyePACS patient-disjoint (both eyes together), grades 0..4 as in trainLabels.csv", () => {
  const p5 = planTask("dr5");
  assert.deepEqual(totals(p5), [4913, 477, 1045, 173, 134]);
  assertGroupDisjoint(p5);
  const p = planTask("dr");
  assert.deepEqual(totals(p), [4913 + 477, 1045 + 173 + 134]);
  assertGroupDisjoint(p);
  assert.equal(new Set(p.groups).size, 3372, "3,372 patients");
  for (const [s, f] of [["train", 0.7], ["val", 0.1], ["test", 0.2]] as const) {
    const share = sum(p.available[s]) / p.items.length;
    assert.ok(Math.abs(share - f) < 0.02, `${s} share ${share}`);
  }
});

test("derm and derm-k: HAM10000 lesion-disjoint; derm-7 classes by frequency", () => {
  const p = planTask("derm");
  assert.deepEqual(p.classNames, ["nv", "mel"]);
  assert.deepEqual(totals(p), [6705, 1113]);
  assertGroupDisjoint(p);
  const p7 = planTask("derm-7");
  assert.deepEqual(p7.classNames, ["nv", "mel", "bkl", "bcc", "akiec", "vasc", "df"]);
  assert.deepEqual(totals(p7), [6705, 1113, 1099, 514, 327, 142, 115]);
  assertGroupDisjoint(p7);
  assert.equal(new Set(p7.groups).size, 7470, "7,470 lesions");
  assert.deepEqual(planTask("derm-3").classNames, ["nv", "mel", "bkl"]);
});

test("cifar10 / cifar2 official splits; retinamnist official train/val/test from the .npz", () => {
  const c = planTask("cifar2");
  assert.deepEqual(c.available.test, [1000, 1000]);
  assert.deepEqual([c.available.train[0] + c.available.val[0], c.available.train[1] + c.available.val[1]], [5000, 5000]);
  assert.equal(c.excluded, 48000);
  const r = planTask("retinamnist");
  assert.deepEqual([sum(r.available.train), sum(r.available.val), sum(r.available.test)], [1080, 120, 400]);
  assert.equal(r.classNames.length, 5);
});

test("real images decode to the profile's size, in [0,1], with real contrast", async () => {
  for (const [task, channels] of [["cxr", 1], ["derm", 3], ["cifar2", 3], ["retinamnist", 3]] as const) {
    const d = await loadTask(task, { profile: "smoke", splits: ["test"], quiet: true });
    const s = d.splits.test!;
    assert.equal(d.channels, channels);
    assert.equal(s.pixels.length, s.n * 32 * 32 * channels);
    assert.equal(s.n, 16 * d.classNames.length, `${task}: smoke takes 16 test images per class`);
    let lo = 255, hi = 0, total = 0;
    for (const v of s.pixels) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      total += v;
    }
    const mean = total / s.pixels.length / 255;
    assert.ok(hi - lo > 150 && mean > 0.1 && mean < 0.9, `${task}: range ${lo}..${hi}, mean ${mean.toFixed(2)}`);
    assert.deepEqual(d.skipped, []);
  }
});
