/**
 * Verdicts with uncertainty. A claim compares a medical measure with a natural one; the verdict
 * rests on the difference (medical minus natural) and its bootstrap interval:
 *   - "holds" when the interval excludes 0 on the paper's side,
 *   - "does not hold" when it excludes 0 on the other side,
 *   - "not resolved at this size" when it contains 0,
 *   - "not testable here" when a model behind it is below its gate (whatever the numbers say).
 *
 * The interval is a percentile bootstrap over clusters and their items: each side is a list of
 * clusters (one per independently trained model, each holding per-image values); a resample
 * draws clusters with replacement, then items within each drawn cluster. With one cluster per
 * side it is the ordinary bootstrap over images; with several seeded models it also carries the
 * model-to-model spread.
 */
import { rng } from "../data/split";
import { untestableReason, type GateResult } from "./gate";

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

function resample(clusters: Clusters, r: () => number): number[] {
  const out: number[] = [];
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
  const { statistic = mean, resamples = 2000, level = 0.95, seed = 0 } = options;
  if (!(Number.isInteger(resamples) && resamples >= 100)) throw new Error(`bootstrapDifference: resamples must be a whole number >= 100, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapDifference: level must be in (0, 1), got ${level}`);
  check("medical", medical);
  check("natural", natural);
  const estimate = statistic(medical.flat()) - statistic(natural.flat());
  const r = rng(seed * 7_919 + 17);
  const diffs = Array.from({ length: resamples }, () => statistic(resample(medical, r)) - statistic(resample(natural, r))).sort((a, b) => a - b);
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
