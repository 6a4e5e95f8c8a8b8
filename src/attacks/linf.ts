/**
 * The L-infinity attacks of the paper, all sign-gradient ascent projected onto the eps-ball and
 * [0, 1]: FGSM (one step of eps), BIM (N steps of eps/N from x), PGD (a uniform random start,
 * N steps of a given size, optional restarts) and CW-Linf (PGD's iteration on the Carlini-Wagner
 * margin over logits, no random start).
 */
import { tf, tfSeed } from "../backend/tf";
import type { Engine } from "../backend/engine";
import type { LossKind } from "../backend/parallel";
import { Attack, checkEps, checkSteps, predictLabels, projectLinf } from "./attack";

interface IterateOptions {
  e: number;
  steps: number;
  stepSize: number;
  start: tf.Tensor4D;
  loss: LossKind;
  kappa?: number;
}

/** Sign-gradient steps from `start`, each projected; the caller owns the result. */
async function iterate(target: Engine, x: tf.Tensor4D, y: tf.Tensor1D, o: IterateOptions): Promise<tf.Tensor4D> {
  let adv = o.start;
  for (let t = 0; t < o.steps; t++) {
    const { grad } = await target.inputGradient(adv, y, o.loss, o.kappa);
    const next = tf.tidy(() => projectLinf(tf.add(adv, tf.mul(tf.sign(grad), o.stepSize)) as tf.Tensor4D, x, o.e));
    grad.dispose();
    if (adv !== o.start) adv.dispose();
    adv = next;
  }
  return adv === o.start ? adv.clone() : adv;
}

export interface FGSMParams {
  /** L-infinity budget in /255 pixel units. */
  readonly eps: number;
}

/** Fast Gradient Sign Method (Goodfellow et al. 2015): x + eps * sign(grad of the cross-entropy). */
export class FGSM extends Attack {
  readonly name = "FGSM";
  readonly eps: number;
  constructor(target: Engine, p: FGSMParams) {
    super(target);
    this.eps = checkEps(p.eps);
  }
  params() {
    return { eps: this.eps };
  }
  run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    const e = this.eps / 255;
    return iterate(this.target, x, y, { e, steps: e === 0 ? 0 : 1, stepSize: e, start: x, loss: "ce" });
  }
}

export interface BIMParams {
  readonly eps: number;
  /** Iterations (paper: 20). */
  readonly steps?: number;
  /** Step in /255 units (default eps / steps, as the paper). */
  readonly stepSize?: number;
}

/** Basic Iterative Method (Kurakin et al. 2017): `steps` FGSM steps of eps/steps, no random start. */
export class BIM extends Attack {
  readonly name = "BIM";
  readonly eps: number;
  readonly steps: number;
  readonly stepSize: number;
  constructor(target: Engine, p: BIMParams) {
    super(target);
    this.eps = checkEps(p.eps);
    this.steps = checkSteps(p.steps ?? 20);
    this.stepSize = p.stepSize === undefined ? this.eps / this.steps : checkEps(p.stepSize, "stepSize");
  }
  params() {
    return { eps: this.eps, steps: this.steps, stepSize: this.stepSize };
  }
  run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    return iterate(this.target, x, y, { e: this.eps / 255, steps: this.eps === 0 ? 0 : this.steps, stepSize: this.stepSize / 255, start: x, loss: "ce" });
  }
}

export interface PGDParams {
  readonly eps: number;
  /** Iterations (paper: 20). */
  readonly steps?: number;
  /** Step in /255 units (default eps / 10, as the paper). */
  readonly stepSize?: number;
  /** Uniform random start in the eps-ball (default true). */
  readonly randomStart?: boolean;
  /** Independent random starts; per image the first that fools the model is kept (default 1). */
  readonly restarts?: number;
  readonly seed?: number;
}

/** Projected Gradient Descent (Madry et al. 2018) on the cross-entropy. */
export class PGD extends Attack {
  readonly name: string = "PGD";
  readonly eps: number;
  readonly steps: number;
  readonly stepSize: number;
  readonly randomStart: boolean;
  readonly restarts: number;
  readonly seed: number;
  protected loss: LossKind = "ce";
  protected kappa: number | undefined;
  constructor(target: Engine, p: PGDParams) {
    super(target);
    this.eps = checkEps(p.eps);
    this.steps = checkSteps(p.steps ?? 20);
    this.stepSize = p.stepSize === undefined ? this.eps / 10 : checkEps(p.stepSize, "stepSize");
    this.randomStart = p.randomStart ?? true;
    this.restarts = checkSteps(p.restarts ?? 1, "restarts");
    this.seed = p.seed ?? 0;
  }
  params(): Record<string, number | string | boolean> {
    return { eps: this.eps, steps: this.steps, stepSize: this.stepSize, randomStart: this.randomStart, restarts: this.restarts, seed: this.seed };
  }
  async run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    const e = this.eps / 255;
    if (e === 0) return x.clone();
    let best: tf.Tensor4D | undefined;
    for (let r = 0; r < this.restarts; r++) {
      const start = this.randomStart ? tf.tidy(() => projectLinf(tf.add(x, tf.randomUniform(x.shape, -e, e, "float32", tfSeed(this.seed + r))) as tf.Tensor4D, x, e)) : x;
      const adv = await iterate(this.target, x, y, { e, steps: this.steps, stepSize: this.stepSize / 255, start, loss: this.loss, kappa: this.kappa });
      if (start !== x) start.dispose();
      if (!best) {
        best = adv;
        continue;
      }
      // Keep, per image, an earlier restart that already fools the model; else take this one.
      const fooled = await fooledMask(this.target, best, y);
      const merged = tf.tidy(() => tf.where(tf.reshape(fooled, [-1, 1, 1, 1]).broadcastTo(x.shape), best!, adv) as tf.Tensor4D);
      tf.dispose([best, adv, fooled]);
      best = merged;
    }
    return best!;
  }
}

async function fooledMask(target: Engine, adv: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor1D> {
  const pred = await predictLabels(target, adv);
  const m = tf.notEqual(pred, y) as tf.Tensor1D;
  pred.dispose();
  return m;
}

export interface CWLinfParams {
  readonly eps: number;
  /** Iterations (paper: 20). */
  readonly steps?: number;
  /** Step in /255 units (default eps / 10). */
  readonly stepSize?: number;
  /** Confidence: the margin by which another logit must beat the true one (default 50, "large" as the authors'). */
  readonly kappa?: number;
}

/**
 * CW-Linf as the paper uses it: PGD's projected sign steps on the Carlini-Wagner margin loss
 * -max(z_y - max_{j != y} z_j + kappa, 0) over logits, from x (no random start).
 */
export class CWLinf extends PGD {
  override readonly name = "CW-Linf";
  constructor(target: Engine, p: CWLinfParams) {
    super(target, { eps: p.eps, steps: p.steps, stepSize: p.stepSize, randomStart: false, restarts: 1 });
    this.loss = "cw";
    this.kappa = p.kappa ?? 50;
    if (!(Number.isFinite(this.kappa) && this.kappa >= 0)) throw new Error(`kappa must be a number >= 0, got ${p.kappa}`);
  }
  override params() {
    return { eps: this.eps, steps: this.steps, stepSize: this.stepSize, kappa: this.kappa! };
  }
}
