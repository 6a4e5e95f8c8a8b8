/**
 * Verdicts with uncertainty. A claim compares a medical measure with a natural one; the verdict
 * rests on the difference (medical minus natural) and its bootstrap interval:
 *   - "holds" when the interval excludes 0 on the paper's side,
 *   - "does not hold" when it excludes 0 on the other side,
 *   - "not resolved at this size" when it contains 0,
 *   - "not testable here" when no model on a side passes its gate (whatever the numbers say).
 * Only models that pass their gate count: one below it is left out of the difference and named
 * beside the verdict (`restOnPassing`), on either side, whether the models are tasks or seeds.
 *
 * The interval is a percentile bootstrap over clusters and their items: each side is a list of
 * clusters (one per independently trained model, each holding per-image values); a resample
 * draws clusters with replacement, then items within each drawn cluster. With one cluster per
 * side it is the ordinary bootstrap over images; with several seeded models it also carries the
 * model-to-model spread.
 */
import { rng } from "../data/split";
import { untestableReason, whyNot, type GateResult } from "./gate";
import { checkWhole } from "../config/check";

export type VerdictWord = "holds" | "does not hold" | "not resolved at this size" | "not testable here";

export interface Interval {
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
}

export interface Verdict {
  readonly word: VerdictWord;
  /** The verdict with its reason, for a table cell. */
  readonly text: string;
  readonly difference: Interval | null;
}

export type Statistic = (values: readonly number[]) => number;

export const mean: Statistic = (v) => v.reduce((s, x) => s + x, 0) / v.length;

/** Median (mean of the two middle values for an even count). */
export const median: Statistic = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface BootstrapOptions {
  readonly statistic?: Statistic;
  readonly resamples?: number;
  readonly level?: number;
  readonly seed?: number;
}

type Clusters = readonly (readonly number[])[];

function check(side: string, clusters: Clusters): void {
  if (clusters.length === 0 || clusters.some((c) => c.length === 0)) throw new Error(`bootstrapDifference: the ${side} side needs at least one non-empty cluster of values`);
  for (const c of clusters) for (const v of c) if (!Number.isFinite(v)) throw new Error(`bootstrapDifference: the ${side} side holds a non-finite value (${v}); refuse rather than average it`);
}

function resample<T>(clusters: readonly (readonly T[])[], r: () => number): T[] {
  const out: T[] = [];
  for (let k = 0; k < clusters.length; k++) {
    const c = clusters[Math.floor(r() * clusters.length)];
    for (let i = 0; i < c.length; i++) out.push(c[Math.floor(r() * c.length)]);
  }
  return out;
}

/** Percentile quantile of sorted values (linear interpolation). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * statistic(medical) - statistic(natural) with a percentile bootstrap interval. Each side is a
 * list of clusters (models) of per-image values; pass `[values]` for a single model.
 */
export function bootstrapDifference(medical: Clusters, natural: Clusters, options: BootstrapOptions = {}): Interval {
  check("medical", medical);
  check("natural", natural);
  return bootstrapDifferenceOf(medical, natural, options.statistic ?? mean, options);
}

/**
 * The same for a statistic of whole items (feature rows, (score, label) pairs, models), e.g. the
 * participation ratio of resampled feature rows. Replicates where the statistic is undefined
 * (NaN) are dropped; when more than 5% are, the interval is NaN (no verdict rests on it).
 */
export function bootstrapDifferenceOf<T>(medical: readonly (readonly T[])[], natural: readonly (readonly T[])[], statistic: (items: readonly T[]) => number, options: Omit<BootstrapOptions, "statistic"> = {}): Interval {
  const { resamples = 2000, level = 0.95, seed = 0 } = options;
  checkWhole(resamples, "bootstrapDifference: resamples", 100);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapDifference: level must be in (0, 1), got ${level}`);
  for (const [side, cs] of [["medical", medical], ["natural", natural]] as const) {
    if (cs.length === 0 || cs.some((c) => c.length === 0)) throw new Error(`bootstrapDifference: the ${side} side needs at least one non-empty cluster of values`);
  }
  const estimate = statistic(medical.flat() as T[]) - statistic(natural.flat() as T[]);
  const r = rng(seed * 7_919 + 17);
  const diffs = Array.from({ length: resamples }, () => statistic(resample(medical, r)) - statistic(resample(natural, r))).filter(Number.isFinite).sort((a, b) => a - b);
  if (!Number.isFinite(estimate) || diffs.length < 0.95 * resamples) return { estimate, lo: NaN, hi: NaN, level };
  return { estimate, lo: quantile(diffs, (1 - level) / 2), hi: quantile(diffs, 1 - (1 - level) / 2), level };
}

export interface VerdictInput {
  /** medical minus natural, with its interval. */
  readonly difference: Interval | null;
  /** The sign of (medical minus natural) that the paper claims. */
  readonly paper: "positive" | "negative";
  /** Gate results of every model the difference rests on. */
  readonly gates: readonly GateResult[];
  /** Digits for the printed difference (default 3). */
  readonly digits?: number;
}

/** The stated rule (see the file comment): gates first, then the interval against 0. */
export function verdictOf(input: VerdictInput): Verdict {
  const { difference: d, paper, gates } = input;
  const digits = input.digits ?? 3;
  const untestable = untestableReason(gates);
  if (untestable) return { word: "not testable here", text: untestable, difference: d };
  if (d === null || !Number.isFinite(d.lo) || !Number.isFinite(d.hi)) return { word: "not resolved at this size", text: "not resolved at this size: no interval could be computed", difference: d };
  const iv = `${d.estimate >= 0 ? "+" : ""}${d.estimate.toFixed(digits)} [${(100 * d.level).toFixed(0)}% ${d.lo.toFixed(digits)}, ${d.hi.toFixed(digits)}]`;
  const sign = d.lo > 0 ? "positive" : d.hi < 0 ? "negative" : null;
  if (sign === null) return { word: "not resolved at this size", text: `not resolved at this size: difference ${iv} contains 0`, difference: d };
  if (sign === paper) return { word: "holds", text: `holds: difference ${iv} excludes 0 on the paper's side`, difference: d };
  return { word: "does not hold", text: `does NOT hold: difference ${iv} excludes 0 on the other side`, difference: d };
}

/**
 * The fewest independently seeded models per (task, setting) that a model-dependent verdict may
 * rest on (issue 15: "at least 3 independently seeded models per task where a verdict depends on
 * the model"). With fewer, the interval covers the images of each model but not the spread from
 * one seed to the next, and a verdict can move with nothing but the machine's rounding.
 */
export const MIN_SEEDS = 3;

/**
 * `v` unchanged when it rests on at least `minSeeds` seeds (or says nothing anyway); otherwise
 * "not testable here" with the measured difference kept beside the reason and `fix`.
 */
export function requireSeeds(v: Verdict, seeds: number, fix: string, minSeeds = MIN_SEEDS): Verdict {
  if (seeds >= minSeeds || v.word === "not testable here") return v;
  const measured = v.text.replace(/^[^:]*:\s*/, "");
  return { word: "not testable here", text: `not testable here: ${seeds} seed${seeds === 1 ? "" : "s"} per model where a verdict needs ${minSeeds} (${fix}); measured: ${measured}`, difference: v.difference };
}

/**
 * A measured model: its gate and its per-image values, one cluster of the bootstrap (`values`), or
 * several clusters of the one model (`sets`, e.g. one per attack's set).
 */
export type Measured<T = number> = { readonly gate: GateResult; readonly values: readonly T[] } | { readonly gate: GateResult; readonly sets: readonly (readonly T[])[] };

const clustersOf = <T>(m: Measured<T>): readonly (readonly T[])[] => ("sets" in m ? m.sets : [m.values]);

/** The models a verdict may rest on, and those it leaves out. */
export interface Resting<M> {
  readonly passing: readonly M[];
  readonly leftOut: readonly M[];
  /** Gates to hand verdictOf: the passing models', or all of them when none passes (so it says why). */
  readonly gates: readonly GateResult[];
}

/**
 * The rule for a verdict over several models (tasks, or seeds of one task): it rests on those that
 * pass their gate; the others are left out and named. Only when none passes is it not testable.
 */
export function restOnPassing<M extends { readonly gate: GateResult }>(models: readonly M[]): Resting<M> {
  const passing = models.filter((m) => m.gate.testable);
  return { passing, leftOut: models.filter((m) => !m.gate.testable), gates: (passing.length ? passing : models).map((m) => m.gate) };
}

/** The verdict with the models it left out named (nothing to add when it was not testable anyway). */
function naming(v: Verdict, leftOut: readonly GateResult[]): Verdict {
  return v.word === "not testable here" || leftOut.length === 0 ? v : { ...v, text: `${v.text}; left out, below their gate: ${whyNot(leftOut)}` };
}

/**
 * Claim 1's per-task rule, "broken at ε": per model (one cluster each, e.g. a task's seeds), 1 or 0
 * for each image it gets right by whether it survives the attack at ε; the share minus one half,
 * bootstrapped over models and images. The paper's side is below 0 for a medical task (broken) and
 * above 0 for a natural one (survives). Models below their gate are left out (restOnPassing), as
 * are models without a surviving-or-not image.
 */
export function brokenAtVerdict(models: readonly Measured[], o: { natural: boolean }): Verdict {
  const r = restOnPassing(models);
  const s = r.passing.flatMap(clustersOf).filter((x) => x.length > 0);
  const v = verdictOf({ difference: s.length ? bootstrapDifference(s, [[0.5]], { seed: 0 }) : null, paper: o.natural ? "positive" : "negative", gates: r.gates });
  return naming(v, r.leftOut.map((m) => m.gate));
}

export interface ModelsInput<T = number> extends Omit<BootstrapOptions, "level" | "statistic"> {
  /** One entry per model (e.g. every seed of every medical task), each with its cluster(s) of per-image values. */
  readonly medical: readonly Measured<T>[];
  readonly natural: readonly Measured<T>[];
  readonly statistic: (items: readonly T[]) => number;
  readonly paper: "positive" | "negative";
  readonly digits?: number;
  /**
   * What the two sides are called in the verdict's words (default ["medical", "natural"]); another
   * comparison over models, e.g. claim 2's multi-class minus binary, names its own.
   */
  readonly sides?: readonly [string, string];
}

/**
 * A medical-vs-natural claim over models: on each side the models below their gate are left out
 * and named (restOnPassing), the difference of the statistic (medical minus natural) is
 * bootstrapped over the passing models and their items, and verdictOf judges it.
 */
export function modelsVerdict<T = number>(o: ModelsInput<T>): Verdict {
  const [first, second] = o.sides ?? ["medical", "natural"];
  if (!o.medical.length || !o.natural.length) return { word: "not testable here", text: `not testable here: no ${o.medical.length ? second : first} model in this run`, difference: null };
  const [m, n] = [restOnPassing(o.medical), restOnPassing(o.natural)];
  const [mc, nc] = [m, n].map((side) => side.passing.flatMap(clustersOf).filter((c) => c.length > 0));
  // Plain numbers are checked as bootstrapDifference checks them: a non-finite value is refused.
  if (mc.length && nc.length && typeof mc[0][0] === "number") {
    check(first, mc as unknown as Clusters);
    check(second, nc as unknown as Clusters);
  }
  const difference = mc.length && nc.length ? bootstrapDifferenceOf(mc, nc, o.statistic, { resamples: o.resamples, seed: o.seed ?? 0 }) : null;
  const v = verdictOf({ difference, paper: o.paper, gates: [...m.gates, ...n.gates], digits: o.digits });
  if (v.word !== "not testable here" && (!mc.length || !nc.length)) return { word: "not testable here", text: `not testable here: no measured values on the ${!nc.length ? second : first} side`, difference: null };
  return naming(v, [...m.leftOut, ...n.leftOut].map((x) => x.gate));
}

/**
 * A claim that a quantity lies above (or below) a threshold in every case (claim 4: the best
 * detector's AUC on every attack), judged on intervals: "holds" when every interval lies on the
 * claimed side, "does NOT hold" when some interval lies wholly on the other, else not resolved.
 */
export function thresholdVerdict(intervals: ReadonlyArray<{ readonly lo: number; readonly hi: number }>, threshold: number, side: "above" | "below"): string {
  if (intervals.length === 0) throw new Error("thresholdVerdict: no intervals");
  const t = String(threshold);
  if (side === "above") {
    if (intervals.every((i) => i.lo > threshold)) return `holds: every lower bound above ${t}`;
    if (intervals.some((i) => i.hi < threshold)) return `does NOT hold: some upper bound below ${t}`;
  } else {
    if (intervals.every((i) => i.hi < threshold)) return `holds: every upper bound below ${t}`;
    if (intervals.some((i) => i.lo > threshold)) return `does NOT hold: some lower bound above ${t}`;
  }
  return `not resolved at this size: an interval contains ${t}`;
}

export interface ClaimInput<T> {
  /** Per task, its clusters (one per model or attacked set) of per-image items. */
  readonly medical: Readonly<Record<string, readonly (readonly T[])[]>>;
  readonly natural: Readonly<Record<string, readonly (readonly T[])[]>>;
  readonly statistic: (items: readonly T[]) => number;
  readonly paper: "positive" | "negative";
  /** Gate results by task (notebooks: gates.gatesOf). */
  readonly gates: Readonly<Record<string, GateResult>>;
  readonly digits?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

export interface ClaimVerdict extends Verdict {
  /** Each side's tasks with their statistic, marked where a task is left out (below its gate). */
  readonly medicalText: string;
  readonly naturalText: string;
}

/**
 * modelsVerdict with one model per task (its clusters as the model's sets), and each side's tasks
 * with their statistic as text: on each side the tasks below their gate are left out and named
 * (with one natural task, it must pass).
 */
export function claimVerdict<T>(o: ClaimInput<T>): ClaimVerdict {
  const digits = o.digits ?? 3;
  const ok = (t: string) => o.gates[t]?.testable ?? false;
  if (!Object.keys(o.medical).length || !Object.keys(o.natural).length) {
    const why = `not testable here: no ${Object.keys(o.medical).length ? "natural" : "medical"} task in this run`;
    return { word: "not testable here", text: why, difference: null, medicalText: "none", naturalText: "none" };
  }
  const text = (side: Readonly<Record<string, readonly (readonly T[])[]>>) =>
    Object.entries(side)
      .map(([t, cs]) => {
        const v = cs.some((c) => c.length) ? o.statistic(cs.flat() as T[]) : NaN;
        return `${t} ${Number.isFinite(v) ? v.toFixed(digits) : "n/a"}${ok(t) ? "" : " (below gate)"}`;
      })
      .join(", ") || "none";
  // Each task is one model whose clusters are its sets; a task without a gate result counts as unchecked.
  const gateOf = (t: string): GateResult => o.gates[t] ?? { task: t, metric: "auc", value: NaN, n: 0, available: null, threshold: null, status: "subset", testable: false, gate: undefined, summary: `${t}: no gate result` };
  const models = (s: Readonly<Record<string, readonly (readonly T[])[]>>) => Object.keys(s).map((t) => ({ gate: gateOf(t), sets: s[t] }));
  const v = modelsVerdict({ medical: models(o.medical), natural: models(o.natural), statistic: o.statistic, paper: o.paper, digits, resamples: o.resamples, seed: o.seed });
  return { ...v, medicalText: text(o.medical), naturalText: text(o.natural) };
}
