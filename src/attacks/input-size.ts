/**
 * The input-size confounder (notebook 03, beyond the paper). L-infinity robustness falls as the
 * input dimension grows (a budget of eps per pixel adds up over more pixels), and the paper's
 * medical models see 224x224x3 inputs. So "medical models are more fragile" could be a statement
 * about input size. Here the same architecture and recipe is trained per task at several input
 * sizes on the same number of images per class, each model is attacked with PGD, and medical
 * is compared with natural at matched size and at matched clean skill.
 */
import { resolveProfile, type InputSizePlan, type Profile, type ProfileName } from "../config";
import { bootstrapDifference, median, verdictOf, type Interval, type Verdict } from "../gates/verdict";
import { clearlyBeatsMajority } from "../train/metrics";
import { train } from "../train/trainer";
import { capacityProfile, type ModelGridOptions } from "./capacity";
import { attackTask } from "./experiment";
import { epsAtHalf, robustRadii, type SweepRow } from "./sweep";
import { checkWhole } from "../config/check";

export type InputSizeOptions = ModelGridOptions<InputSizePlan, InputSizeRow>;

export interface InputSizeRow {
  readonly task: string;
  /** Input side in pixels, and the number of input values (side x side x channels). */
  readonly size: number;
  readonly inputValues: number;
  readonly seed: number;
  /** The model's name with its run tag (its own run folder: `<arch>@px<size>[s<seed>]`). */
  readonly model: string;
  readonly classes: number;
  readonly testAccuracy: number;
  readonly testAuc: number;
  /** False when the model is not clearly better than its majority class. */
  readonly usable: boolean;
  /** Clean accuracy on the class-balanced attacked images, and the same as skill above chance:
   *  (accuracy - 1/classes) / (1 - 1/classes), 0 = guessing, 1 = perfect; comparable across class counts. */
  readonly cleanAccuracy: number;
  readonly skill: number;
  readonly pgdAt1: number;
  readonly epsHalf: number | null;
  /** Per correctly classified attacked image, the smallest PGD budget of the grid that breaks it
   *  (twice the largest budget when none does): see robustRadii. */
  readonly radii: readonly number[];
  readonly rows: readonly SweepRow[];
  readonly trainSeconds: number;
  readonly reused: boolean;
}

/** The run tag that keeps each size's model apart from the task's main model. */
export function inputSizeModelName(plan: Pick<InputSizePlan, "model">, size: number, seed: number): string {
  return `${plan.model}@px${size}${seed === 0 ? "" : `s${seed}`}`;
}

/** The profile a size's model trains under: that input size, the plan's subset and epochs, one recipe for every task. */
export function inputSizeProfile(profile: Profile, plan: InputSizePlan, size: number): Profile {
  return capacityProfile(profile, { ...plan, imageSize: size });
}

export function checkInputSizePlan(plan: InputSizePlan): void {
  if (!plan.pgdGrid.includes(1)) throw new Error(`The input-size plan's PGD grid must contain 1 (the paper's budget, 1/255); got ${plan.pgdGrid.join(", ")}`);
  if (plan.tasks.length === 0 || plan.sizes.length === 0) throw new Error("The input-size plan needs at least one task and one input size");
  for (const s of plan.sizes) checkWhole(s, "An input size (pixels)", 8);
  checkWhole(plan.seeds, "The input-size plan's seeds", 1);
}

export async function inputSizeSweep(o: InputSizeOptions = {}): Promise<InputSizeRow[]> {
  const base = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const plan: InputSizePlan = { ...base.inputSize, ...o.plan };
  checkInputSizePlan(plan);
  const out: InputSizeRow[] = [];
  const total = plan.tasks.length * plan.sizes.length * plan.seeds;
  for (const size of plan.sizes) {
    const profile = inputSizeProfile(base, plan, size);
    for (const task of plan.tasks) {
      for (let seed = 0; seed < plan.seeds; seed++) {
        const model = inputSizeModelName(plan, size, seed);
        const t = await train(task, { profile, model, seed, quiet: o.quiet, workers: o.workers, pool: o.pool });
        const channels = t.model.inputs[0].shape[3] as number;
        t.model.dispose();
        const a = await attackTask(task, { profile, model, attacks: ["pgd"], grids: { pgd: plan.pgdGrid }, n: plan.attackImages, saveEps: null, quiet: true, workers: o.workers, pool: o.pool });
        const k = a.classNames.length;
        const row: InputSizeRow = {
          task,
          size,
          inputValues: size * size * channels,
          seed,
          model,
          classes: k,
          testAccuracy: t.test.accuracy,
          testAuc: t.test.auc,
          usable: clearlyBeatsMajority(t.test),
          cleanAccuracy: a.cleanAccuracy,
          skill: (a.cleanAccuracy - 1 / k) / (1 - 1 / k),
          pgdAt1: a.rows.find((r) => r.eps === 1)!.accuracy,
          epsHalf: epsAtHalf(a.rows),
          radii: robustRadii(a.rows),
          rows: a.rows,
          trainSeconds: t.trainSeconds,
          reused: t.reused,
        };
        out.push(row);
        o.onRow?.(row, out.length, total);
      }
    }
  }
  return out;
}

export interface InputSizeComparison {
  /** What was matched: one input size, or clean skill (within the tolerance) at the same size. */
  readonly label: string;
  readonly size: number | null;
  readonly medical: readonly InputSizeRow[];
  readonly natural: readonly InputSizeRow[];
  /** Median PGD radius (/255) of each side's images. */
  readonly medicalMedian: number;
  readonly naturalMedian: number;
  readonly verdict: Verdict;
}

export interface InputSizeVerdicts {
  readonly bySize: readonly InputSizeComparison[];
  /** Medical and natural models whose clean skill differs by at most `tolerance`, at the same size. */
  readonly matched: InputSizeComparison;
  readonly tolerance: number;
  /** Least-squares slope of log(median radius) on log(input values), per side (robustness' scaling with size). */
  readonly slopes: Readonly<Record<"medical" | "natural", number>>;
  /** The overall answer: does medical fragility survive once size and skill are matched? */
  readonly verdict: Verdict;
}

const NO_DATA = (why: string): Verdict => ({ word: "not testable here", text: `not testable here: ${why}`, difference: null });

function compare(label: string, size: number | null, medical: readonly InputSizeRow[], natural: readonly InputSizeRow[], seed: number, empty: (side: string) => string): InputSizeComparison {
  const nonEmpty = (rs: readonly InputSizeRow[]) => rs.filter((r) => r.radii.length > 0);
  const [m, n] = [nonEmpty(medical), nonEmpty(natural)];
  const med = (rs: readonly InputSizeRow[]) => (rs.length ? median(rs.flatMap((r) => r.radii)) : NaN);
  let verdict: Verdict;
  if (!m.length || !n.length) verdict = NO_DATA(empty(!m.length ? "medical" : "natural"));
  else {
    // Each model (task, seed) is a cluster of per-image radii; the paper's side is negative (medical smaller).
    const difference: Interval = bootstrapDifference(m.map((r) => r.radii), n.map((r) => r.radii), { statistic: median, seed });
    verdict = verdictOf({ difference, paper: "negative", gates: [], digits: 2 });
  }
  return { label, size, medical: m, natural: n, medicalMedian: med(m), naturalMedian: med(n), verdict };
}

function slope(rows: readonly InputSizeRow[]): number {
  const pts = [...new Set(rows.map((r) => r.inputValues))].map((d) => {
    const rs = rows.filter((r) => r.inputValues === d).flatMap((r) => r.radii);
    return rs.length ? [Math.log(d), Math.log(median(rs))] : null;
  }).filter((p): p is number[] => p !== null);
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? NaN : pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx;
}

/**
 * Medical vs natural PGD radii at each input size, and among the models whose clean skill is
 * matched within `tolerance` at the same size; only usable models count. The overall verdict is
 * the matched comparison's: it controls both confounders at once.
 */
export function inputSizeVerdicts(rows: readonly InputSizeRow[], natural: readonly string[], o: { tolerance?: number; seed?: number } = {}): InputSizeVerdicts {
  const tolerance = o.tolerance ?? 0.1;
  const seed = o.seed ?? 0;
  const usable = rows.filter((r) => r.usable);
  const isNatural = (r: InputSizeRow) => natural.includes(r.task);
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const bySize = sizes.map((s) => {
    const at = usable.filter((r) => r.size === s);
    return compare(`${s} px`, s, at.filter((r) => !isNatural(r)), at.filter(isNatural), seed, (side) => `no usable ${side} model at ${s} px`);
  });
  const mm: InputSizeRow[] = [];
  const nn = new Set<InputSizeRow>();
  for (const m of usable.filter((r) => !isNatural(r))) {
    const partners = usable.filter((r) => isNatural(r) && r.size === m.size && Math.abs(r.skill - m.skill) <= tolerance);
    if (partners.length === 0) continue;
    mm.push(m);
    for (const p of partners) nn.add(p);
  }
  const matched = compare(`skill within ${tolerance} at the same size`, null, mm, [...nn], seed, () => `no medical and natural models of the same size within ${tolerance} of each other's clean skill`);
  const slopes = { medical: slope(usable.filter((r) => !isNatural(r))), natural: slope(usable.filter(isNatural)) };
  const verdict: Verdict = matched.verdict.word === "not testable here" ? matched.verdict : { ...matched.verdict, text: `at matched size and skill, ${matched.verdict.text}` };
  return { bySize, matched, tolerance, slopes, verdict };
}
