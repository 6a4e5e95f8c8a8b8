/**
 * Accuracy against eps: one attack over a grid of budgets on a fixed set of images, in batches,
 * measured against the true labels. The attack itself uses the true labels or, as the authors'
 * scripts did for FGSM/BIM/PGD, the model's predictions (`labels: "predicted"`).
 */
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { Attack, checkEps, predictLabels, type LabelMode } from "./attack";
import { BIM, CWLinf, FGSM, PGD } from "./linf";

export const LINF_ATTACKS = ["fgsm", "bim", "pgd", "cw"] as const;
export type LinfAttackName = (typeof LINF_ATTACKS)[number];

export interface LinfOptions {
  /** Iterations for BIM / PGD / CW (paper: 20). */
  readonly steps?: number;
  readonly seed?: number;
  /** CW confidence (default 50). */
  readonly kappa?: number;
}

/** The paper's four attacks by name, with its step rules (BIM eps/steps, PGD and CW eps/10). */
export function linfAttack(name: string, target: Engine, eps: number, o: LinfOptions = {}): Attack {
  switch (name.toLowerCase()) {
    case "fgsm":
      return new FGSM(target, { eps });
    case "bim":
      return new BIM(target, { eps, steps: o.steps });
    case "pgd":
      return new PGD(target, { eps, steps: o.steps, seed: o.seed });
    case "cw":
    case "cw-linf":
      return new CWLinf(target, { eps, steps: o.steps, kappa: o.kappa });
    default:
      throw new Error(`Unknown attack '${name}'. L-infinity attacks: ${LINF_ATTACKS.join(", ")}.`);
  }
}

export interface SweepRow {
  readonly attack: string;
  readonly eps: number;
  readonly n: number;
  /** Fraction of images whose adversarial version is still classified as its true label. */
  readonly accuracy: number;
  readonly labels: LabelMode;
  readonly seconds: number;
  /** Per image, in order: "1" when its adversarial version is still classified as its true label. */
  readonly survived: string;
  /** Present (true) when the point was measured cumulatively (see SweepMode). */
  readonly cumulative?: true;
}

/**
 * How the points of a sweep relate.
 * - `independent`: every budget attacks every image on its own (the authors' scripts).
 * - `cumulative`: an image broken at a smaller budget of the grid counts as broken at every larger
 *   one and is not attacked again. Its adversarial example lies inside every larger ball, so this is
 *   the same attack taken at its worst over the grid's budgets up to eps: accuracy is at most the
 *   independent figure (an upper bound on robust accuracy either way, and the tighter one), the
 *   per-image radii (`robustRadii`, the first budget that breaks an image) are those of an
 *   independent sweep, and the cost falls with the share of images already broken. FGSM is a
 *   single step whose accuracy is known not to fall monotonically with eps (it overshoots), so
 *   callers sweep it independently.
 */
export type SweepMode = "independent" | "cumulative";

export function checkSweepMode(mode: unknown): SweepMode {
  if (mode !== "independent" && mode !== "cumulative") throw new Error(`Unknown sweep mode '${String(mode)}': use "independent" or "cumulative".`);
  return mode;
}

export interface SweepOptions extends LinfOptions {
  readonly attack: string;
  /** Budgets in /255 units; 0 (clean accuracy) is added when missing unless `clean` is false. */
  readonly grid: readonly number[];
  readonly clean?: boolean;
  readonly labels?: LabelMode;
  /** Default "independent". */
  readonly mode?: SweepMode;
  /** Cumulative sweeps that continue an earlier one: per image, "1" when it was still unbroken at
   *  the largest budget below this grid (the earlier point's `survived`). Default: the images the
   *  model classifies correctly when clean. */
  readonly alive?: string;
  /** The model's clean predictions of x, when the caller has them (else computed here). */
  readonly predClean?: Int32Array;
  /** Images per attack call (default 64). */
  readonly batchSize?: number;
  readonly onPoint?: (row: SweepRow) => void;
}

/**
 * Accuracy of the model under `attack` at each eps of the grid, on images x with true labels y.
 * An image the model misclassifies when clean is never attacked: it counts as not surviving (its
 * clean version is already an adversarial example at any budget). With `labels: "predicted"` and
 * independent points every image is attacked, since an attack on a wrong prediction can land on
 * the true label.
 */
export async function accuracyVsEps(target: Engine, x: tf.Tensor4D, y: tf.Tensor1D, o: SweepOptions): Promise<SweepRow[]> {
  const grid = [...new Set([...(o.clean === false ? [] : [0]), ...o.grid.map((e) => checkEps(e))])].sort((a, b) => a - b);
  linfAttack(o.attack, target, 1, o); // validates the name before any work
  const labels = o.labels ?? "true";
  const mode = checkSweepMode(o.mode ?? "independent");
  const batch = o.batchSize ?? 64;
  const n = x.shape[0];
  if (o.alive !== undefined && (mode !== "cumulative" || o.alive.length !== n || /[^01]/.test(o.alive)))
    throw new Error(`accuracyVsEps: 'alive' continues a cumulative sweep and needs one 0/1 per image (${n}); got ${o.alive.length} character(s)${mode === "cumulative" ? "" : " on an independent sweep"}`);
  const yTrue = Int32Array.from(await y.data());
  // Clean predictions once (in batches): the clean point, and which images are worth attacking.
  if (o.predClean !== undefined && o.predClean.length !== n) throw new Error(`accuracyVsEps: predClean holds ${o.predClean.length} predictions for ${n} images`);
  const predClean = o.predClean ?? new Int32Array(n);
  for (let i = 0; o.predClean === undefined && i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const xb = tf.slice(x, [i, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D;
    const pred = await predictLabels(target, xb);
    predClean.set(await pred.data(), i);
    tf.dispose([xb, pred]);
  }
  const right = Array.from(predClean, (p, i) => p === yTrue[i]);
  let alive = o.alive !== undefined ? Array.from(o.alive, (c) => c === "1") : right;
  const rows: SweepRow[] = [];
  const extra = mode === "cumulative" ? { cumulative: true as const } : {};
  for (const eps of grid) {
    const t0 = Date.now();
    const ok = new Array<boolean>(n).fill(false);
    if (eps === 0) {
      for (let i = 0; i < n; i++) ok[i] = right[i];
    } else {
      const todo = [...Array(n).keys()].filter((i) => (mode === "cumulative" ? alive[i] : labels === "predicted" || right[i]));
      for (let k = 0; k < todo.length; k += batch) {
        const idx = todo.slice(k, k + batch);
        const xb = tf.tidy(() => tf.gather(x, tf.tensor1d(idx, "int32")) as tf.Tensor4D);
        const yb = labels === "true" ? tf.tensor1d(idx.map((i) => yTrue[i]), "int32") : tf.tensor1d(idx.map((i) => predClean[i]), "int32");
        const adv = await linfAttack(o.attack, target, eps, o).run(xb, yb);
        const pred = await predictLabels(target, adv);
        const p = await pred.data();
        idx.forEach((i, j) => (ok[i] = p[j] === yTrue[i]));
        tf.dispose([xb, yb, adv, pred]);
      }
      if (mode === "cumulative") alive = alive.map((a, i) => a && ok[i]);
    }
    const correct = ok.filter(Boolean).length;
    const row: SweepRow = { attack: o.attack.toLowerCase(), eps, n, accuracy: n ? correct / n : NaN, labels, seconds: (Date.now() - t0) / 1000, survived: ok.map((v) => (v ? "1" : "0")).join(""), ...extra };
    rows.push(row);
    o.onPoint?.(row);
  }
  return rows;
}

/** The smallest eps of the grid at which accuracy is at most half the clean accuracy (linear interpolation), or null. */
export function epsAtHalf(rows: readonly SweepRow[]): number | null {
  const sorted = [...rows].sort((a, b) => a.eps - b.eps);
  const clean = sorted.find((r) => r.eps === 0)?.accuracy;
  if (clean === undefined) return null;
  const target = clean / 2;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.accuracy <= target) {
      if (a.accuracy === b.accuracy) return b.eps;
      return a.eps + ((a.accuracy - target) / (a.accuracy - b.accuracy)) * (b.eps - a.eps);
    }
  }
  return null;
}

/**
 * Per image that the model classifies correctly when clean: the smallest eps of the sweep at which
 * the attack broke it, or `cap` when it survived every budget of the grid (censored; default twice
 * the largest budget). Its median is the per-image counterpart of epsAtHalf, and what verdicts
 * bootstrap over.
 */
export function robustRadii(rows: readonly SweepRow[], options: { cap?: number } = {}): number[] {
  const sorted = [...rows].sort((a, b) => a.eps - b.eps);
  const clean = sorted.find((r) => r.eps === 0);
  if (!clean) throw new Error("robustRadii: the sweep has no clean (eps 0) point");
  const n = clean.survived.length;
  if (sorted.some((r) => r.survived.length !== n)) throw new Error("robustRadii: the sweep's points cover different images");
  const attacked = sorted.filter((r) => r.eps > 0);
  if (attacked.length === 0) throw new Error("robustRadii: the sweep has no attacked point");
  const cap = options.cap ?? 2 * attacked[attacked.length - 1].eps;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (clean.survived[i] !== "1") continue;
    const broken = attacked.find((r) => r.survived[i] !== "1");
    out.push(broken ? broken.eps : cap);
  }
  return out;
}

/**
 * Per image that the model classifies correctly when clean: 1 when it is still classified correctly
 * under the attack at `eps`, else 0 (the share of them is what "broken at eps" is judged on). Null
 * when the sweep has no clean point or no point at eps.
 */
export function survivalAt(rows: readonly SweepRow[], eps: number): number[] | null {
  const clean = rows.find((r) => r.eps === 0);
  const at = rows.find((r) => r.eps === eps);
  if (!clean || !at) return null;
  if (at.survived.length !== clean.survived.length) throw new Error("survivalAt: the sweep's points cover different images");
  return [...clean.survived].flatMap((c, i) => (c === "1" ? [at.survived[i] === "1" ? 1 : 0] : []));
}
