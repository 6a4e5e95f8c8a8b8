/**
 * The input-size confounder (notebook 03, beyond the paper). L-infinity robustness falls as the
 * input dimension grows (a budget of eps per pixel adds up over more pixels), and the paper's
 * medical models see 224x224x3 inputs. So "medical models are more fragile" could be a statement
 * about input size. Here the same architecture and recipe is trained per task at several input
 * sizes on the same number of images per class, each model is attacked with PGD, and medical
 * is compared with natural at matched size and at matched clean skill. Where a medical and a
 * natural model of one size are further apart in skill than the plan's tolerance, the more
 * skilled one's task is trained again on shorter schedules until one matches (`role:
 * "skill-match"`): those models enter only the matched-skill comparison.
 */
import { resolveProfile, type InputSizePlan, type Profile } from "../config";
import { bootstrapDifference, median, MIN_SEEDS, requireSeeds, verdictOf, type Interval, type Verdict } from "../gates/verdict";
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
  /** The schedule it was trained on; "main" = the plan's epochs, "skill-match" = a shorter one
   *  trained to meet a model of the other side in clean skill (absent = main). */
  readonly epochs?: number;
  readonly role?: "main" | "skill-match";
}

/** The default largest clean-skill difference of a matched medical and natural pair. */
export const SKILL_TOLERANCE = 0.1;

/** The run tag that keeps each size's model apart from the task's main model. */
export function inputSizeModelName(plan: Pick<InputSizePlan, "model">, size: number, seed: number, epochs?: number): string {
  return `${plan.model}@px${size}${seed === 0 ? "" : `s${seed}`}${epochs === undefined ? "" : `e${epochs}`}`;
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
  const tol = plan.skillTolerance ?? SKILL_TOLERANCE;
  if (!(tol >= 0 && tol < 1)) throw new Error(`The input-size plan's skillTolerance must be in [0, 1); got ${tol}`);
}

/** What the search for a shorter, skill-matched schedule found. */
export interface ScheduleMatch {
  /** The schedule (epochs) whose clean skill lies within the tolerance of the target, or null. */
  readonly epochs: number | null;
  /** The clean skill measured at each schedule tried, in order. */
  readonly tried: readonly { readonly epochs: number; readonly skill: number }[];
  /** Why none matched, when none did. */
  readonly why?: string;
}

/**
 * The shortest schedule of 1 .. maxEpochs whose clean skill lies within `tolerance` of `target`.
 * Schedules are tried from the shortest up; the search stops at the first match, or when a
 * schedule already overshoots the target (the ones between cannot be finer).
 */
export async function matchSchedule(target: number, tolerance: number, maxEpochs: number, skillAt: (epochs: number) => Promise<number>): Promise<ScheduleMatch> {
  const tried: { epochs: number; skill: number }[] = [];
  for (let e = 1; e <= maxEpochs; e++) {
    const skill = await skillAt(e);
    tried.push({ epochs: e, skill });
    if (Math.abs(skill - target) <= tolerance) return { epochs: e, tried };
    if (skill > target + tolerance) return { epochs: null, tried, why: `${e} epoch(s) already give skill ${skill.toFixed(2)}, above ${target.toFixed(2)} + ${tolerance}` };
  }
  return { epochs: null, tried, why: `no schedule of 1-${maxEpochs} epochs comes within ${tolerance} of skill ${target.toFixed(2)}` };
}

export async function inputSizeSweep(o: InputSizeOptions & { onMatch?: (line: string) => void } = {}): Promise<InputSizeRow[]> {
  const base = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const plan: InputSizePlan = { ...base.inputSize, ...o.plan };
  checkInputSizePlan(plan);
  const tolerance = plan.skillTolerance ?? SKILL_TOLERANCE;
  const natural = base.tasks.natural;
  const out: InputSizeRow[] = [];
  const total = plan.tasks.length * plan.sizes.length * plan.seeds;
  const opts = { quiet: o.quiet, workers: o.workers, pool: o.pool };
  /** Trains (or reuses) one model and runs PGD over `grid` on it (an empty grid: the clean point only). */
  const run = async (task: string, size: number, seed: number, epochs: number, grid: readonly number[]) => {
    const profile = inputSizeProfile(base, { ...plan, epochs }, size);
    const model = inputSizeModelName(plan, size, seed, epochs === plan.epochs ? undefined : epochs);
    const t = await train(task, { profile, model, seed, ...opts });
    const channels = t.model.inputs[0].shape[3] as number;
    t.model.dispose();
    const a = await attackTask(task, { profile, model, attacks: ["pgd"], grids: { pgd: grid }, n: plan.attackImages, saveEps: null, ...opts, quiet: true });
    return { model, t, a, channels, skill: skillOf(a.cleanAccuracy, a.classNames.length) };
  };
  /** One model's row; `epochs` below the plan's makes a skill-match model. */
  const measure = async (task: string, size: number, seed: number, epochs = plan.epochs): Promise<InputSizeRow> => {
    const { model, t, a, channels, skill } = await run(task, size, seed, epochs, plan.pgdGrid);
    return {
      task,
      size,
      inputValues: size * size * channels,
      seed,
      model,
      classes: a.classNames.length,
      testAccuracy: t.test.accuracy,
      testAuc: t.test.auc,
      usable: clearlyBeatsMajority(t.test),
      cleanAccuracy: a.cleanAccuracy,
      skill,
      pgdAt1: a.rows.find((r) => r.eps === 1)!.accuracy,
      epsHalf: epsAtHalf(a.rows),
      radii: robustRadii(a.rows),
      rows: a.rows,
      trainSeconds: t.trainSeconds,
      reused: t.reused,
      epochs,
      role: epochs === plan.epochs ? "main" : "skill-match",
    };
  };
  for (const size of plan.sizes) {
    for (const task of plan.tasks) {
      for (let seed = 0; seed < plan.seeds; seed++) {
        const row = await measure(task, size, seed);
        out.push(row);
        o.onRow?.(row, out.filter((r) => r.role !== "skill-match").length, total);
      }
    }
    out.push(...(await skillMatches(out.filter((r) => r.size === size), natural, tolerance, plan.epochs - 1, {
      // The clean skill of a shorter schedule, without attacking it (the clean point is cached for the sweep).
      skillAt: async (task, seed, epochs) => (await run(task, size, seed, epochs, [])).skill,
      measure: (task, seed, epochs) => measure(task, size, seed, epochs),
      onMatch: o.onMatch,
    })));
  }
  return out;
}

/**
 * Skill matching among the models of one size: each (medical, natural) pair of one seed further
 * apart in clean skill than `tolerance` gets the more skilled task's shorter schedules
 * (matchSchedule over 1 .. maxEpochs), unless a shorter model of that task and seed already
 * matches the other side. Returns the matched models (one per task, seed and schedule), each
 * measured once; `onMatch` hears one line per search.
 */
export async function skillMatches(
  rows: readonly InputSizeRow[],
  natural: readonly string[],
  tolerance: number,
  maxEpochs: number,
  f: { skillAt: (task: string, seed: number, epochs: number) => Promise<number>; measure: (task: string, seed: number, epochs: number) => Promise<InputSizeRow>; onMatch?: (line: string) => void },
): Promise<InputSizeRow[]> {
  const extra: InputSizeRow[] = [];
  for (const seed of [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b)) {
    const main = rows.filter((r) => r.seed === seed && r.usable && r.role !== "skill-match");
    for (const m of main.filter((r) => !natural.includes(r.task))) {
      for (const n of main.filter((r) => natural.includes(r.task))) {
        if (Math.abs(m.skill - n.skill) <= tolerance) continue;
        const [hi, lo] = m.skill > n.skill ? [m, n] : [n, m];
        if (extra.some((r) => r.task === hi.task && r.seed === seed && Math.abs(r.skill - lo.skill) <= tolerance)) continue;
        const found = await matchSchedule(lo.skill, tolerance, maxEpochs, (e) => f.skillAt(hi.task, seed, e));
        const what = `${hi.task} ${hi.size} px (skill ${hi.skill.toFixed(2)}) vs ${lo.task} (${lo.skill.toFixed(2)})`;
        if (found.epochs === null) {
          f.onMatch?.(`skill match: ${what}: none (${found.why}; tried ${found.tried.map((t) => `${t.epochs} ep ${t.skill.toFixed(2)}`).join(", ") || "nothing: the plan trains 1 epoch"})`);
          continue;
        }
        const epochs = found.epochs;
        // Models are named by architecture, size, seed and schedule, not task: keep tasks apart.
        const r = extra.find((x) => x.task === hi.task && x.seed === seed && x.epochs === epochs) ?? (await f.measure(hi.task, seed, epochs));
        if (!extra.includes(r)) extra.push(r);
        f.onMatch?.(`skill match: ${what}: ${hi.task} on ${epochs} epoch(s) has skill ${r.skill.toFixed(2)}${r.usable ? "" : " but is not better than its majority class"}, median radius ${r.radii.length ? median(r.radii).toFixed(2) : "n/a"}/255`);
      }
    }
  }
  return extra;
}

/** Accuracy above chance: (accuracy - 1/classes) / (1 - 1/classes); 0 = guessing, 1 = perfect. */
function skillOf(accuracy: number, classes: number): number {
  return (accuracy - 1 / classes) / (1 - 1 / classes);
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
 * the matched comparison's: it controls both confounders at once. Every verdict needs `minSeeds`
 * (default MIN_SEEDS, 3) seeds per task and size; with fewer it reads "not testable here" beside
 * the measured difference (on the cpu profile's one seed, the machine alone moved it).
 */
export function inputSizeVerdicts(rows: readonly InputSizeRow[], natural: readonly string[], o: { tolerance?: number; seed?: number; minSeeds?: number } = {}): InputSizeVerdicts {
  const tolerance = o.tolerance ?? SKILL_TOLERANCE;
  const seed = o.seed ?? 0;
  const usable = rows.filter((r) => r.usable);
  // The size comparisons and slopes use the plan's own schedule; shorter ones only serve the skill match.
  const main = usable.filter((r) => r.role !== "skill-match");
  const isNatural = (r: InputSizeRow) => natural.includes(r.task);
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const bySize = sizes.map((s) => {
    const at = main.filter((r) => r.size === s);
    return compare(`${s} px`, s, at.filter((r) => !isNatural(r)), at.filter(isNatural), seed, (side) => `no usable ${side} model at ${s} px`);
  });
  // Per medical (task, size, seed), the one schedule that comes closest to a natural model of its
  // size (the plan's own or a shorter one), so no task counts twice; its partners on the other side.
  const mm: InputSizeRow[] = [];
  const nn = new Set<InputSizeRow>();
  const best = new Map<string, { m: InputSizeRow; gap: number; partners: InputSizeRow[] }>();
  for (const m of usable.filter((r) => !isNatural(r))) {
    const partners = usable.filter((r) => isNatural(r) && r.size === m.size && Math.abs(r.skill - m.skill) <= tolerance);
    if (partners.length === 0) continue;
    const gap = Math.min(...partners.map((p) => Math.abs(p.skill - m.skill)));
    const key = `${m.task}|${m.size}|${m.seed}`;
    const prior = best.get(key);
    if (!prior || gap < prior.gap) best.set(key, { m, gap, partners });
  }
  for (const { m, partners } of best.values()) {
    mm.push(m);
    for (const p of partners) nn.add(p);
  }
  const matchedRaw = compare(`skill within ${tolerance} at the same size`, null, mm, [...nn], seed, () => `no medical and natural models of the same size within ${tolerance} of each other's clean skill`);
  const slopes = { medical: slope(main.filter((r) => !isNatural(r))), natural: slope(main.filter(isNatural)) };
  // The plan's seeds: the fewest of any (task, size) among the models it trained.
  const groups = new Map<string, Set<number>>();
  for (const r of rows.filter((x) => x.role !== "skill-match")) {
    const k = `${r.task}|${r.size}`;
    groups.set(k, (groups.get(k) ?? new Set()).add(r.seed));
  }
  const seeds = groups.size ? Math.min(...[...groups.values()].map((g) => g.size)) : 0;
  const minSeeds = o.minSeeds ?? MIN_SEEDS;
  checkWhole(minSeeds, "minSeeds", 1);
  const fix = "profile.inputSize.seeds; the cpu-long and paper profiles train 3";
  const seeded = (c: InputSizeComparison): InputSizeComparison => ({ ...c, verdict: requireSeeds(c.verdict, seeds, fix, minSeeds) });
  const matched = seeded(matchedRaw);
  const verdict: Verdict = matched.verdict.word === "not testable here" ? matched.verdict : { ...matched.verdict, text: `at matched size and skill, ${matched.verdict.text}` };
  return { bySize: bySize.map(seeded), matched, tolerance, slopes, verdict };
}
