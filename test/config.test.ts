import { TASK_NAMES } from "../src/data";
import { test } from "node:test";
import assert from "node:assert/strict";
import { PROFILES, PROFILE_NAMES, resolveProfile } from "../src/config";
import { trainSettings } from "../src/train";

test("resolveProfile: argument, then MIA_PROFILE, then the cpu default", () => {
  assert.equal(resolveProfile(undefined, {}).name, "cpu");
  assert.equal(resolveProfile(undefined, { MIA_PROFILE: "smoke" }).name, "smoke");
  assert.equal(resolveProfile(undefined, { MIA_PROFILE: " Paper " }).name, "paper");
  assert.equal(resolveProfile("smoke", { MIA_PROFILE: "paper" }).name, "smoke");
  assert.equal(resolveProfile(undefined, { MIA_PROFILE: "" }).name, "cpu");
});

test("resolveProfile: an unknown name is an error that lists the choices", () => {
  assert.throws(() => resolveProfile(undefined, { MIA_PROFILE: "gpu" }), (e: Error) => {
    assert.match(e.message, /Unknown profile 'gpu' \(from MIA_PROFILE\)/);
    for (const n of PROFILE_NAMES) assert.ok(e.message.includes(n), `message names ${n}`);
    return true;
  });
  assert.throws(() => resolveProfile("tiny", {}), /Unknown profile 'tiny'\. Choose one of: smoke, cpu, cpu-long, paper/);
});

test("paper profile carries the authors' settings (PAPER.md)", () => {
  const p = PROFILES.paper;
  assert.equal(p.imageSize, 224);
  assert.equal(p.model, "resnet50");
  assert.equal(p.batchSize, 32);
  assert.equal(p.attackSteps, 20);
  assert.deepEqual(p.epsGrid.fgsm, [0.1, 0.3, 0.5, 0.7, 0.9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Exact decimals: no 0.30000000000000004 from float stepping.
  assert.deepEqual(p.epsGrid.bim, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.deepEqual(p.epsGrid.pgd, p.epsGrid.bim);
  assert.deepEqual(p.epsGrid.cw, [0.1, 0.3, 0.5, 0.7, 0.9, 1]);
});

test("paper-dry is paper's model, input, tasks, recipe and sweeps on a few images: what a GPU run of paper goes through", () => {
  const { paper, "paper-dry": dry } = PROFILES;
  for (const k of ["imageSize", "model", "sweep", "recipeFor"] as const) assert.deepEqual(dry[k], paper[k], k);
  assert.deepEqual(dry.tasks.medical, paper.tasks.medical);
  assert.deepEqual(dry.tasks.natural, paper.tasks.natural);
  assert.ok(dry.tasks.multiclass.every((t) => paper.tasks.multiclass.includes(t)));
  assert.equal(dry.inputSize.model, paper.inputSize.model);
  assert.ok(dry.inputSize.sizes.includes(paper.imageSize), "the input-size experiment reaches the paper's size");
  assert.ok(dry.trainPerClass !== null && dry.trainPerClass <= 8 && dry.attackImages <= 16 && dry.epochs === 1);
  for (const grid of Object.values(dry.epsGrid)) assert.deepEqual(grid, [1], "one budget per attack: the paper's 1/255");
  assert.ok(dry.batchSize <= 4, "ResNet-50 at 224 px and batch 8 overruns the wasm heap");
});

test("every profile is well formed and profiles grow smoke < cpu <= paper", () => {
  for (const name of PROFILE_NAMES) {
    const p = PROFILES[name];
    assert.equal(p.name, name);
    assert.ok(Number.isInteger(p.imageSize) && p.imageSize >= 28, `${name}.imageSize`);
    assert.ok(p.epochs >= 1 && p.batchSize >= 1 && p.attackSteps >= 1 && p.attackImages >= 1, `${name} counts`);
    assert.ok(p.cellTimeoutSec > 0);
    for (const [attack, grid] of Object.entries(p.epsGrid)) {
      assert.ok(grid.length > 0, `${name}.${attack} grid is empty`);
      for (const e of grid) assert.ok(e > 0 && e <= 255, `${name}.${attack} eps ${e} outside (0, 255]`);
      assert.deepEqual([...grid].sort((a, b) => a - b), [...grid], `${name}.${attack} grid is sorted`);
    }
    assert.ok(Object.isFrozen(p), `${name} is frozen`);
    // Every task a profile trains exists, and the medical/natural groups are the paper's.
    for (const t of [...p.tasks.medical, ...p.tasks.natural, ...p.tasks.multiclass, ...Object.keys(p.trainPerClassFor ?? {})]) assert.ok(TASK_NAMES.includes(t), `${name}: unknown task ${t}`);
    assert.deepEqual(p.tasks.medical, ["cxr", "dr", "derm"]);
    assert.ok(Number.isInteger(p.patience) && p.patience >= 0);
  }
  const { smoke, cpu, paper } = PROFILES;
  assert.ok(smoke.imageSize < cpu.imageSize && cpu.imageSize <= paper.imageSize);
  assert.ok(smoke.attackImages < cpu.attackImages && cpu.attackImages <= paper.attackImages);
  assert.ok(smoke.cellTimeoutSec < cpu.cellTimeoutSec);
});

test("cpu-long is cpu with longer schedules only: same data, model, attacks and detection", () => {
  const { cpu } = PROFILES;
  const long = PROFILES["cpu-long"];
  assert.equal(resolveProfile("CPU-LONG", {}).name, "cpu-long");
  // What the science is measured on stays the same, so the two profiles' numbers compare.
  for (const k of ["imageSize", "model", "trainPerClass", "testPerClass", "batchSize", "attackImages", "attackSteps", "epsGrid", "reportEps", "capacity", "detect"] as const) {
    assert.deepEqual(long[k], cpu[k], `cpu-long.${k} equals cpu's`);
  }
  assert.deepEqual(long.tasks.medical, cpu.tasks.medical);
  assert.deepEqual(long.tasks.natural, cpu.tasks.natural);
  for (const t of cpu.tasks.multiclass) assert.ok(long.tasks.multiclass.includes(t), `cpu-long keeps ${t}`);
  // Longer where a gate needs it.
  assert.ok(long.epochs > cpu.epochs);
  for (const t of [...long.tasks.medical, ...long.tasks.natural, ...long.tasks.multiclass]) assert.equal(trainSettings(t, long).patience, 0, `cpu-long runs ${t}'s cosine schedule to its end (no early stop)`);
  assert.ok(long.recipeFor!.cifar10.epochs! > cpu.recipeFor!.cifar10.epochs!);
  assert.deepEqual({ ...long.recipeFor!.cifar10, epochs: 0 }, { ...cpu.recipeFor!.cifar10, epochs: 0 }, "CIFAR-10's recipe differs only in its length");
  assert.ok(long.inputSize.seeds >= 3, "three seeds per model in the input-size experiment");
  for (const size of cpu.inputSize.sizes) assert.ok(long.inputSize.sizes.includes(size), `cpu-long keeps ${size} px`);
  assert.ok(long.inputSize.sizes.includes(128), "cpu-long adds 128 px");
  const epochsOf = (p: typeof cpu, t: string) => p.recipeFor?.[t]?.epochs ?? p.epochs;
  for (const t of Object.keys(cpu.recipeFor ?? {})) assert.ok(epochsOf(long, t) >= epochsOf(cpu, t), `cpu-long trains ${t} at least as long as cpu`);
  assert.equal(long.sweep, cpu.sweep);
  assert.ok(long.explain.blackBoxEpochs >= cpu.explain.blackBoxEpochs);
  assert.equal(long.explain.blackBoxTrainPerClass, null, "cpu-long's black-box model sees every training image");
  assert.ok(long.cellTimeoutSec > cpu.cellTimeoutSec);
});
