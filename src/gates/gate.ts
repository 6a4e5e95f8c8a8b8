/**
 * Gate status of a trained model: its test metric beside the task's reference and gate.
 * A verdict may rest on a model only when it `passes`; tasks without a gate (a user's own data)
 * fall back to the old bar, clearly better than the majority class, and say so.
 */
import { clearlyBeatsMajority, type Evaluation } from "../train/metrics";
import { gateFor, type GateMetric, type TaskGate } from "./references";

export type GateStatus = "passes" | "below" | "subset" | "no-gate";

export interface GateResult {
  readonly task: string;
  readonly metric: GateMetric;
  /** The measured value (NaN only when the metric is undefined on this test set). */
  readonly value: number;
  /** Test images the value was measured on, and how many the task's test split holds. */
  readonly n: number;
  readonly available: number | null;
  readonly threshold: number | null;
  readonly status: GateStatus;
  /** May a claim verdict rest on this model? */
  readonly testable: boolean;
  readonly gate: TaskGate | undefined;
  /** One line for logs and tables. */
  readonly summary: string;
}

/** What a trained run records about its test evaluation. */
export interface TestRecord {
  readonly test: Pick<Evaluation, "n" | "accuracy" | "auc" | "majority">;
  /** Images in the task's whole test split (before any per-class cap); absent in runs saved before gates existed. */
  readonly testAvailable?: number;
}

const NAME: Record<GateMetric, string> = { auc: "AUC", accuracy: "accuracy" };
/** A metric value as the gates print it: accuracy in %, AUC to three decimals. */
export const formatMetric = (m: GateMetric, v: number): string => (Number.isNaN(v) ? "n/a" : m === "accuracy" ? `${(100 * v).toFixed(1)}%` : v.toFixed(3));
const fmt = formatMetric;

/**
 * The gate status of `task`'s model from its test record. `subset`: the metric was measured on
 * part of the test split (a smoke profile, or a run saved before full-split evaluation), so it
 * cannot be held against the gate.
 */
export function gateStatus(task: string, record: TestRecord): GateResult {
  const gate = gateFor(task);
  const metric: GateMetric = gate?.metric ?? "auc";
  const value = metric === "accuracy" ? record.test.accuracy : record.test.auc;
  const n = record.test.n;
  const available = record.testAvailable ?? null;
  const threshold = gate?.threshold ?? null;
  const full = available !== null && n >= available;
  let status: GateStatus;
  if (threshold === null) status = "no-gate";
  else if (!full) status = "subset";
  else status = value >= threshold ? "passes" : "below";
  const testable = status === "passes" || (status === "no-gate" && clearlyBeatsMajority(record.test));
  const on = available === null ? `${n} test images (whole split unknown: saved before gates)` : full ? `all ${n} test images` : `${n} of ${available} test images`;
  const measured = `test ${NAME[metric]} ${fmt(metric, value)} on ${on}`;
  const ref = gate?.references[0];
  const refText = ref ? `; reference ${fmt(ref.metric, ref.value)} (${ref.model}; ${ref.source})` : "";
  let verdict: string;
  if (status === "passes") verdict = `gate ${NAME[metric]} >= ${fmt(metric, threshold!)}: passes`;
  else if (status === "below") verdict = `gate ${NAME[metric]} >= ${fmt(metric, threshold!)}: BELOW by ${fmt(metric, threshold! - value)}`;
  else if (status === "subset") verdict = `gate ${NAME[metric]} >= ${fmt(metric, threshold!)}: not checked (needs the whole test split)`;
  else verdict = `no gate for this task${testable ? " (clearly above its majority class)" : ": NOT clearly above its majority class"}`;
  return { task, metric, value, n, available, threshold, status, testable, gate, summary: `${task}: ${measured}; ${verdict}${refText}` };
}

/**
 * How far below its gate a model must be before another seed of it could not plausibly pass:
 * 0.05 in AUC or accuracy. Seeds of one task on the cpu profile spread by about 0.02 in test AUC
 * (cxr 0.948-0.969, derm 0.890-0.912, 2026-12-06), so a miss of 0.05 is over twice that spread.
 */
export const RESEED_MARGIN = 0.05;

/**
 * Is this model so far below its gate (more than RESEED_MARGIN) that a replicate seed would not
 * pass either? A near miss is not: another seed may pass, and a verdict may rest on that one.
 */
export function farBelowGate(g: GateResult): boolean {
  return g.status === "below" && g.threshold !== null && g.threshold - g.value > RESEED_MARGIN;
}

/** The words a verdict uses for a model that may not carry one. */
export function untestableReason(results: readonly GateResult[]): string | null {
  const bad = results.filter((r) => !r.testable);
  return bad.length === 0 ? null : `not testable here: model below its gate (${whyNot(bad)})`;
}

/** Why each of these models may not carry a verdict, one reason per distinct value. */
export function whyNot(results: readonly GateResult[]): string {
  const why = (r: GateResult) =>
    r.status === "below" ? `${r.task} ${fmt(r.metric, r.value)} < ${fmt(r.metric, r.threshold!)}` : r.status === "subset" ? `${r.task} measured on a test subset` : `${r.task} not above its majority class`;
  // Seeds of one task often share a reason: each reason once, with how many models give it.
  const counts = new Map<string, number>();
  for (const r of results) counts.set(why(r), (counts.get(why(r)) ?? 0) + 1);
  return [...counts].map(([w, k]) => (k > 1 ? `${w} (${k} models)` : w)).join("; ");
}
