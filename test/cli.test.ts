/** `mia data` end to end, as a user runs it, and custom (user-supplied) datasets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { customTask, loadTask, planTask, TASK_NAMES } from "../src/data";
import { syntheticNpz } from "./support/synthetic";
import { parseNpy } from "../src/data/npy";
import { rocAuc } from "../src/train/metrics";

const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");
// Custom tasks register by name: in a folder of this test run, never the checkout's data/tasks.
const CUSTOM_TASKS = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-tasks-"));
// Two workers whatever the machine's core count, so training takes the same steps everywhere.
const mia = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, MIA_WORKERS: "2", MIA_CUSTOM_TASKS_DIR: CUSTOM_TASKS, ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

async function png(file: string, grey: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(file);
}

test("mia data --list names every task; --task --json reports the real split counts", () => {
  const list = mia(["data", "--list"]);
  assert.equal(list.code, 0, list.err);
  for (const t of TASK_NAMES) assert.match(list.out, new RegExp(`^${t} `, "m"));
  const r = mia(["data", "--task", "cxr", "--json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { classes: string[]; available: { test: number[] } };
  assert.deepEqual(j.classes, ["NORMAL", "PNEUMONIA"]);
  assert.deepEqual(j.available.test, [234, 390]);
});

test("mia exit codes: 2 for bad usage, 1 for missing data, with messages that name the fix", () => {
  const unknown = mia(["data", "--task", "xray"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown task 'xray'\. Valid tasks: cxr, /);
  assert.equal(mia(["data", "--frobnicate"]).code, 2);
  assert.equal(mia(["data", "--task", "cxr", "--csv", "x.csv"]).code, 2);
  assert.equal(mia(["nope"]).code, 2);
  const missing = mia(["data", "--task", "dr"], { MIA_DATA_DIR: os.tmpdir() });
  assert.equal(missing.code, 1);
  assert.match(missing.err, /Dataset 'eyepacs-dr' not found\. Looked in:[\s\S]*MIA_DATA_DIR/);
  // Bad values are usage errors (2), found before any work: an empty --eps is not eps 0.
  const emptyEps = mia(["attack", "--task", "cxr", "--attack", "fgsm", "--eps", ""]);
  assert.equal(emptyEps.code, 2);
  assert.match(emptyEps.err, /--eps must be a number in \/255 pixel units \(e\.g\. --eps 1\), got ''/);
  const kappa = mia(["attack", "--task", "cxr", "--attack", "cw", "--eps", "1", "--kappa", "abc"]);
  assert.equal(kappa.code, 2);
  assert.match(kappa.err, /--kappa must be a number >= 0/);
  const backend = mia(["attack", "--task", "cxr", "--attack", "fgsm", "--eps", "1"], { MIA_BACKEND: "quantum" });
  assert.equal(backend.code, 2);
  assert.match(backend.err, /Unknown MIA_BACKEND 'quantum'\. Choose one of: /);
  assert.match(mia(["--help"]).out, /MIA_MODELS_DIR \(trained models\), MIA_RESULTS_DIR/);
  // Every command parses the same way: -h prints its help (exit 0), an unknown profile is a usage error.
  for (const cmd of ["data", "train", "attack", "detect", "gates", "study", "figures"]) {
    const h = mia([cmd, "-h"]);
    assert.equal(h.code, 0, cmd);
    assert.match(h.out, new RegExp(`^Usage: mia ${cmd}`), cmd);
    if (cmd === "figures") continue;
    const extra = cmd === "attack" ? ["--attack", "fgsm", "--eps", "1"] : cmd === "detect" ? ["--attack", "fgsm", "--detector", "kd"] : [];
    const p = mia([cmd, "--task", "cxr", "--profile", "huge", ...extra]);
    assert.equal(p.code, 2, `${cmd}: ${p.err}`);
    assert.match(p.err, /Unknown profile 'huge'\. Choose one of: smoke, cpu, cpu-long, paper[\s\S]*See 'mia \w+ --help'/, cmd);
  }
  // A model trained elsewhere: the error says how to point at it, and --models must be a folder.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mia-no-models-"));
  const noModel = mia(["attack", "--task", "cxr", "--attack", "fgsm", "--eps", "1", "--profile", "smoke", "--models", empty]);
  assert.equal(noModel.code, 1);
  assert.match(noModel.err, new RegExp(`No trained 'cxr' model for profile smoke at ${empty}.*--models DIR on the command line, or MIA_MODELS_DIR=DIR`));
  assert.equal(mia(["attack", "--task", "cxr", "--attack", "fgsm", "--eps", "1", "--models", path.join(empty, "nope")]).code, 2);
});

test("your own data with no code change: image folder without splits, CSV with a patient column", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mia-own-"));
  // An image folder without split folders: 10 patients x 2 images per class.
  for (const cls of ["benign", "malignant"]) for (let i = 0; i < 20; i++) await png(path.join(root, "folder", cls, `p${Math.floor(i / 2)}_${i}.png`), cls === "benign" ? 60 : 180);
  const cli = mia(["data", "--imagefolder", path.join(root, "folder"), "--json"]);
  assert.equal(cli.code, 0, cli.err);
  const j = JSON.parse(cli.out) as { classes: string[]; splitting: string; available: Record<string, number[]> };
  assert.deepEqual(j.classes, ["benign", "malignant"]);
  assert.equal(j.splitting, "group");
  assert.equal(Object.values(j.available).flat().reduce((a, b) => a + b, 0), 40);

  // A CSV with a patient column: both images of a patient stay in one split.
  const rows = ["file,diagnosis,patient"];
  for (let i = 0; i < 40; i++) {
    await png(path.join(root, "csvset", "images", `img${i}.png`), i % 2 ? 200 : 30);
    rows.push(`img${i}.png,${i % 2 ? "sick" : "well"},pt${Math.floor(i / 4)}`);
  }
  fs.writeFileSync(path.join(root, "csvset", "labels.csv"), rows.join("\n"));
  const task = customTask({
    name: "my-csv",
    classNames: ["well", "sick"],
    channels: 1,
    source: { kind: "csv", csv: path.join(root, "csvset", "labels.csv"), imageColumn: "file", labelColumn: "diagnosis", groupColumn: "patient" },
  });
  const plan = planTask(task);
  const splitOf = new Map<string, string>();
  plan.assigned.forEach((s, i) => {
    const prev = splitOf.get(plan.groups[i]);
    assert.ok(prev === undefined || prev === s, "patient in two splits");
    splitOf.set(plan.groups[i], s!);
  });
  const data = await loadTask(task, { size: 4, perClass: { train: null, val: null, test: null }, cache: false, quiet: true });
  const test = data.splits.test!;
  test.labels.forEach((l, k) => assert.equal(test.pixels[k * 16], l === 1 ? 200 : 30, "label matches the image"));
  const viaCli = mia(["data", "--csv", path.join(root, "csvset", "labels.csv"), "--image-column", "file", "--label-column", "diagnosis", "--group-column", "patient", "--classes", "well,sick", "--json"]);
  assert.equal(viaCli.code, 0, viaCli.err);
  assert.deepEqual((JSON.parse(viaCli.out) as { available: unknown }).available, plan.available);
});

test("mia train: trains a task, reports JSON metrics, reuses the finished run; bad usage exits 2", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-train-"));
  const npz = path.join(dir, "bright.npz");
  syntheticNpz(npz);
  const args = ["train", "--npz", npz, "--name", "bright", "--channels", "1", "--profile", "smoke", "--model", "resnet-tiny", "--epochs", "6", "--batch", "8", "--lr", "0.003", "--out", path.join(dir, "runs"), "--json"];
  const r = mia(args);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { reused: boolean; epochs: number; imageSize: number; test: { accuracy: number; majorityAccuracy: number; confusion: number[][] }; runDir: string };
  assert.equal(j.reused, false);
  assert.equal(j.epochs, 6);
  assert.ok(j.test.accuracy >= 0.9 && j.test.majorityAccuracy === 0.5, JSON.stringify(j.test));
  assert.ok(fs.existsSync(path.join(j.runDir, "model.json")));
  assert.match(r.err, /mia \| backend wasm/, "banner and progress go to stderr with --json");
  const again = mia(args.filter((a) => a !== "--json"));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /reused the saved run/);
  assert.match(again.out, /test: accuracy \d+\.\d% \(majority class 50\.0%\), AUC/);
  const changed = mia(args.map((a, i) => (args[i - 1] === "--epochs" ? "7" : a)));
  assert.equal(changed.code, 1);
  assert.match(changed.err, /used other settings:[\s\S]*epochs: saved 6, now 7[\s\S]*--force/);
  // --size: another input side is another run, refused over the saved one and trained elsewhere.
  const side = j.imageSize;
  assert.ok(side > 8, `smoke's side ${side}`);
  const resized = mia([...args, "--size", "8"]);
  assert.equal(resized.code, 1);
  assert.match(resized.err, new RegExp(`imageSize: saved ${side}, now 8`));
  const small = mia([...args.map((a, i) => (args[i - 1] === "--out" ? path.join(dir, "runs8") : a)), "--size", "8"]);
  assert.equal(small.code, 0, small.err);
  const s8 = JSON.parse(small.out) as { imageSize: number; runDir: string };
  assert.equal(s8.imageSize, 8);
  const saved = JSON.parse(fs.readFileSync(path.join(s8.runDir, "model.json"), "utf8")) as { modelTopology: { config: { layers: Array<{ config: { batch_input_shape?: number[] } }> } } };
  const input = saved.modelTopology.config.layers[0].config.batch_input_shape;
  assert.deepEqual(input?.slice(1, 3), [8, 8]);
  assert.equal(mia([...args, "--size", "4"]).code, 2);
  assert.equal(mia(["train", "--task", "cxr", "--model", "resnet7"]).code, 2);
  assert.equal(mia(["train", "--task", "cxr", "--epochs", "0"]).code, 2);
  assert.equal(mia(["train", "--task", "nope"]).code, 2);
  const help = mia(["train", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /--force/);
});

test("mia train takes --allow-missing and --strict, which the data errors tell users to pass", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-switches-"));
  const rows = ["image,label"];
  for (let i = 0; i < 24; i++) {
    // Distinct images: byte-identical copies would share one group, hence one split.
    await png(path.join(root, "images", `img${i}.png`), (i % 2 ? 180 : 30) + i);
    rows.push(`img${i}.png,${i % 2 ? "sick" : "well"}`);
  }
  rows.push("lost.png,well");
  const csv = path.join(root, "labels.csv");
  fs.writeFileSync(csv, rows.join("\n"));
  const args = ["train", "--csv", csv, "--name", "switches", "--channels", "1", "--profile", "smoke", "--model", "resnet-tiny", "--epochs", "1", "--batch", "8", "--out", path.join(root, "runs"), "--json"];
  const refused = mia(args);
  assert.equal(refused.code, 1, refused.err);
  assert.match(refused.err, /1 row\(s\) of labels\.csv have no image .*lost\.png.*--allow-missing/);
  const allowed = mia([...args, "--allow-missing"]);
  assert.equal(allowed.code, 0, allowed.err);
  assert.equal((JSON.parse(allowed.out) as { epochs: number }).epochs, 1);
  // A corrupt image: skipped and reported by default (the run above), refused with --strict.
  fs.writeFileSync(path.join(root, "images", "img0.png"), "not a png");
  const strict = mia([...args, "--allow-missing", "--strict", "--force"]);
  assert.equal(strict.code, 1, strict.err);
  assert.match(strict.err, /Cannot decode .*img0\.png.*strict mode/);
});

test("mia attack: attacks the trained model, reports accuracies, saves NumPy files within the budget; clear failures", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-attack-"));
  const env = { MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results") };
  const none = mia(["attack", "--task", "cxr", "--profile", "smoke", "--attack", "fgsm", "--eps", "1"], env);
  assert.equal(none.code, 1);
  assert.match(none.err, /No trained 'cxr' model for profile smoke[\s\S]*mia -- train --task cxr --profile smoke/);
  const trained = mia(["train", "--task", "cxr", "--profile", "smoke", "--json"], env);
  assert.equal(trained.code, 0, trained.err);
  // The trained model against its gate: on smoke the test split is a subset, so the gate is not checked.
  const gate = (JSON.parse(trained.out) as { gate: { status: string; n: number; available: number } }).gate;
  assert.deepEqual([gate.status, gate.n, gate.available], ["subset", 32, 624]);
  const gates = mia(["gates", "--task", "cxr", "--profile", "smoke"], env);
  assert.equal(gates.code, 0, gates.err);
  assert.match(gates.out, /^cxr: gate AUC >= 0\.950 on the 624 official Kermany test images$/m);
  assert.match(gates.out, /reference: 0\.944 auc, ResNet-18 from scratch, 28x28 \(PneumoniaMNIST\)/);
  assert.match(gates.out, /smoke model: cxr: test AUC \d\.\d{3} on 32 of 624 test images; gate AUC >= 0\.950: not checked/);
  const all = mia(["gates", "--json"], env);
  assert.equal(all.code, 0, all.err);
  const j0 = JSON.parse(all.out) as { tasks: Array<{ gate: { task: string }; trained: unknown }> };
  assert.ok(j0.tasks.some((t) => t.gate.task === "cifar10") && j0.tasks.every((t) => t.trained === null), "no cpu models in this folder");
  assert.equal(mia(["gates", "--task", "nope"], env).code, 2);
  const r = mia(["attack", "--task", "cxr", "--profile", "smoke", "--attack", "pgd", "--eps", "4", "--steps", "3", "--n", "10", "--json"], env);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { n: number; eps: number; cleanAccuracy: number; adversarialAccuracy: number; maxLinf255: number; saved: string };
  assert.equal(j.n, 10);
  assert.ok(j.maxLinf255 <= 4 + 1e-3, `max change ${j.maxLinf255}/255`);
  assert.ok(j.saved.startsWith(env.MIA_RESULTS_DIR));
  const read = (f: string) => parseNpy(fs.readFileSync(path.join(j.saved, f)));
  const [xc, xa, labels, pa] = [read("x_clean.npy"), read("x_adv.npy"), read("labels.npy"), read("pred_adv.npy")];
  assert.deepEqual(xa.shape, [10, 32, 32, 1]);
  assert.deepEqual(Array.from(labels.data as Int32Array).filter((l) => l === 1).length, 5, "class-balanced images");
  let maxd = 0;
  for (let i = 0; i < xa.data.length; i++) maxd = Math.max(maxd, Math.abs(Number(xa.data[i]) - Number(xc.data[i])));
  assert.ok(maxd <= 4 / 255 + 1e-6);
  const robust = Array.from(pa.data as Int32Array).filter((p, i) => p === (labels.data as Int32Array)[i]).length / 10;
  assert.equal(robust, j.adversarialAccuracy, "the saved predictions are the reported accuracy");
  assert.equal(mia(["attack", "--task", "cxr", "--attack", "pgd", "--eps", "300"], env).code, 2);
  assert.equal(mia(["attack", "--task", "cxr", "--attack", "jsma", "--eps", "1"], env).code, 2);
  assert.equal(mia(["attack", "--task", "cxr", "--attack", "fgsm"], env).code, 2);
});

test("mia detect: AUC with its interval from the saved set, features and scores as NumPy files; clear failures", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-detect-"));
  const env = { MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results"), MIA_CACHE_DIR: path.join(dir, "cache") };
  assert.equal(mia(["train", "--task", "cxr", "--profile", "smoke", "--json"], env).code, 0);
  const noSet = mia(["detect", "--task", "cxr", "--profile", "smoke", "--attack", "bim", "--detector", "mahalanobis"], env);
  assert.equal(noSet.code, 1);
  assert.match(noSet.err, /No bim adversarial set for 'cxr'[\s\S]*mia -- attack --task cxr --attack bim --eps 1/);
  assert.equal(mia(["attack", "--task", "cxr", "--profile", "smoke", "--attack", "bim", "--eps", "1", "--steps", "2", "--n", "32"], env).code, 0);
  const r = mia(["detect", "--task", "cxr", "--profile", "smoke", "--attack", "bim", "--detector", "mahalanobis", "--repeats", "2", "--json"], env);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { auc: number; ci95: [number, number]; aucs: number[]; testRows: number; features: string; scores: string };
  assert.equal(j.aucs.length, 2);
  assert.ok(j.ci95[0] <= j.ci95[1] && j.auc >= 0 && j.auc <= 1);
  const scores = parseNpy(fs.readFileSync(path.join(j.scores, "scores.npy")));
  const isAdv = parseNpy(fs.readFileSync(path.join(j.scores, "is_adv.npy")));
  assert.deepEqual(scores.shape, [j.testRows]);
  assert.deepEqual(isAdv.shape, [j.testRows]);
  const feats = parseNpy(fs.readFileSync(path.join(j.features, "features.npy")));
  assert.deepEqual(feats.shape, [64, 128], "32 clean then 32 adversarial rows of the 128-d feature");
  // Each averaged split's rows are saved: the first split's AUC recomputes from them exactly.
  const rows = (f: string) => Array.from(parseNpy(fs.readFileSync(path.join(j.scores, f))).data as Int32Array);
  const flags = parseNpy(fs.readFileSync(path.join(j.features, "is_adv.npy"))).data as Uint8Array;
  const [tr0, te0, te1] = [rows("advtrain_0.npy"), rows("advtest_0.npy"), rows("advtest_1.npy")];
  assert.equal(te0.length, j.testRows);
  assert.ok(tr0.every((i) => !te0.includes(i)), "AdvTrain and AdvTest are disjoint");
  assert.notDeepEqual(te0, te1, "the second split is another partition");
  assert.deepEqual(te0.map((i) => flags[i]), Array.from(isAdv.data as Uint8Array), "advtest_0 rows carry the scored labels");
  assert.ok(Math.abs(rocAuc(te0.map((i) => flags[i]), scores.data as Float64Array) - j.aucs[0]) < 1e-12);
  // Asked again: read from the cache, the same numbers; --no-cache fits again, to the same numbers.
  const args = ["detect", "--task", "cxr", "--profile", "smoke", "--attack", "bim", "--detector", "mahalanobis", "--repeats", "2"];
  const again = mia(args, env);
  assert.match(again.out, /\(cached: --no-cache fits again\)/);
  const refit = JSON.parse(mia([...args, "--no-cache", "--json"], env).out) as { aucs: number[]; cached: boolean };
  assert.equal(refit.cached, false);
  assert.deepEqual(refit.aucs, j.aucs);
  assert.equal(mia(["detect", "--task", "cxr", "--attack", "bim", "--detector", "svm"], env).code, 2);
  assert.equal(mia(["detect", "--task", "cxr", "--attack", "bim"], env).code, 2);
  assert.equal(mia(["detect", "--task", "cxr", "--attack", "bim", "--detector", "kd", "--eps", "-1"], env).code, 2);
});

test("mia data --fetch --needed (make run's data step): with every task's data present it touches no network", () => {
  const r = mia(["data", "--fetch", "--needed", "--profile", "smoke"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /every task of the smoke profile has its data/);
  assert.match(r.out, /^ {2}cxr: Kermany chest X-rays \(raw JPEGs\) in /m);
  assert.doesNotMatch(r.out + r.err, /fetching|zenodo/);
  assert.equal(mia(["data", "--needed"]).code, 2, "--needed without --fetch is bad usage");
});

test("your own data through every stage: trained once with --name, then attacked and detected by that name or by its folder", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-cli-custom-"));
  const env = { MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results"), MIA_CACHE_DIR: path.join(dir, "cache") };
  // An ImageFolder with train/valid/test folders, two classes told apart by brightness.
  const folder = path.join(dir, "skin");
  let k = 0; // a distinct grey per image: byte-identical copies would be merged into one split
  for (const [split, n] of [["train", 24], ["valid", 8], ["test", 12]] as const)
    for (let i = 0; i < n; i++, k++) for (const [cls, base] of [["benign", 10], ["malignant", 160]] as const) await png(path.join(folder, split, cls, `${cls}-${i}.png`), base + k);
  const trained = mia(["train", "--imagefolder", folder, "--name", "skin", "--profile", "smoke", "--model", "resnet-tiny", "--epochs", "2", "--json"], env);
  assert.equal(trained.code, 0, trained.err);
  assert.ok(fs.existsSync(path.join(CUSTOM_TASKS, "skin.json")), "registered by name");
  const byName = mia(["attack", "--task", "skin", "--profile", "smoke", "--model", "resnet-tiny", "--attack", "fgsm", "--eps", "2", "--n", "8", "--json"], env);
  assert.equal(byName.code, 0, byName.err);
  const j = JSON.parse(byName.out) as { n: number; saved: string };
  assert.equal(j.n, 8);
  assert.ok(fs.existsSync(path.join(j.saved, "x_adv.npy")));
  const byFolder = mia(["attack", "--imagefolder", folder, "--name", "skin", "--profile", "smoke", "--model", "resnet-tiny", "--attack", "pgd", "--eps", "2", "--steps", "2", "--n", "8", "--json"], env);
  assert.equal(byFolder.code, 0, byFolder.err);
  const det = mia(["detect", "--task", "skin", "--profile", "smoke", "--model", "resnet-tiny", "--attack", "fgsm", "--eps", "2", "--detector", "dfeat", "--repeats", "1", "--json"], env);
  assert.ok(det.code === 0 || /could not be fitted|too few/i.test(det.err), det.err);
  // The name is taken for this folder: another folder under it is refused, naming the fix.
  const other = path.join(dir, "other");
  await png(path.join(other, "a", "x.png"), 10);
  await png(path.join(other, "b", "y.png"), 200);
  const clash = mia(["attack", "--imagefolder", other, "--name", "skin", "--attack", "fgsm", "--eps", "1"], env);
  assert.equal(clash.code, 2);
  assert.match(clash.err, /already registered for other data[\s\S]*another --name/);
  const builtin = mia(["train", "--imagefolder", other, "--name", "cxr"], env);
  assert.equal(builtin.code, 2);
  assert.match(builtin.err, /'cxr' is a built-in task: give your data another --name/);
  const unknown = mia(["attack", "--task", "nothing", "--attack", "fgsm", "--eps", "1"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown task 'nothing'.*your registered tasks: [^.]*\bskin\b.*--name nothing/);
});

test("mia backend: the chosen backend with its self-check, every candidate passed over with the reason; a forced one that fails exits 1", () => {
  const r = mia(["backend", "--json"]);
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out) as { id: string; selfCheck: string; skipped: Array<{ id: string; reason: string }> };
  assert.equal(info.selfCheck, "passed");
  const order = ["tfjs-node-gpu", "webgpu", "tfjs-node", "wasm", "cpu"];
  assert.deepEqual(info.skipped.map((s) => s.id), order.slice(0, order.indexOf(info.id)), "candidates are tried in the documented order");
  for (const s of info.skipped) assert.ok(s.reason.length > 5, `${s.id} says why`);
  const text = mia(["backend"]);
  assert.match(text.out, new RegExp(`^mia \\| backend ${info.id}`));
  assert.match(text.out, /chosen: \S+ \(tfjs backend '\S+'\), self-check passed/);
  const forced = mia(["backend"], { MIA_BACKEND: "webgpu", MIA_WEBGPU_BACKEND: "metal" });
  if (process.platform === "linux") {
    assert.equal(forced.code, 1);
    assert.match(forced.err, /MIA_BACKEND=webgpu could not be used:\n {2}webgpu: /);
  }
  const bad = mia(["backend"], { MIA_WEBGPU_BACKEND: "cuda" });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown MIA_WEBGPU_BACKEND 'cuda'/);
});
