import { test } from "node:test";
import assert from "node:assert/strict";
import { advPartition, groupStratifiedSplit, limitPerClass, mergeDuplicateGroups, rng, shuffled } from "../src/data/split";

test("rng and shuffle are deterministic per seed and differ across seeds", () => {
  const a = rng(42);
  const b = rng(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const items = Array.from({ length: 50 }, (_, i) => i);
  assert.deepEqual(shuffled(items, 1), shuffled(items, 1));
  assert.notDeepEqual(shuffled(items, 1), shuffled(items, 2));
  assert.deepEqual([...shuffled(items, 3)].sort((x, y) => x - y), items, "a permutation");
});

test("groupStratifiedSplit: groups never divided, fractions per label close to target, deterministic", () => {
  const labels: number[] = [];
  const groups: string[] = [];
  // 400 patients, 1-3 images each, 20% positive patients.
  const r = rng(7);
  for (let p = 0; p < 400; p++) {
    const k = 1 + Math.floor(r() * 3);
    for (let j = 0; j < k; j++) {
      labels.push(p % 5 === 0 ? 1 : 0);
      groups.push(`p${p}`);
    }
  }
  const fr = { train: 0.7, val: 0.1, test: 0.2 };
  const s = groupStratifiedSplit(labels, groups, fr, 0);
  assert.deepEqual(s, groupStratifiedSplit(labels, groups, fr, 0));
  assert.notDeepEqual(s, groupStratifiedSplit(labels, groups, fr, 1));
  const splitOfGroup = new Map<string, string>();
  s.forEach((sp, i) => {
    const prev = splitOfGroup.get(groups[i]);
    assert.ok(prev === undefined || prev === sp, `group ${groups[i]} in ${prev} and ${sp}`);
    splitOfGroup.set(groups[i], sp);
  });
  for (const label of [0, 1]) {
    const idx = labels.flatMap((l, i) => (l === label ? [i] : []));
    for (const [name, f] of Object.entries(fr)) {
      const share = idx.filter((i) => s[i] === name).length / idx.length;
      assert.ok(Math.abs(share - f) < 0.03, `label ${label} ${name}: ${share.toFixed(3)} vs ${f}`);
    }
  }
  assert.throws(() => groupStratifiedSplit([0], ["a"], { a: -1 }, 0), /bad fractions/);
  assert.throws(() => groupStratifiedSplit([0, 1], ["a"], { a: 1 }, 0), /differ in length/);
});

test("mergeDuplicateGroups joins the groups of identical content, transitively", () => {
  const g = mergeDuplicateGroups(["p1", "p2", "p3", "p4", "p2"], ["h1", "h1", "h2", "h3", "h3"]);
  // p1~p2 (h1), p2~p4 (h3): p1, p2, p4 one group; p3 alone.
  assert.equal(g[0], g[1]);
  assert.equal(g[1], g[3]);
  assert.equal(g[3], g[4]);
  assert.notEqual(g[2], g[0]);
});

test("limitPerClass keeps at most N of each label, deterministically", () => {
  const labels = [0, 0, 0, 0, 1, 1, 1, 2];
  const idx = labels.map((_, i) => i);
  const kept = limitPerClass(idx, labels, 2, 5);
  assert.deepEqual(kept, limitPerClass(idx, labels, 2, 5));
  const counts = [0, 0, 0];
  for (const i of kept) counts[labels[i]]++;
  assert.deepEqual(counts, [2, 2, 1]);
  assert.deepEqual(limitPerClass(idx, labels, null, 5), idx);
});

test("advPartition: AdvTrain/AdvTest disjoint by group, cover the correct set, ~trainFraction", () => {
  const n = 500;
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const groups = Array.from({ length: n }, (_, i) => `g${Math.floor(i / 4)}`);
  const correct = Array.from({ length: n }, (_, i) => i).filter((i) => i % 7 !== 0);
  const { advTrain, advTest } = advPartition(correct, labels, groups, { seed: 1 });
  assert.deepEqual([...advTrain, ...advTest].sort((a, b) => a - b), correct);
  const trainGroups = new Set(advTrain.map((i) => groups[i]));
  assert.ok(advTest.every((i) => !trainGroups.has(groups[i])), "no group in both");
  assert.ok(Math.abs(advTrain.length / correct.length - 0.8) < 0.03);
  assert.throws(() => advPartition(correct, labels, groups, { trainFraction: 1 }), /trainFraction must be in \(0, 1\)/);
});
