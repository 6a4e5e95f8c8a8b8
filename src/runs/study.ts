/**
 * The whole study on one task (your own data or a built-in one), as `mia study` runs it: train (or
 * reuse) the classifier, the four L-infinity attacks over the profile's eps grids, the saliency,
 * representation and loss-landscape measures, the detectors, and a self-contained report folder.
 *
 * Report layout (README, "mia study"):
 *   index.html                  the page: model and gate, figures, tables, the verdict table
 *   summary.json                every number of the page
 *   INDEX.md, index.json        the files, as figures/INDEX.md lists a run's figures
 *   study_*.png|svg|html        figures (accuracy vs eps, saliency maps, landscape, ROC)
 *   study_*.csv|md|tex          tables (eps at half accuracy, measures, detection AUC, verdicts)
 *   adversarial/<attack>-eps1/  the attacked images as NumPy files (x_clean, x_adv, labels,
 *                               pred_clean, pred_adv .npy, meta.json)
 *   detection/<attack>/         features.npy, per detector <detector>_scores.npy with is_adv.npy
 *                               (the first split's AdvTest rows), and advtrain_<r>.npy /
 *                               advtest_<r>.npy: each averaged split's rows of features.npy
 * Every measure that cannot be made on this task is reported with its reason, never as a number.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, withEngine } from "../backend";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { writeFileAtomic } from "../config/io";
import { studyDir } from "../config/paths";
import { balancedOrder, loadTask, registerCustomTask, type TaskSpec } from "../data";
import { epsAtHalf, LINF_ATTACKS, robustRadii, loadAdversarialSet, SET_FILES, type LinfAttackName } from "../attacks";
import { DETECTOR_NAMES, PAPER_DETECTORS, saveDetectionFiles, type DetectRow, type TaskDetection } from "../detect";
import { representationShift, participationRatio } from "../features";
import { featureModel, stageOutputs } from "../models";
import { lossLandscape, sharpness, lossAt } from "../landscape";
import { massFraction, saliencyMap, VanillaGradient } from "../saliency";
import { rocCurve, trainBlackBox } from "../train";
import { bootstrapDifference, gateStatus, median, thresholdVerdict, untestableReason, verdictOf } from "../gates";
import * as plots from "../plots";
import { experiment } from "./experiment";

export interface StudyOptions {
  readonly profile?: Profile | ProfileName;
  readonly attacks?: readonly LinfAttackName[];
  /** The report folder (default build/reports/<profile>/<task>/). */
  readonly out?: string;
  readonly model?: string;
  /** Progress lines (default: console.error, so stdout can carry JSON). */
  readonly log?: (line: string) => void;
}

/** A measured value, or why it could not be measured. */
export type Measured = { readonly value: number } | { readonly missing: string };

export interface StudySummary {
  readonly task: string;
  readonly title: string;
  readonly profile: string;
  readonly dir: string;
  readonly model: { readonly name: string; readonly reused: boolean; readonly testAccuracy: number; readonly testAuc: number; readonly testN: number; readonly gate: string; readonly testable: boolean };
  readonly attacks: ReadonlyArray<{ readonly attack: string; readonly cleanAccuracy: number; readonly accuracyAt1: Measured; readonly epsAtHalf: Measured; readonly points: ReadonlyArray<{ eps: number; accuracy: number }> }>;
  readonly measures: Readonly<Record<"saliencySpread" | "participationRatio" | "representationShift" | "sharpness", Measured>>;
  readonly detection: ReadonlyArray<{ readonly attack: string; readonly detector: string; readonly auc: Measured; readonly lo?: number; readonly hi?: number }>;
  readonly verdicts: ReadonlyArray<{ readonly claim: string; readonly paper: string; readonly ours: string; readonly verdict: string }>;
  readonly files: readonly string[];
  readonly seconds: number;
}

export { studyDir };

const value = (v: number): Measured => (Number.isFinite(v) ? { value: v } : { missing: "not a finite number" });
const missing = (why: string): Measured => ({ missing: why });
const cell = (m: Measured): plots.Cell => ("value" in m ? m.value : plots.missing(m.missing));
const text = (m: Measured, d = 3) => ("value" in m ? m.value.toFixed(d) : `— (${m.missing})`);

async function measure(what: string, log: (s: string) => void, f: () => Promise<number>): Promise<Measured> {
  try {
    return value(await f());
  } catch (e) {
    log(`[study] ${what}: not measured: ${(e as Error).message}`);
    return missing((e as Error).message.split("\n")[0]);
  }
}


export async function runStudy(task: TaskSpec, o: StudyOptions = {}): Promise<StudySummary> {
  const t0 = Date.now();
  const profile = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const log = o.log ?? ((s: string) => console.error(s));
  const attacks = [...(o.attacks ?? LINF_ATTACKS)];
  // A custom task is registered by name, so that the stages below (which resolve it by name) find it.
  if (task.custom) registerCustomTask(task);
  const dir = path.resolve(o.out ?? studyDir(profile.name, task.name));
  fs.mkdirSync(dir, { recursive: true });
  const where = { notebook: "mia study" };
  // Figure titles: a custom task's title carries its folder's path, too long for a figure.
  const short = task.custom ? task.name : task.title;
  const E = profile.explain;

  // 1. The model.
  log(`[study] ${task.name}: training (or reusing) the ${o.model ?? profile.model} model on the ${profile.name} profile`);
  // Progress bars go to stderr; status lines to the log, so stdout stays free for --json.
  const exp = experiment(task, profile, { model: o.model });
  const trained = await exp.train({ log });
  // The trained model serves the measures of step 3 (the attacks load their own on the worker pool).
  const model = trained.model;
  const gate = gateStatus(task.name, trained);
  log(`[study] model: ${gate.summary}`);

  // 2. The attacks over the profile's grids (the eps = 1/255 sets are saved).
  log(`[study] attacks: ${attacks.join(", ")} over the ${profile.name} grids`);
  const run = await exp.attack({ attacks });
  const perAttack = attacks.map((a) => {
    const rows = run.rows.filter((r) => r.attack === a);
    const at1 = rows.find((r) => Math.abs(r.eps - 1) < 1e-9);
    const half = epsAtHalf(rows);
    const max = Math.max(...rows.map((r) => r.eps));
    return {
      attack: a,
      cleanAccuracy: run.cleanAccuracy,
      accuracyAt1: at1 ? value(at1.accuracy) : missing("1/255 is not on this profile's grid"),
      epsAtHalf: half !== null ? value(half) : missing(`accuracy stays above half over the whole grid (to ${max}/255)`),
      points: rows.map((r) => ({ eps: r.eps, accuracy: r.accuracy })),
      rows,
    };
  });
  const accFig = plots.accuracyCurvesFigure({ [task.name]: run.rows }, { title: `Accuracy under attack: ${short} (${profile.name} profile)`, panelTitles: { [task.name]: short } });
  await plots.exportFigure(accFig, { name: "study_accuracy-vs-eps", paper: "F-acc", title: "Accuracy vs ε per attack", ...where }, { dir });

  // 3. Why it is vulnerable: saliency spread, feature simplicity, representation shift, sharpness.
  const data = await loadTask(task, { profile, seed: trained.key.seed, splits: ["test"], quiet: true });
  const test = data.splits.test!;
  const { x, y } = test.toTensors(balancedOrder(test.labels, 0).slice(0, E.images));
  const labels = (await y.data()) as Int32Array;
  let salMaps: Float32Array | null = null;
  const saliencySpread = await measure("saliency", log, () =>
    withEngine(model, async (e) => {
      const attr = await new VanillaGradient(e).attribute(x, labels);
      const map = saliencyMap(attr);
      salMaps = (await map.data()) as Float32Array;
      const spread = await massFraction(map, 0.5);
      tf.dispose([attr, map]);
      return median(spread);
    }),
  );
  if (salMaps) {
    const maps = salMaps as Float32Array;
    const per = data.size * data.size;
    const k = Math.min(6, x.shape[0]);
    const xs = await x.data();
    const idx = [...Array(k).keys()];
    const norm = (m: Float32Array) => { const top = plots.quantile(m, 0.99) || 1; return m.map((v) => v / top); };
    const fig = await plots.labelledGrid(
      [
        { label: "image", images: idx.map((i) => plots.imageRgb(xs, i, data.size, data.channels)) },
        plots.heatmapRow("|∇ₓ CE|", idx.map((i) => norm(maps.subarray(i * per, (i + 1) * per))), { h: data.size, w: data.size, size: data.size, range: [0, 1] }),
      ],
      { size: data.size, channels: 3, cell: 96, title: `Vanilla-gradient saliency: ${short}`, colorbars: [{ colormap: "jet", range: [0, 1], label: "|∇ₓ CE| / its 99th pct" }], note: "Each map is divided by its own 99th percentile." },
    );
    plots.exportImage(fig, { name: "study_saliency", paper: "F-saliency", title: "Saliency maps", ...where }, { dir });
  }
  const participation = await measure("participation ratio", log, async () => {
    const out = featureModel(model).predict(x) as tf.Tensor[];
    const f = (await out[0].data()) as Float32Array;
    const pr = participationRatio(f, out[0].shape[0], out[0].shape[1]!);
    tf.dispose(out);
    return pr;
  });
  const pgdSet = run.saved[attacks.indexOf("pgd")];
  const shift = await measure("representation shift", log, async () => {
    if (!pgdSet) throw new Error("PGD was not run (--attacks)");
    const stages = [...stageOutputs(model).keys()];
    if (!stages.length) throw new Error(`the ${o.model ?? profile.model} model has no named stages`);
    const set = loadAdversarialSet(pgdSet);
    const shape = set.shape as [number, number, number, number];
    const [xc, xa] = [tf.tensor4d(set.clean, shape), tf.tensor4d(set.adversarial, shape)];
    try {
      return (await representationShift(model, xc, xa, stages[stages.length - 1])).meanActivation;
    } finally {
      tf.dispose([xc, xa]);
    }
  });
  const sharp = await measure("loss landscape", log, async () => {
    log(`[study] landscape: training (or reusing) its second model (${E.blackBoxEpochs} epoch(s), ${E.blackBoxTrainPerClass ?? "all"} training images per class)`);
    const bb = await trainBlackBox(task.name, { profile, quiet: true });
    const n = Math.min(E.landscapeImages, x.shape[0]);
    const [xs, ys] = [x.slice(0, n), y.slice(0, n)];
    try {
      const surface = await withEngine(model, (w) => withEngine(bb.model, (b) => lossLandscape(w, b, xs, ys, { grid: E.landscapeGrid, cache: true })));
      const fig = plots.landscapeFigure({ [task.name]: surface }, { title: `Loss landscape: ${short}` });
      await plots.exportFigure(fig, { name: "study_loss-landscape", paper: "F-landscape", title: "Loss landscape", ...where }, { dir });
      const e1 = Math.min(1, E.landscapeGrid[E.landscapeGrid.length - 1]);
      log(`[study] landscape: clean loss ${lossAt(surface, 0, 0).toFixed(3)}, at ε₁ = ${e1}/255 ${lossAt(surface, e1, 0).toFixed(3)}`);
      return sharpness(surface, e1);
    } finally {
      tf.dispose([xs, ys]);
      bb.model.dispose();
    }
  });
  tf.dispose([x, y]);
  model.dispose();

  // 4. Detection at eps = 1/255.
  log(`[study] detectors: ${DETECTOR_NAMES.join(", ")} on the ε = 1/255 sets`);
  let det: TaskDetection | null = null;
  let detError = "";
  try {
    det = await exp.detect({ attacks, eps: 1 });
  } catch (e) {
    detError = (e as Error).message.split("\n")[0];
    log(`[study] detection: not run: ${detError}`);
  }
  const detRows: DetectRow[] = det?.rows ?? [];
  const detection = attacks.flatMap((a) =>
    DETECTOR_NAMES.map((d) => {
      const r = detRows.find((x) => x.attack === a && x.detector === d);
      if (!r) return { attack: a, detector: d, auc: missing(detError || "not run") };
      return r.error ? { attack: a, detector: d, auc: missing(r.error) } : { attack: a, detector: d, auc: value(r.auc), lo: r.lo, hi: r.hi };
    }),
  );
  if (det) {
    const roc = Object.fromEntries(attacks.map((a) => [a, DETECTOR_NAMES.flatMap((d) => { const r = detRows.find((x) => x.attack === a && x.detector === d); return r && !r.error ? [{ name: d, ...rocCurve(r.isAdv, r.scores) }] : []; })]));
    await plots.exportFigure(plots.rocFigure(roc, { title: `ROC on AdvTest, ε = 1/255: ${short}`, panelTitles: Object.fromEntries(attacks.map((a) => [a, a.toUpperCase()])) }), { name: "study_roc", paper: "T-detect", title: "ROC per attack and detector", ...where }, { dir });
  }

  // 5. Verdicts, as far as one task can carry them.
  const usable = gate.testable;
  const pgd = perAttack.find((p) => p.attack === "pgd");
  // Per correctly classified image: 1 if PGD at 1/255 did not break it (its robust radius exceeds 1).
  const survival = pgd && "value" in pgd.accuracyAt1 ? robustRadii(pgd.rows).map((r) => (r > 1 ? 1 : 0)) : [];
  const claim1 = verdictOf({ difference: survival.length ? bootstrapDifference([survival], [[0.5]], { seed: 0 }) : null, paper: "negative", gates: [gate] });
  const best = attacks.map((a) => detRows.filter((r) => r.attack === a && (PAPER_DETECTORS as readonly string[]).includes(r.detector) && !r.error).sort((p, q) => q.auc - p.auc)[0]);
  const claim4 = !usable
    ? untestableReason([gate]) ?? "not testable here: model below its gate"
    : best.some((b) => !b)
      ? "not testable here: no paper detector could be fitted on some attack"
      : thresholdVerdict(best as DetectRow[], 0.98, "above");
  const comparative = "needs a natural-image comparator: run the notebooks with TASKS=" + `${task.name},cifar10`;
  const verdicts = [
    { claim: "1. broken at 1/255", paper: "medical binary models: PGD at 1/255 breaks most correctly classified images", ours: `PGD accuracy at 1/255 ${pgd ? text(pgd.accuracyAt1) : "— (PGD not run)"} of clean ${run.cleanAccuracy.toFixed(3)}; share surviving minus ½`, verdict: claim1.text },
    { claim: "3. wide saliency, simple features, sharp landscape", paper: "medical vs natural", ours: `saliency spread ${text(saliencySpread)}, participation ratio ${text(participation, 2)}, sharpness ${text(sharp)}`, verdict: comparative },
    { claim: "4. easy to detect", paper: "AUC > 0.98 on medical images", ours: best.map((b, i) => `${attacks[i].toUpperCase()} ${b ? `${b.detector} ${b.auc.toFixed(3)} [${b.lo.toFixed(3)}, ${b.hi.toFixed(3)}]` : "—"}`).join("; "), verdict: claim4 },
  ];

  // 6. Tables, arrays, page.
  const tables: Array<[string, plots.PaperTable]> = [
    ["study_eps-at-half", { caption: "ε (/255) at which accuracy falls to half its clean value, and accuracy at 1/255", keys: ["attack"], columns: ["ε½", "accuracy at 1/255"], rows: perAttack.map((p) => ({ key: [p.attack.toUpperCase()], cells: [cell(p.epsAtHalf), cell(p.accuracyAt1)] })), digits: 3 }],
    ["study_measures", { caption: "Why vulnerable: the measures of notebook 05 on this task", keys: ["measure"], columns: ["value"], rows: [
      { key: ["median fraction of pixels holding half the saliency mass"], cells: [cell(saliencySpread)] },
      { key: ["participation ratio of the 128-d features"], cells: [cell(participation)] },
      { key: ["relative change of the last stage under PGD 1/255"], cells: [cell(shift)] },
      { key: ["loss-landscape sharpness (rise one step up the gradient)"], cells: [cell(sharp)] },
    ], digits: 3 }],
    ["study_detection", { caption: "Detection AUC on AdvTest [bootstrap 95% interval], ε = 1/255", keys: ["detector"], columns: attacks.map((a) => a.toUpperCase()), rows: DETECTOR_NAMES.map((d) => ({ key: [d], cells: attacks.map((a) => { const r = detection.find((x) => x.attack === a && x.detector === d)!; return "value" in r.auc ? plots.interval(r.auc.value, r.lo!, r.hi!) : plots.missing(r.auc.missing); }) })), digits: 3, boundDigits: 2 }],
    ["study_verdicts", { caption: `The paper's claims on ${task.name} (${profile.name} profile)`, keys: ["claim"], columns: ["paper", "this task", "verdict"], rows: verdicts.map((v) => ({ key: [v.claim], cells: [v.paper, v.ours, v.verdict] })) }],
  ];
  for (const [name, t] of tables) plots.exportPaperTable(t, { name, paper: "study", title: t.caption, ...where }, { dir });
  for (const [i, a] of attacks.entries()) {
    const src = run.saved[i];
    if (!src) continue;
    const to = path.join(dir, "adversarial", `${a}-eps1`);
    fs.mkdirSync(to, { recursive: true });
    for (const f of [...SET_FILES, "meta.json"]) if (fs.existsSync(path.join(src, f))) fs.copyFileSync(path.join(src, f), path.join(to, f));
  }
  if (det) {
    for (const a of attacks) {
      const s = det.sets[a];
      if (!s) continue;
      const to = path.join(dir, "detection", a);
      fs.mkdirSync(to, { recursive: true });
      const feat = path.join(s.featuresDir, "features.npy");
      if (fs.existsSync(feat)) fs.copyFileSync(feat, path.join(to, "features.npy"));
      const fitted = detRows.filter((x) => x.attack === a && !x.error);
      // Every fitted detector scored the same AdvTest rows (the first split's), so one is_adv.npy.
      if (fitted.length) saveDetectionFiles(to, { scores: Object.fromEntries(fitted.map((r) => [`${r.detector}_scores.npy`, r.scores])), isAdv: fitted[0].isAdv, splits: s.splits, hint: "Make the report folder writable, or pass --out DIR." });
    }
  }
  const summary: StudySummary = {
    task: task.name,
    title: task.title,
    profile: profile.name,
    dir,
    model: { name: trained.key.model, reused: trained.reused, testAccuracy: trained.test.accuracy, testAuc: trained.test.auc, testN: trained.test.n, gate: gate.summary, testable: gate.testable },
    attacks: perAttack.map(({ rows: _rows, ...p }) => p),
    measures: { saliencySpread, participationRatio: participation, representationShift: shift, sharpness: sharp },
    detection,
    verdicts,
    files: [],
    seconds: (Date.now() - t0) / 1000,
  };
  writeFileAtomic(path.join(dir, "index.html"), studyPage(summary, dir, tables), "Make the report folder writable, or pass --out DIR.");
  const files = listFiles(dir);
  const final = { ...summary, files, seconds: (Date.now() - t0) / 1000 };
  writeFileAtomic(path.join(dir, "summary.json"), JSON.stringify(final, null, 2) + "\n", "Make the report folder writable, or pass --out DIR.");
  log(`[study] report: ${path.join(dir, "index.html")} (${files.length + 1} files, ${final.seconds.toFixed(0)} s)`);
  return { ...final, files: listFiles(dir) };
}

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))])).sort();
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The report page: everything inline except the figures, which are the PNGs beside it. */
function studyPage(s: StudySummary, dir: string, tables: ReadonlyArray<readonly [string, plots.PaperTable]>): string {
  const fig = (name: string, alt: string) => (fs.existsSync(path.join(dir, `${name}.png`)) ? `<figure><img src="${name}.png" alt="${esc(alt)}" style="max-width:100%"/><figcaption>${esc(alt)} (<a href="${name}.svg">SVG</a>${fs.existsSync(path.join(dir, `${name}.html`)) ? `, <a href="${name}.html">interactive</a>` : ""})</figcaption></figure>` : `<p><em>${esc(alt)}: not drawn (see the measures table for the reason).</em></p>`);
  const table = (name: string) => plots.paperTableHtml(tables.find(([n]) => n === name)![1]);
  return `<!doctype html><html><head><meta charset="utf-8"><title>mia study: ${esc(s.task)}</title>
<style>body{font:14px/1.45 sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}caption{font-weight:bold;text-align:left}</style></head><body>
<h1>Adversarial study: ${esc(s.title)}</h1>
<p>Profile <b>${esc(s.profile)}</b>; model ${esc(s.model.name)} (${s.model.reused ? "reused" : "trained now"}): test accuracy ${(100 * s.model.testAccuracy).toFixed(1)}%, AUC ${s.model.testAuc.toFixed(3)} on ${s.model.testN} images. ${esc(s.model.gate)}.</p>
<h2>Verdicts</h2>${table("study_verdicts")}
<h2>Attacks</h2>${fig("study_accuracy-vs-eps", "Accuracy vs ε per attack")}${table("study_eps-at-half")}
<h2>Why vulnerable</h2>${fig("study_saliency", "Saliency maps")}${fig("study_loss-landscape", "Loss landscape")}${table("study_measures")}
<h2>Detection</h2>${fig("study_roc", "ROC curves")}${table("study_detection")}
<h2>Files</h2><p>Tables as CSV / Markdown / LaTeX beside this page (<a href="INDEX.md">INDEX.md</a>); the attacked images in <code>adversarial/</code>, features and detector scores in <code>detection/</code> (NumPy); every number in <a href="summary.json">summary.json</a>. Made in ${s.seconds.toFixed(0)} s.</p>
</body></html>
`;
}
