/** Participation ratio against closed forms. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { participationRatio } from "../src/features/dimension";
import { separation } from "../src/features/separation";

test("participationRatio: 1 on a line, k for k equal orthogonal directions, (Σλ)²/Σλ² for unequal ones", () => {
  // Points on one line through the origin in 5-d: one non-zero eigenvalue.
  const line = Array.from({ length: 20 }, (_, i) => [1, -2, 0.5, 0, 3].map((v) => v * (i - 7.3))).flat();
  assert.ok(Math.abs(participationRatio(line, 20, 5) - 1) < 1e-12);
  // ±e1, ±e2, ±e3 (each twice): three equal eigenvalues, none on the other axes.
  const d = 6;
  const rows: number[][] = [];
  for (let k = 0; k < 3; k++) for (const s of [1, -1, 1, -1]) rows.push(Array.from({ length: d }, (_, j) => (j === k ? s : 0)));
  assert.ok(Math.abs(participationRatio(rows.flat(), rows.length, d) - 3) < 1e-12);
  // Variances 4 and 1 on two axes: (4 + 1)² / (16 + 1).
  const two = [[2, 0], [-2, 0], [0, 1], [0, -1]].flat();
  assert.ok(Math.abs(participationRatio(two, 4, 2) - 25 / 17) < 1e-12);
  // Many isotropic samples: close to d.
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const iso = Array.from({ length: 4000 * 8 }, rand);
  assert.ok(Math.abs(participationRatio(iso, 4000, 8) - 8) < 0.3);
  assert.throws(() => participationRatio([1, 2, 3], 2, 2), /n \* d values/);
  assert.throws(() => participationRatio([1, 1, 1, 1], 2, 2), /do not vary/);
});

test("separation: mean gap in units of the clean spread, leave-one-out 1-NN accuracy", () => {
  // Clean at (±1, 0), adversarial at (10 ± 1, 0): clean spread 1, mean gap 10; every neighbour is its own kind.
  const x = [1, 0, -1, 0, 11, 0, 9, 0];
  const r = separation(x, 4, 2, [0, 0, 1, 1]);
  assert.ok(Math.abs(r.gap - 10) < 1e-12);
  assert.equal(r.nn, 1);
  assert.deepEqual(Array.from(r.hits), [1, 1, 1, 1]);
  // Interleaved on a line (c a c a): each point's nearest neighbour is the other kind.
  const mixed = separation([0, 1, 2, 3], 4, 1, [false, true, false, true]);
  assert.equal(mixed.nn, 0);
  assert.deepEqual(Array.from(mixed.hits), [0, 0, 0, 0]);
  // c c a c: the lone adversarial row's neighbour is clean; the clean row beside it finds a clean one too (distance ties go to the first).
  const one = separation([0, 1, 2, 3], 4, 1, [0, 0, 1, 0]);
  assert.deepEqual(Array.from(one.hits), [1, 1, 0, 0]);
  assert.equal(one.nn, 0.5);
  assert.ok(Math.abs(mixed.gap - 1) < 1e-12, "means 1 and 2, clean spread 1");
  assert.throws(() => separation([0, 1], 2, 1, [0, 0]), /both clean and adversarial/);
  assert.throws(() => separation([0, 1, 2], 2, 1, [0, 1]), /n >= 2 rows/);
});
