/**
 * runs.experiment: one task on one profile resolved once; the folders it names are the ones its
 * stages (train, attack, features) write, below the roots that config/paths.ts decides.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { PROFILES, runFolder, modelsRoot, resultsRoot, cacheRoot, customTasksDir, weightsRoot, studyDir } from "../src/config";
import { customTask, registerCustomTask } from "../src/data";
import { experiment, replicateName, replicates } from "../src/runs";
import { saveDetectionFiles } from "../src/detect";
import { gateStatus } from "../src/gates";
import { readNpyFile } from "../src/data/files";
import { syntheticNpz } from "./support/synthetic";

before(async () => {
  await initBackend();
});

test("paths: every root has its variable, and a run folder is the same for models and results", () => {
  const env = { MIA_MODELS_DIR: "/m", MIA_RESULTS_DIR: "/r", MIA_CACHE_DIR: "/c", MIA_CUSTOM_TASKS_DIR: "/t", MIA_WEIGHTS_DIR: "/w", MIA_REPORTS_DIR: "/rep" };
  assert.deepEqual([modelsRoot(env), resultsRoot(env), cacheRoot(env), customTasksDir(env), weightsRoot(env), studyDir("cpu", "mine", env)], ["/m", "/r", "/c", "/t", "/w", "/rep/cpu/mine"]);
  assert.ok(modelsRoot({}).endsWith(path.join("data", "models")));
  assert.ok(studyDir("smoke", "x", {}).endsWith(path.join("build", "reports", "smoke", "x")));
  // A model name with characters a folder name should not carry (the input-size runs' '@').
  assert.equal(runFolder("/r", "cpu", "cxr", "resnet20-s2@px32"), path.join("/r", "cpu", "cxr", "resnet20-s2_px32"));
});

test("experiment: train, attack and features write exactly the folders the experiment names", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-exp-"));
  const saved = { ...process.env };
  Object.assign(process.env, { MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results"), MIA_CACHE_DIR: path.join(dir, "cache"), MIA_CUSTOM_TASKS_DIR: path.join(dir, "tasks") });
  try {
    const file = path.join(dir, "bright.npz");
    syntheticNpz(file);
    const task = customTask({ name: "bright", channels: 1, source: { kind: "npz", file }, classNames: ["0", "1"] });
    registerCustomTask(task);
    assert.throws(() => experiment("no-such-task", PROFILES.smoke), /Unknown task 'no-such-task'/);
    const byName = experiment("bright", "smoke");
    assert.equal(byName.task.name, "bright");
    assert.equal(byName.profile, PROFILES.smoke);
    assert.equal(byName.model, PROFILES.smoke.model);
    const exp = experiment(task, PROFILES.smoke, { model: "resnet-tiny" });
    assert.equal(exp.modelDir, path.join(dir, "models", "smoke", "bright", "resnet-tiny"));
    assert.equal(exp.resultsDir, path.join(dir, "results", "smoke", "bright", "resnet-tiny"));
    assert.equal(exp.record(), undefined, "not trained yet");
    assert.throws(() => exp.gate(), /No trained 'bright' model for profile smoke/);
    assert.throws(() => experiment(task, PROFILES.smoke, { model: "resnet-tiny", seed: 2 }).requireTrained(), /Seed 2 of bright \(resnet-tiny@s2\) is not trained on the smoke profile: run notebooks\/02-training\.ipynb first/);

    const r = await exp.train({ epochs: 1, batchSize: 8, workers: 1, quiet: true });
    r.model.dispose();
    assert.equal(r.runDir, exp.modelDir);
    assert.equal(exp.record()?.file, path.join(exp.modelDir, "model.json"));
    assert.equal(exp.requireTrained().file, exp.record()?.file);
    // No gate for a user's own task: the fallback bar, read from the run record.
    assert.equal(exp.gate().status, "no-gate");
    assert.equal(exp.gate().n, r.test.n);
    const { model } = await exp.loadModel();
    model.dispose();

    const a = await exp.attack({ attacks: ["fgsm"], n: 6, quiet: true });
    assert.deepEqual(a.saved, [exp.adversarialDir("fgsm", 1)]);
    assert.ok(fs.existsSync(path.join(exp.adversarialDir("fgsm"), "x_adv.npy")));
    assert.ok(fs.existsSync(path.join(exp.resultsDir, "sweeps", "fgsm.json")));
    const f = await exp.features({ attacks: ["fgsm"] });
    assert.equal(f[0].dir, exp.featuresDir("fgsm", 1));
    assert.ok(fs.existsSync(path.join(exp.featuresDir("fgsm"), "features.npy")));

    // Replicate seeds (Profile.seeds): seed k > 0 is its own model, `<model>@s<k>`, trained with that seed.
    const three = { ...PROFILES.smoke, seeds: 3 };
    assert.deepEqual(replicates(task, three).map((e) => [e.seed, e.model]), [[0, "resnet-tiny"], [1, "resnet-tiny@s1"], [2, "resnet-tiny@s2"]]);
    assert.equal(replicates(task, { ...PROFILES.smoke, seeds: 1 }).length, 1);
    const gateAt = (auc: number) => gateStatus("cxr", { test: { n: 624, accuracy: 0.9, auc, majority: { class: 0, accuracy: 0.6 } }, testAvailable: 624 });
    assert.deepEqual(replicates(task, three, { mainGate: gateAt(0.6) }).map((e) => e.model), ["resnet-tiny"], "no replicates of a task whose main model is far below its gate");
    assert.equal(replicates(task, three, { mainGate: gateAt(0.93) }).length, 3, "a near miss gets its replicates: one of them may pass");
    assert.equal(replicateName("resnet20-s2@px64", 2), "resnet20-s2@px64s2", "a tagged model keeps one '@'");
    assert.throws(() => experiment(task, three, { seed: -1 }), /seed/);
    const one = replicates(task, three)[1];
    assert.equal(one.modelDir, path.join(dir, "models", "smoke", "bright", "resnet-tiny_s1"));
    const r1 = await one.train({ epochs: 1, batchSize: 8, workers: 1, quiet: true });
    assert.equal(one.record()?.key.seed, 1);
    assert.equal(exp.record()?.key.seed, 0);
    const { model: m0 } = await exp.loadModel();
    const [w0, w1] = [m0, r1.model].map((m) => m.getWeights()[0].dataSync());
    assert.ok(w0.some((v, i) => v !== w1[i]), "another seed, other weights");
    m0.dispose();
    r1.model.dispose();
    const a1 = await one.attack({ attacks: ["fgsm"], n: 6, quiet: true });
    assert.deepEqual(a1.saved, [one.adversarialDir("fgsm", 1)]);
    assert.notEqual(one.adversarialDir("fgsm", 1), exp.adversarialDir("fgsm", 1));
  } finally {
    for (const k of ["MIA_MODELS_DIR", "MIA_RESULTS_DIR", "MIA_CACHE_DIR", "MIA_CUSTOM_TASKS_DIR"]) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
});

test("saveDetectionFiles: one is_adv.npy for every detector's scores, each split's rows as int32; mismatched scores refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-detfiles-"));
  const isAdv = Uint8Array.from([0, 1, 1, 0]);
  const splits = [{ train: [0, 2, 5], test: [1, 3, 4, 6] }, { train: [1, 3], test: [0, 2, 4, 5] }];
  const names = saveDetectionFiles(dir, { scores: { "kd_scores.npy": [0.1, 0.9, 0.8, 0.2], "lid_scores.npy": Float64Array.from([1, 2, 3, 4]) }, isAdv, splits, hint: "" });
  assert.deepEqual(names, ["kd_scores.npy", "lid_scores.npy", "is_adv.npy", "advtrain_0.npy", "advtest_0.npy", "advtrain_1.npy", "advtest_1.npy"]);
  assert.deepEqual(Array.from(readNpyFile(path.join(dir, "kd_scores.npy"), "float64", "").data as Float64Array), [0.1, 0.9, 0.8, 0.2]);
  assert.deepEqual(Array.from(readNpyFile(path.join(dir, "is_adv.npy"), "uint8", "").data as Uint8Array), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(readNpyFile(path.join(dir, "advtest_1.npy"), "int32", "").data as Int32Array), [0, 2, 4, 5]);
  assert.throws(() => saveDetectionFiles(dir, { scores: { "x.npy": [1, 2] }, isAdv, splits, hint: "" }), /x\.npy has 2 scores for 4 rows/);
});
