/**
 * Evaluation: ROC AUC with a bootstrap interval, the paper's protocol (fit on AdvTrain, score
 * AdvTest), and the authors' leaky variant beside it so the inflation can be measured.
 */
import { rocAuc } from "../train/metrics";
import { rng } from "../data/split";
import { checkSet, concatSets, rowsWhere, selectRows, type Detector, type FeatureSet } from "./types";
import { checkWhole } from "../config/check";

export interface AucInterval {
  readonly auc: number;
  /** Percentile bootstrap interval bounds (default 95%). */
  readonly lo: number;
  readonly hi: number;
}

/**
 * AUC (Mann-Whitney, ties half) and a percentile bootstrap interval. Resampling is stratified
 * (adversarial and clean rows resampled separately) so every replicate has both classes.
 */
export function bootstrapAuc(scores: ArrayLike<number>, isAdv: ArrayLike<number | boolean>, options: { reps?: number; seed?: number; level?: number } = {}): AucInterval {
  const reps = options.reps ?? 1000;
  const level = options.level ?? 0.95;
  if (scores.length !== isAdv.length) throw new Error(`bootstrapAuc: ${scores.length} scores but ${isAdv.length} labels`);
  checkWhole(reps, "bootstrapAuc: reps", 1);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapAuc: level must be in (0, 1), got ${level}`);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) (isAdv[i] ? pos : neg).push(i);
  if (!pos.length || !neg.length) throw new Error(`bootstrapAuc: need both classes (${pos.length} adversarial, ${neg.length} clean)`);
  const auc = rocAuc(isAdv, scores);
  const r = rng(options.seed ?? 0);
  const n = pos.length + neg.length;
  const s = new Float64Array(n);
  const y = new Uint8Array(n).fill(1, 0, pos.length);
  const stats = new Float64Array(reps);
  for (let b = 0; b < reps; b++) {
    for (let i = 0; i < pos.length; i++) s[i] = scores[pos[Math.floor(r() * pos.length)]];
    for (let i = 0; i < neg.length; i++) s[pos.length + i] = scores[neg[Math.floor(r() * neg.length)]];
    stats[b] = rocAuc(y, s);
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(reps - 1, Math.max(0, Math.round(p * (reps - 1))))];
  return { auc, lo: q((1 - level) / 2), hi: q((1 + level) / 2) };
}

export interface ProtocolOptions {
  /**
   * Reproduce the authors' mistakes: the detector's unsupervised statistics (KDEs, scalers,
   * thresholds, LID minibatches) also fitted on / drawn from the scored rows.
   */
  readonly leaky?: boolean;
  /** With leaky: also pool, oversample and re-split before fitting (see oversampleBeforeSplit). */
  readonly oversample?: boolean;
  readonly bootstrap?: { reps?: number; seed?: number };
  readonly seed?: number;
}

export interface ProtocolResult extends AucInterval {
  readonly detector: string;
  readonly leaky: boolean;
  /** Scores of the scored (test) rows, and their labels. */
  readonly scores: Float64Array;
  readonly isAdv: Uint8Array;
}

/** Fits a fresh detector on AdvTrain and scores AdvTest (the paper's partition). */
export function runProtocol(make: () => Detector, advTrain: FeatureSet, advTest: FeatureSet, options: ProtocolOptions = {}): ProtocolResult {
  checkSet(advTrain, "runProtocol (AdvTrain)", ["isAdv"]);
  checkSet(advTest, "runProtocol (AdvTest)", ["isAdv"]);
  const leaky = options.leaky ?? false;
  if (options.oversample && !leaky) throw new Error("runProtocol: oversample is one of the leaks; set leaky too");
  let train = advTrain;
  let test = advTest;
  if (options.oversample) ({ train, test } = oversampleBeforeSplit(advTrain, advTest, options.seed ?? 0));
  const det = make();
  // Leak-free: the detector never sees AdvTest before scoring it, and never its labels.
  det.fit(train, leaky ? test : undefined);
  const scores = det.score(leaky ? test : withoutLabels(test));
  return { detector: det.name, leaky, scores, isAdv: test.isAdv!, ...bootstrapAuc(scores, test.isAdv!, options.bootstrap) };
}

/** The same detector run both ways: how much the authors' leaks inflate the AUC. */
export function compareLeak(make: () => Detector, advTrain: FeatureSet, advTest: FeatureSet, options: Omit<ProtocolOptions, "leaky"> = {}): { clean: ProtocolResult; leaky: ProtocolResult; inflation: number } {
  const clean = runProtocol(make, advTrain, advTest, { ...options, oversample: false });
  const leaky = runProtocol(make, advTrain, advTest, { ...options, leaky: true });
  return { clean, leaky, inflation: leaky.auc - clean.auc };
}

/**
 * The authors' order of operations: pool both splits, oversample the minority class (clean vs
 * adversarial) by random duplication, shuffle the rows and split again at the original train
 * fraction. Duplicates and clean/adversarial pairs of one image then straddle the split.
 */
export function oversampleBeforeSplit(advTrain: FeatureSet, advTest: FeatureSet, seed = 0): { train: FeatureSet; test: FeatureSet } {
  const pool = concatSets(advTrain, advTest);
  const r = rng(seed);
  const pos = rowsWhere(pool.isAdv!, 1);
  const neg = rowsWhere(pool.isAdv!, 0);
  const [few, many] = pos.length < neg.length ? [pos, neg] : [neg, pos];
  const rows = [...pos, ...neg];
  for (let i = few.length; i < many.length; i++) rows.push(few[Math.floor(r() * few.length)]);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const cut = Math.round((rows.length * advTrain.n) / pool.n);
  return { train: selectRows(pool, rows.slice(0, cut)), test: selectRows(pool, rows.slice(cut)) };
}

/** The scored set as a deployed detector sees it: no adversarial flags, no true classes, no groups. */
export function withoutLabels(set: FeatureSet): FeatureSet {
  return { x: set.x, n: set.n, d: set.d, predicted: set.predicted, uncertainty: set.uncertainty };
}

/** One scored AdvTest row, tagged with its set (task and attack) for statistics over several sets. */
export interface ScoredItem {
  readonly score: number;
  readonly isAdv: number;
  readonly group: number;
}

/** The scored rows of one set as items of `group` (e.g. a DetectRow's first-split scores). */
export function scoredItems(scores: ArrayLike<number>, isAdv: ArrayLike<number>, group: number): ScoredItem[] {
  if (scores.length !== isAdv.length) throw new Error(`scoredItems: ${scores.length} scores but ${isAdv.length} labels`);
  return Array.from({ length: scores.length }, (_, i) => ({ score: scores[i], isAdv: isAdv[i] ? 1 : 0, group }));
}

/**
 * The mean over groups of each group's AUC: scores of different sets (tasks, attacks) are never
 * ranked against each other. A group lacking clean or adversarial rows is skipped; NaN when all are.
 */
export function meanGroupAuc(items: readonly ScoredItem[]): number {
  const groups = new Map<number, ScoredItem[]>();
  for (const it of items) (groups.get(it.group) ?? groups.set(it.group, []).get(it.group)!).push(it);
  let sum = 0;
  let k = 0;
  for (const g of groups.values()) {
    const y = g.map((i) => i.isAdv);
    if (!y.includes(0) || !y.includes(1)) continue;
    sum += rocAuc(y, g.map((i) => i.score));
    k++;
  }
  return k ? sum / k : NaN;
}
