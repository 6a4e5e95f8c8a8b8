/**
 * The attack experiment of notebooks 03 and 04 for one task: its trained model, n class-balanced
 * test images, an accuracy-vs-eps sweep per attack on the profile's grids, and the adversarial
 * sets at eps = 1/255 saved for the detectors. Sweeps are cached point by point as JSON beside
 * the saved sets and reused while the model, the images and the settings are the same: asking
 * for a wider grid computes only the new eps values (each point's attack is seeded on its own,
 * so a point does not depend on which others were computed).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import { createEngine, type EngineOptions } from "../backend/engine";
import { resolveProfile, type EpsGrids, type Profile, type ProfileName } from "../config";
import { runFolder } from "../config/paths";
import { loadTask, requireEveryClass, type TaskData } from "../data/load";
import type { TaskSpec } from "../data/tasks";
import { balancedOrder } from "../data/split";
import { progress } from "../ui/progress";
import { loadTrained, requireSameTestSplit } from "../train/trainer";
import { checkEps, predictLabels, type LabelMode } from "./attack";
import { adversarialDir, collectAdversarial, RESULTS_HINT, resultsRoot, saveAdversarial, reusableSet } from "./save";
import { requireWritable, writeFileAtomic } from "../config/io";
import { accuracyVsEps, checkSweepMode, LINF_ATTACKS, linfAttack, type LinfAttackName, type SweepMode, type SweepRow } from "./sweep";

export interface TaskAttackOptions extends EngineOptions {
  readonly profile?: Profile | ProfileName;
  readonly model?: string;
  readonly attacks?: readonly LinfAttackName[];
  readonly grids?: Partial<EpsGrids>;
  /** Test images attacked (default: the profile's attackImages). */
  readonly n?: number;
  /** Iterations of BIM / PGD / CW (default: the profile's attackSteps). */
  readonly steps?: number;
  readonly labels?: LabelMode;
  readonly seed?: number;
  /** Save each attack's adversarial set at this eps (default 1, the detection budget; null: none). */
  readonly saveEps?: number | null;
  /** How the points of the iterative attacks' sweeps relate (default: the profile's `sweep`);
   *  FGSM is always swept independently. See SweepMode. */
  readonly sweep?: SweepMode;
  /** Recompute cached sweeps. */
  readonly force?: boolean;
  readonly quiet?: boolean;
}

export interface TaskAttackResult {
  readonly task: string;
  readonly model: string;
  readonly classNames: readonly string[];
  readonly n: number;
  readonly cleanAccuracy: number;
  readonly rows: readonly SweepRow[];
  /** Attacks whose every point came from the cache. */
  readonly cached: readonly string[];
  /** Points (attack, eps) computed by this call. */
  readonly computed: number;
  readonly saved: readonly string[];
  readonly seconds: number;
}

const GRID_OF: Record<LinfAttackName, keyof EpsGrids> = { fgsm: "fgsm", bim: "bim", pgd: "pgd", cw: "cw" };

/**
 * Each attack's profile grid with the summary budgets (profile.reportEps) added: what the
 * notebooks' summary tables ask for. A cumulative sweep reuses its cached points only up to the
 * first budget where two grids differ, so asking for the summary budgets alone would recompute
 * (and replace) the whole sweep; with this grid only the budgets beyond the profile's are new.
 */
export function reportGrids(profile: Profile): EpsGrids {
  const union = (g: readonly number[]) => [...new Set([...g, ...profile.reportEps])].sort((a, b) => a - b);
  return { fgsm: union(profile.epsGrid.fgsm), bim: union(profile.epsGrid.bim), pgd: union(profile.epsGrid.pgd), cw: union(profile.epsGrid.cw) };
}

/** What every attack run starts from: the trained model, its test split and n images of it. */
export interface AttackSetup {
  readonly model: tf.LayersModel;
  readonly key: Awaited<ReturnType<typeof loadTrained>>["key"];
  readonly savedAt: string;
  readonly data: TaskData;
  /** Indices into the test split of the chosen images, class-balanced, in attack order. */
  readonly chosen: readonly number[];
  readonly ids: readonly string[];
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

/**
 * The shared set-up of `mia attack` and attackTask: the trained model of the task, its test
 * split as the model was trained with it (the same seed, hence the same group split; checked
 * against the run's record), every class present, and the first n images of the seeded
 * class-balanced order as tensors. On a failed check the model is disposed before the error.
 */
export async function attackSetup(
  task: string | TaskSpec,
  o: { profile: Profile; model?: string; n: number; seed: number; dir?: string; allowMissing?: boolean; strict?: boolean; quiet?: boolean },
): Promise<AttackSetup> {
  const name = typeof task === "string" ? task : task.name;
  const { model, key, savedAt, result: record } = await loadTrained(name, { profile: o.profile, model: o.model });
  let data: TaskData;
  try {
    // The split the model was trained with: a model of another seed has another group split (and test subset).
    data = await loadTask(task, { profile: o.profile, dir: o.dir, seed: key.seed, allowMissing: o.allowMissing, strict: o.strict, splits: ["test"], quiet: o.quiet });
    requireEveryClass(data, ["test"], "be attacked");
    requireSameTestSplit(record, data.splits.test!, { task: name, profile: o.profile.name });
  } catch (e) {
    model.dispose();
    throw e;
  }
  const test = data.splits.test!;
  const chosen = balancedOrder(test.labels, o.seed).slice(0, o.n);
  const { x, y } = test.toTensors(chosen);
  return { model, key, savedAt, data, chosen, ids: chosen.map((i) => test.ids[i]), x, y };
}

export async function attackTask(task: string, o: TaskAttackOptions = {}): Promise<TaskAttackResult> {
  const profile = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const attacks = o.attacks ?? LINF_ATTACKS;
  const n = o.n ?? profile.attackImages;
  const steps = o.steps ?? profile.attackSteps;
  const labels = o.labels ?? "true";
  const seed = o.seed ?? 0;
  const saveEps = o.saveEps === undefined ? 1 : o.saveEps;
  const sweepMode = checkSweepMode(o.sweep ?? profile.sweep);
  const modeOf = (attack: string): SweepMode => (attack === "fgsm" ? "independent" : sweepMode);
  const t0 = Date.now();
  const { model, key, savedAt, x, y, ids, data, chosen } = await attackSetup(task, { profile, model: o.model, n, seed, quiet: true });
  const target = await createEngine(model, o);
  const dir = runFolder(resultsRoot(), profile.name, task, key.model);
  const settings = (attack: string) =>
    // FGSM has no steps: a change of steps must not invalidate it.
    ({ savedAt, data: key.data, ids, attack, steps: attack === "fgsm" ? 1 : steps, labels, seed });
  const hash = (o: object) => createHash("sha256").update(JSON.stringify(o)).digest("hex").slice(0, 16);
  const cacheKey = (attack: string, grid: readonly number[]) => {
    const { savedAt: a, data: b, ids: c, attack: d, ...rest } = settings(attack);
    return hash({ savedAt: a, data: b, ids: c, attack: d, grid, ...rest });
  };
  // v3: images misclassified when clean are no longer attacked; cumulative points carry the mode.
  const pointsKey = (attack: string) => hash({ v: 3, ...settings(attack), ...(modeOf(attack) === "cumulative" ? { mode: "cumulative" } : {}) });
  const rows: SweepRow[] = [];
  const cached: string[] = [];
  const saved: string[] = [];
  let computed = 0;
  // Checked once, before the first attack is computed (a fully cached run reads only).
  let checked = false;
  const writable = () => {
    if (!checked) requireWritable(dir, RESULTS_HINT);
    checked = true;
  };
  try {
    // Clean predictions once: the clean accuracy and every saved set use them.
    const predT = await predictLabels(target, x);
    const predClean = Int32Array.from(await predT.data());
    predT.dispose();
    const yTrue = await y.data();
    const cleanAccuracy = predClean.filter((p, i) => p === yTrue[i]).length / predClean.length;
    const total = attacks.reduce((s, a) => s + new Set([0, ...(o.grids?.[GRID_OF[a]] ?? profile.epsGrid[GRID_OF[a]])]).size, 0);
    const bar = o.quiet ? undefined : progress(total, `attack ${task}`);
    let done = 0;
    for (const attack of attacks) {
      const grid = (o.grids?.[GRID_OF[attack]] ?? profile.epsGrid[GRID_OF[attack]]).map((e) => checkEps(e));
      const file = path.join(dir, "sweeps", `${attack}.json`);
      const want = [...new Set([0, ...grid])].sort((a, b) => a - b);
      const have = new Map<number, SweepRow>();
      if (!o.force && fs.existsSync(file)) {
        const hit = readSweep(file);
        // Files written before point-by-point caching carry a key over their whole grid.
        const legacy = hit && hit.key === cacheKey(attack, hit.rows.map((r) => r.eps).filter((e) => e !== 0));
        // Points saved before per-image results were kept are computed again.
        if (hit && (hit.key === pointsKey(attack) || legacy)) for (const r of hit.rows) if (typeof r.survived === "string" && r.survived.length === chosen.length) have.set(r.eps, r);
      }
      // A cumulative point depends on the budgets below it: a cached one is kept only while the
      // cached grid and the wanted one agree up to it; the rest continue from its survivors.
      const cumulative = modeOf(attack) === "cumulative";
      if (cumulative) {
        const cachedGrid = [...have.keys()].sort((a, b) => a - b);
        let k = 0;
        while (k < want.length && cachedGrid[k] === want[k]) k++;
        const kept = new Set(want.slice(0, k));
        for (const e of [...have.keys()]) if (!kept.has(e)) have.delete(e);
      }
      const missing = want.filter((e) => !have.has(e));
      const fromCache = want.length - missing.length;
      if (fromCache) bar?.update((done += fromCache), `${attack}: ${fromCache} point(s) cached`);
      if (missing.length) {
        writable();
        const below = cumulative ? [...have.values()].sort((a, b) => b.eps - a.eps)[0] : undefined;
        const r = await accuracyVsEps(target, x, y, {
          attack,
          grid: missing,
          clean: missing.includes(0),
          mode: modeOf(attack),
          alive: below?.survived,
          predClean,
          steps,
          labels,
          seed,
          batchSize: profile.batchSize,
          onPoint: (row) => bar?.update(++done, `${attack} eps ${row.eps}: accuracy ${(100 * row.accuracy).toFixed(1)}%`),
        });
        computed += r.length;
        for (const row of r) have.set(row.eps, row);
        const all = [...have.values()].sort((a, b) => a.eps - b.eps);
        writeFileAtomic(file, JSON.stringify({ key: pointsKey(attack), task, model: key.model, profile: profile.name, steps, labels, n, rows: all }, null, 1), RESULTS_HINT);
      } else cached.push(attack);
      rows.push(...want.map((e) => have.get(e)!));
      if (saveEps !== null) {
        const out = adversarialDir(resultsRoot(), { profile: profile.name, task, model: key.model, attack, eps: saveEps });
        const advKey = cacheKey(attack, [saveEps]);
        // A damaged or truncated set is never reused: it is computed again, and the reason said.
        const prior = reusableSet(out, advKey);
        if (prior.problem) console.warn(`[attack] the saved set in ${out} is unusable (${prior.problem}); computing it again.`);
        if (o.force || !prior.reuse) {
          writable();
          const set = await collectAdversarial(target, linfAttack(attack, target, saveEps, { steps, seed }), x, y, {
            labels,
            ids,
            predClean,
            meta: { key: advKey, task, profile: profile.name, model: key.model, attack, eps: saveEps, steps: attack === "fgsm" ? 1 : steps, labels, classNames: data.classNames },
          });
          saveAdversarial(out, set);
        }
        saved.push(out);
      }
    }
    bar?.finish(`${attacks.length} attack(s)${cached.length ? `, ${cached.length} from cache` : ""}`);
    return { task, model: key.model, classNames: data.classNames, n: chosen.length, cleanAccuracy, rows, cached, computed, saved, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await target.close();
    tf.dispose([x, y]);
    model.dispose();
  }
}

/** A cached sweep file, or undefined when it is unreadable (then it is recomputed and replaced). */
function readSweep(file: string): { key: string; rows: SweepRow[] } | undefined {
  try {
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as { key?: unknown; rows?: unknown };
    if (typeof j.key === "string" && Array.isArray(j.rows) && j.rows.every((r) => typeof (r as SweepRow)?.eps === "number")) return { key: j.key, rows: j.rows as SweepRow[] };
  } catch {
    // fall through: damaged file
  }
  return undefined;
}
