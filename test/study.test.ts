/**
 * `mia study` end to end on a dataset the project has never seen: an ImageFolder with train /
 * valid / test folders, made here; every artifact of the report present, the arrays read back with
 * numpy (Debian's python3-numpy, there with python3-h5py), the numbers consistent with each other.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";

const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");
const hasNumpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"]).status === 0;

test("mia study: an unseen ImageFolder through every stage into a report folder, arrays readable with numpy", { skip: hasNumpy ? false : "no numpy for /usr/bin/python3 (apt-get install python3-numpy)" }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-study-"));
  const folder = path.join(dir, "retina-photos");
  let k = 0; // a distinct image each: byte-identical copies would be merged into one split
  for (const [split, n] of [["train", 24], ["valid", 8], ["test", 12]] as const)
    for (let i = 0; i < n; i++, k++)
      for (const [cls, base] of [["healthy", 20], ["lesion", 150]] as const) {
        const file = path.join(folder, split, cls, `${cls}-${i}.png`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: base + k, g: base + (k % 7), b: base } } }).png().toFile(file);
      }
  const out = path.join(dir, "report");
  const env = { ...process.env, MIA_WORKERS: "2", MIA_CUSTOM_TASKS_DIR: path.join(dir, "tasks"), MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results"), MIA_CACHE_DIR: path.join(dir, "cache") };
  const r = spawnSync(process.execPath, [CLI, "study", "--imagefolder", folder, "--name", "retina", "--profile", "smoke", "--out", out, "--json"], { encoding: "utf8", env, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  assert.match(r.stderr, /\[study\] attacks: fgsm, bim, pgd, cw/);
  const s = JSON.parse(r.stdout) as {
    task: string; dir: string; files: string[];
    model: { testN: number; gate: string };
    attacks: Array<{ attack: string; points: Array<{ eps: number; accuracy: number }>; accuracyAt1: { value?: number; missing?: string } }>;
    measures: Record<string, { value?: number; missing?: string }>;
    detection: Array<{ attack: string; detector: string; auc: { value?: number; missing?: string } }>;
    verdicts: Array<{ claim: string; verdict: string }>;
  };
  assert.equal(s.task, "retina");
  assert.equal(s.dir, out);
  assert.equal(s.model.testN, 24, "the official test folder, all of it");
  assert.deepEqual(s.attacks.map((a) => a.attack), ["fgsm", "bim", "pgd", "cw"]);
  for (const a of s.attacks) assert.ok(a.points.length >= 3 && a.points.every((p) => p.accuracy >= 0 && p.accuracy <= 1), a.attack);
  // Every measure is a number or says why not; never a NaN.
  for (const [k2, m] of Object.entries(s.measures)) assert.ok((typeof m.value === "number" && Number.isFinite(m.value)) || (typeof m.missing === "string" && m.missing.length > 0), k2);
  assert.equal(s.detection.length, 4 * 6);
  assert.equal(s.verdicts.length, 3);
  assert.match(s.verdicts[1].verdict, /needs a natural-image comparator: run the notebooks with TASKS=retina,cifar10/);
  // The report folder: page, summary, figures, tables in three formats, arrays.
  for (const f of ["index.html", "summary.json", "INDEX.md", "study_accuracy-vs-eps.png", "study_accuracy-vs-eps.svg", "study_saliency.png", "study_saliency.svg", "study_verdicts.csv", "study_verdicts.md", "study_verdicts.tex", "study_detection.csv", "study_eps-at-half.md", "study_measures.tex"]) assert.ok(fs.existsSync(path.join(out, f)), f);
  const page = fs.readFileSync(path.join(out, "index.html"), "utf8");
  assert.match(page, /<h1>Adversarial study: retina/);
  assert.ok(page.includes('src="study_accuracy-vs-eps.png"') && page.includes("Verdicts"));
  for (const a of ["fgsm", "bim", "pgd", "cw"]) for (const f of ["x_clean.npy", "x_adv.npy", "labels.npy", "pred_clean.npy", "pred_adv.npy", "meta.json"]) assert.ok(s.files.includes(path.join("adversarial", `${a}-eps1`, f)), `${a} ${f}`);
  // numpy reads every array; the adversarial images stay within 1/255 of the clean ones.
  const py = `
import glob, json, os, sys, numpy as np
out = sys.argv[1]
res = {}
for f in sorted(glob.glob(os.path.join(out, "**", "*.npy"), recursive=True)):
    a = np.load(f)
    res[os.path.relpath(f, out)] = [list(a.shape), str(a.dtype)]
xc = np.load(os.path.join(out, "adversarial", "pgd-eps1", "x_clean.npy"))
xa = np.load(os.path.join(out, "adversarial", "pgd-eps1", "x_adv.npy"))
res["linf255"] = float(np.abs(xa - xc).max() * 255)
print(json.dumps(res))
`;
  const np = spawnSync("/usr/bin/python3", ["-c", py, out], { encoding: "utf8" });
  assert.equal(np.status, 0, np.stderr);
  const arrays = JSON.parse(np.stdout) as Record<string, [number[], string] | number>;
  assert.ok((arrays.linf255 as number) <= 1 + 1e-3, `PGD moved a pixel by ${arrays.linf255}/255`);
  const xAdv = arrays[path.join("adversarial", "pgd-eps1", "x_adv.npy")] as [number[], string];
  assert.deepEqual([xAdv[0].slice(1), xAdv[1]], [[32, 32, 3], "float32"]);
  const fitted = s.detection.filter((d) => typeof d.auc.value === "number");
  for (const d of fitted) {
    const scores = arrays[path.join("detection", d.attack, `${d.detector}_scores.npy`)] as [number[], string];
    const isAdv = arrays[path.join("detection", d.attack, "is_adv.npy")] as [number[], string];
    assert.ok(scores && isAdv && scores[0][0] === isAdv[0][0], `${d.attack} ${d.detector}: one score per AdvTest row`);
    const advTest = arrays[path.join("detection", d.attack, "advtest_0.npy")] as [number[], string];
    assert.deepEqual([advTest[0][0], advTest[1]], [isAdv[0][0], "int32"], `${d.attack}: the AdvTest rows of the scores`);
  }
  // Run again: everything reused (the model, the sweeps), the same verdicts.
  const again = spawnSync(process.execPath, [CLI, "study", "--task", "retina", "--profile", "smoke", "--out", out, "--json"], { encoding: "utf8", env, timeout: 600_000 });
  assert.equal(again.status, 0, again.stderr.slice(-2000));
  assert.deepEqual((JSON.parse(again.stdout) as typeof s).verdicts, s.verdicts);
  const bad = spawnSync(process.execPath, [CLI, "study", "--task", "retina", "--attacks", "jsma"], { encoding: "utf8", env });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--attacks: 'jsma' is not an attack/);
});
