/** The over-parameterisation grid: plain CNNs trained per task, counted, reused and attacked. */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { capacitySweep } from "../src/attacks";
import { PROFILES } from "../src/config";
import { loadTask } from "../src/data";

before(async () => {
  await initBackend();
});

/** Parameters of cnn-w<W>-d<D> counted by hand: bias-free 3x3 convs, BN (4 per channel), the paper's head. */
function plainCnnParams(width: number, depth: number, channels: number, classes: number): number {
  const stages = Math.min(4, depth);
  let cin = channels;
  let total = 0;
  for (let s = 0; s < stages; s++) {
    const layers = Math.floor(depth / stages) + (s < depth % stages ? 1 : 0);
    const cout = width * 2 ** s;
    for (let b = 0; b < layers; b++) {
      total += 9 * cin * cout + 4 * cout;
      cin = cout;
    }
  }
  return total + (cin * 128 + 128) + (128 * classes + classes);
}

test("capacitySweep: trains each grid model, counts its parameters, attacks it with PGD, reuses both", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mia-capacity-"));
  process.env.MIA_MODELS_DIR = path.join(root, "models");
  process.env.MIA_RESULTS_DIR = path.join(root, "results");
  try {
    const plan = { tasks: ["cxr"], models: ["cnn-w4-d2", "cnn-w8-d3"] };
    const first = await capacitySweep({ profile: PROFILES.smoke, plan, quiet: true });
    const channels = (await loadTask("cxr", { size: 8, splits: ["test"], perClass: { train: 1, val: 1, test: 1 }, quiet: true })).channels;
    assert.deepEqual(first.map((r) => `${r.task}/${r.model}`), ["cxr/cnn-w4-d2", "cxr/cnn-w8-d3"]);
    assert.equal(first[0].params, plainCnnParams(4, 2, channels, 2));
    assert.equal(first[1].params, plainCnnParams(8, 3, channels, 2));
    for (const r of first) {
      assert.equal(r.reused, false);
      assert.deepEqual(r.rows.map((p) => p.eps), [0, ...PROFILES.smoke.capacity.pgdGrid]);
      assert.equal(r.rows[0].accuracy, r.cleanAccuracy);
      assert.equal(r.pgdAt1, r.rows.find((p) => p.eps === 1)!.accuracy);
      assert.ok(r.pgdAt1 <= r.cleanAccuracy, "PGD on the true labels does not raise accuracy");
    }
    const again = await capacitySweep({ profile: PROFILES.smoke, plan, quiet: true });
    assert.ok(again.every((r) => r.reused), "the second call reuses the trained models");
    assert.deepEqual(again.map((r) => r.rows), first.map((r) => r.rows), "and the cached sweeps");
    await assert.rejects(capacitySweep({ profile: PROFILES.smoke, plan: { ...plan, pgdGrid: [0.5, 2] }, quiet: true }), /must contain 1/);
  } finally {
    delete process.env.MIA_MODELS_DIR;
    delete process.env.MIA_RESULTS_DIR;
  }
});
