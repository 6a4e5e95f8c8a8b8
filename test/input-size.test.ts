import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inputSizeModelName, inputSizeSweep, inputSizeVerdicts, matchSchedule, skillMatches, type InputSizeRow } from "../src/attacks/input-size";
import { architecture, baseModelName } from "../src/models/registry";
import { resolveProfile } from "../src/config";

/** A synthetic row: `radii` per image, at `size` px with `skill`. */
function row(task: string, size: number, skill: number, radii: number[], seed = 0, epochs?: number): InputSizeRow {
  const role = epochs === undefined ? undefined : ("skill-match" as const);
  return { task, size, inputValues: size * size, seed, model: `m@px${size}${epochs ? `e${epochs}` : ""}`, classes: 2, testAccuracy: 0.9, testAuc: 0.9, usable: true, cleanAccuracy: 0.5 + skill / 2, skill, pgdAt1: 0, epsHalf: null, radii, rows: [], trainSeconds: 0, reused: false, epochs, role };
}
// The synthetic sets below have one seed per model; the rule that a verdict needs three has its own test.
const ONE_SEED = { minSeeds: 1 };
const spread = (centre: number, n = 40) => Array.from({ length: n }, (_, i) => centre * (0.8 + (0.4 * i) / (n - 1)));

test("inputSizeVerdicts: medical smaller at every size and at matched skill holds; the other way does not; no skill match is not testable", () => {
  const rows = [32, 64, 128].flatMap((s) => [row("cxr", s, 0.6, spread(8 / Math.sqrt(s))), row("cifar10", s, 0.55, spread(32 / Math.sqrt(s)))]);
  const v = inputSizeVerdicts(rows, ["cifar10"], ONE_SEED);
  assert.deepEqual(v.bySize.map((c) => c.verdict.word), ["holds", "holds", "holds"]);
  assert.equal(v.matched.verdict.word, "holds");
  assert.equal(v.verdict.word, "holds");
  assert.match(v.verdict.text, /matched size and skill/);
  // radius ∝ (side²)^-1/4 here: the log-log slope on input values is -0.25 on both sides.
  assert.ok(Math.abs(v.slopes.medical + 0.25) < 1e-9 && Math.abs(v.slopes.natural + 0.25) < 1e-9, JSON.stringify(v.slopes));
  assert.ok(Math.abs(v.bySize[0].medicalMedian - 8 / Math.sqrt(32)) < 1e-9);

  const reversed = inputSizeVerdicts(rows.map((r) => ({ ...r, task: r.task === "cxr" ? "cifar10" : "cxr" })), ["cifar10"], ONE_SEED);
  assert.equal(reversed.verdict.word, "does not hold");

  // Skills 0.9 apart: sizes still compare, but nothing is matched on skill.
  const far = inputSizeVerdicts(rows.map((r) => (r.task === "cxr" ? { ...r, skill: 0.95 } : { ...r, skill: 0.05 })), ["cifar10"], ONE_SEED);
  assert.equal(far.bySize[1].verdict.word, "holds");
  assert.equal(far.matched.medical.length, 0);
  assert.equal(far.verdict.word, "not testable here");
  assert.match(far.verdict.text, /within 0.1 of each other's clean skill/);

  // A model not better than its majority class never counts.
  const unusable = inputSizeVerdicts(rows.map((r) => (r.task === "cifar10" ? { ...r, usable: false } : r)), ["cifar10"], ONE_SEED);
  assert.equal(unusable.bySize[0].verdict.word, "not testable here");
  assert.match(unusable.bySize[0].verdict.text, /no usable natural model at 32 px/);

  // Overlapping radii: not resolved.
  const same = inputSizeVerdicts([row("cxr", 32, 0.5, spread(1)), row("cifar10", 32, 0.5, spread(1))], ["cifar10"], ONE_SEED);
  assert.equal(same.verdict.word, "not resolved at this size");
  assert.ok(Number.isNaN(same.slopes.medical), "one size gives no slope");
});

test("inputSizeVerdicts: a verdict needs three seeds per task and size; with fewer it is not testable, the measured difference kept", () => {
  const seeded = (seeds: number[]) => [32, 64].flatMap((s) => seeds.flatMap((k) => [row("cxr", s, 0.6, spread((8 + k) / Math.sqrt(s)), k), row("cifar10", s, 0.55, spread((32 + k) / Math.sqrt(s)), k)]));
  const three = inputSizeVerdicts(seeded([0, 1, 2]), ["cifar10"]);
  assert.deepEqual([...three.bySize, three.matched].map((c) => c.verdict.word), ["holds", "holds", "holds"]);
  const one = inputSizeVerdicts(seeded([0]), ["cifar10"]);
  const oneMeasured = inputSizeVerdicts(seeded([0]), ["cifar10"], ONE_SEED);
  assert.equal(oneMeasured.verdict.word, "holds", "the single-seed data would hold without the rule");
  for (const [c, m] of [...one.bySize, one.matched].map((c, i) => [c, [...oneMeasured.bySize, oneMeasured.matched][i]] as const)) {
    assert.equal(c.verdict.word, "not testable here");
    assert.match(c.verdict.text, /1 seed per model where a verdict needs 3 \(profile\.inputSize\.seeds/);
    assert.deepEqual(c.verdict.difference, m.verdict.difference, "the measured difference is kept");
    assert.match(c.verdict.text, /measured: difference -/);
  }
  assert.equal(one.verdict.word, "not testable here");
  // The fewest seeds of any (task, size) counts: one task with two seeds at 64 px is not enough.
  const short = inputSizeVerdicts(seeded([0, 1, 2]).filter((r) => !(r.task === "cifar10" && r.size === 64 && r.seed === 2)), ["cifar10"]);
  assert.match(short.verdict.text, /2 seeds per model where a verdict needs 3/);
  // Shorter-schedule models are extra, not seeds: they neither add to nor lower the count.
  const withMatch = inputSizeVerdicts([...seeded([0, 1, 2]), row("cxr", 32, 0.55, spread(1), 0, 2)], ["cifar10"]);
  assert.equal(withMatch.bySize[0].verdict.word, "holds");
  // A "not testable here" for want of models stays as it was.
  const none = inputSizeVerdicts(seeded([0]).filter((r) => r.task !== "cifar10"), ["cifar10"]);
  assert.match(none.bySize[0].verdict.text, /no usable natural model at 32 px/);
  assert.throws(() => inputSizeVerdicts(seeded([0]), ["cifar10"], { minSeeds: 0 }), /minSeeds/);
});

test("inputSizeVerdicts: shorter-schedule models enter only the skill match, one per task (the closest in skill)", () => {
  // Main models: cxr far more skilled than cifar10 at both sizes, so nothing is matched among them.
  const main = [32, 64].flatMap((s) => [row("cxr", s, 0.9, spread(2 / Math.sqrt(s))), row("cifar10", s, 0.4, spread(8 / Math.sqrt(s)))]);
  const without = inputSizeVerdicts(main, ["cifar10"], ONE_SEED);
  assert.equal(without.verdict.word, "not testable here");
  // Shorter cxr schedules at 32 px: skill 0.45 (within 0.1 of 0.4) and 0.32 (also within, but further); radii far larger.
  const short = [row("cxr", 32, 0.45, spread(20), 0, 3), row("cxr", 32, 0.32, spread(30), 0, 2)];
  const v = inputSizeVerdicts([...main, ...short], ["cifar10"], ONE_SEED);
  assert.deepEqual(v.bySize.map((c) => c.medicalMedian), without.bySize.map((c) => c.medicalMedian), "size comparisons ignore the shorter schedules");
  assert.deepEqual(v.slopes, without.slopes);
  assert.deepEqual(v.matched.medical.map((r) => r.model), ["m@px32e3"], "only the closest schedule of cxr at 32 px");
  assert.deepEqual(v.matched.natural.map((r) => `${r.task} ${r.size}`), ["cifar10 32"]);
  assert.ok(Math.abs(v.matched.medicalMedian - 20) < 1e-9);
  // The matched medical model is the more robust one here: the paper's direction is refuted.
  assert.equal(v.verdict.word, "does not hold");
  assert.match(v.verdict.text, /^at matched size and skill/);
});

test("matchSchedule: the shortest schedule within the tolerance; stops at an overshoot; says why when none", async () => {
  const skills = [0.05, 0.2, 0.31, 0.5, 0.7];
  const asked: number[] = [];
  const at = async (e: number) => (asked.push(e), skills[e - 1]);
  const hit = await matchSchedule(0.38, 0.1, 5, at);
  assert.equal(hit.epochs, 3);
  assert.deepEqual(asked, [1, 2, 3], "no schedule after the first match is trained");
  assert.deepEqual(hit.tried.map((t) => t.skill), [0.05, 0.2, 0.31]);
  const over = await matchSchedule(0.1, 0.02, 5, async (e) => skills[e - 1]);
  assert.equal(over.epochs, null);
  assert.deepEqual(over.tried.map((t) => t.epochs), [1, 2], "the search stops once a schedule overshoots");
  assert.match(over.why!, /2 epoch\(s\) already give skill 0.20, above 0.10 \+ 0.02/);
  const short = await matchSchedule(0.9, 0.05, 4, async (e) => skills[e - 1]);
  assert.equal(short.epochs, null);
  assert.equal(short.tried.length, 4);
  assert.match(short.why!, /no schedule of 1-4 epochs comes within 0.05 of skill 0.90/);
  const none = await matchSchedule(0.5, 0.1, 0, at);
  assert.deepEqual([none.epochs, none.tried.length], [null, 0]);
});

test("skillMatches: the more skilled side's shorter schedules, per task even where two tasks' models share a run name", async () => {
  // The cpu run of 2026-12-06 at 64 px: cxr 0.60 and derm 0.58 against cifar10 0.43; both match on 4 epochs.
  const rows = [row("cxr", 64, 0.6, spread(0.7)), row("derm", 64, 0.58, spread(0.7)), row("cifar10", 64, 0.43, spread(0.3))];
  const curve: Record<string, number[]> = { cxr: [0, 0.24, 0.3, 0.46, 0.6], derm: [0, 0.1, 0.2, 0.52, 0.58] };
  const asked: string[] = [];
  const lines: string[] = [];
  const got = await skillMatches(rows, ["cifar10"], 0.1, 5, {
    skillAt: async (task, seed, e) => (asked.push(`${task} ${seed} ${e}`), curve[task][e - 1]),
    // As the sweep names them: architecture, size, seed, schedule; no task.
    measure: async (task, seed, e) => ({ ...row(task, 64, curve[task][e - 1], spread(task === "cxr" ? 0.5 : 0.7), seed, e), model: `resnet20-s2@px64e${e}` }),
    onMatch: (l) => lines.push(l),
  });
  assert.deepEqual(got.map((r) => `${r.task} ${r.epochs} ${r.role}`), ["cxr 4 skill-match", "derm 4 skill-match"], "both tasks' 4-epoch models, though their run names are equal");
  assert.deepEqual(asked, ["cxr 0 1", "cxr 0 2", "cxr 0 3", "cxr 0 4", "derm 0 1", "derm 0 2", "derm 0 3", "derm 0 4"]);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^skill match: cxr 64 px \(skill 0.60\) vs cifar10 \(0.43\): cxr on 4 epoch\(s\) has skill 0.46/);
  // Only the more skilled side is retrained, and an overshoot is reported, not matched.
  const none = await skillMatches([row("cxr", 32, 0.54, spread(1)), row("cifar10", 32, 0.41, spread(0.7))], ["cifar10"], 0.1, 5, {
    skillAt: async (_t, _s, e) => [0, 0.02, 0.3, 0.54, 0.6][e - 1],
    measure: async () => assert.fail("no match, nothing to measure"),
    onMatch: (l) => lines.push(l),
  });
  assert.deepEqual(none, []);
  assert.match(lines[2], /none \(4 epoch\(s\) already give skill 0.54, above 0.41 \+ 0.1; tried 1 ep 0.00, 2 ep 0.02, 3 ep 0.30, 4 ep 0.54\)/);
  // Pairs already within the tolerance, and models no better than their majority class, start no search.
  const quiet = await skillMatches([row("cxr", 32, 0.45, []), row("cifar10", 32, 0.41, []), { ...row("derm", 32, 0.9, []), usable: false }], ["cifar10"], 0.1, 5, {
    skillAt: async () => assert.fail("no search"),
    measure: async () => assert.fail("no search"),
  });
  assert.deepEqual(quiet, []);
});

test("model run tags: <arch>@<tag> is the same architecture in its own run folder; a bad tag is refused", () => {
  assert.equal(baseModelName("resnet20-s2@px128"), "resnet20-s2");
  assert.deepEqual(architecture("resnet20-s2@px128"), architecture("resnet20-s2"));
  assert.deepEqual(architecture("cnn-w4-d2@x"), architecture("cnn-w4-d2"));
  assert.throws(() => architecture("resnet20@a/b"), /tag after '@'/);
  assert.throws(() => architecture("nope@px32"), /Unknown model 'nope@px32'/);
  assert.equal(inputSizeModelName({ model: "resnet20-s2" }, 64, 0), "resnet20-s2@px64");
  assert.equal(inputSizeModelName({ model: "resnet20-s2" }, 64, 2), "resnet20-s2@px64s2");
  assert.equal(inputSizeModelName({ model: "resnet20-s2" }, 64, 0, 3), "resnet20-s2@px64e3");
  assert.equal(baseModelName("resnet20-s2@px64s2e3"), "resnet20-s2");
});

test("inputSizeSweep on smoke: one model per (task, size) at that input size, in its own run folder, with per-image PGD radii", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-input-size-"));
  const saved = { m: process.env.MIA_MODELS_DIR, r: process.env.MIA_RESULTS_DIR };
  process.env.MIA_MODELS_DIR = path.join(dir, "models");
  process.env.MIA_RESULTS_DIR = path.join(dir, "results");
  try {
    const profile = resolveProfile("smoke");
    const rows = await inputSizeSweep({ profile, quiet: true, plan: { tasks: ["cxr"], sizes: [16, 24] } });
    assert.deepEqual(rows.map((r) => [r.task, r.size, r.inputValues, r.model]), [["cxr", 16, 256, "resnet-tiny@px16"], ["cxr", 24, 576, "resnet-tiny@px24"]]);
    for (const r of rows) {
      assert.ok(fs.existsSync(path.join(dir, "models", "smoke", "cxr", r.model.replace("@", "_"), "model.json")), `${r.model} has its own run folder`);
      const clean = r.rows.find((p) => p.eps === 0)!;
      assert.equal(r.radii.length, [...clean.survived].filter((c) => c === "1").length, "one radius per correctly classified image");
      assert.ok(r.radii.every((x) => profile.inputSize.pgdGrid.includes(x) || x === 2 * Math.max(...profile.inputSize.pgdGrid)));
      assert.ok(Math.abs(r.skill - (r.cleanAccuracy - 0.5) / 0.5) < 1e-12);
    }
    assert.ok(!fs.existsSync(path.join(dir, "models", "smoke", "cxr", "resnet-tiny")), "the task's main model is not touched");
    const again = await inputSizeSweep({ profile, quiet: true, plan: { tasks: ["cxr"], sizes: [16] } });
    assert.ok(again[0].reused, "a second sweep reuses the trained model");
    assert.deepEqual(again[0].radii, rows[0].radii, "and its cached PGD points");
  } finally {
    process.env.MIA_MODELS_DIR = saved.m;
    process.env.MIA_RESULTS_DIR = saved.r;
    if (saved.m === undefined) delete process.env.MIA_MODELS_DIR;
    if (saved.r === undefined) delete process.env.MIA_RESULTS_DIR;
  }
});
