/**
 * Optimizers (tfjs' own SGD-momentum and Adam) and the learning-rate schedule. The paper
 * fine-tuned a pretrained ResNet-50 with SGD (momentum 0.9, lr 1e-4); from scratch, on a CPU
 * budget, Adam at 1e-3 with cosine decay trains these small ResNets in a few epochs.
 */
import { tf } from "../backend/tf";
import { nativeTrainingKernels, runAdam } from "../backend/wasm-kernels";

export interface OptimizerConfig {
  readonly kind: "sgd" | "adam";
  readonly lr: number;
  /** SGD momentum (default 0.9). */
  readonly momentum?: number;
  /** "cosine": lr * (0.01 + 0.99 * (1 + cos(pi t)) / 2) over the run after a linear warm-up; "constant". */
  readonly schedule?: "cosine" | "constant";
  /** Linear warm-up over this fraction of the run (default 0.05). */
  readonly warmup?: number;
  /** L2 weight decay on convolution and dense kernels (not biases or batch-norm parameters),
   *  added to their gradients as PyTorch's SGD weight_decay does (default 0). */
  readonly weightDecay?: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = Object.freeze({ kind: "adam", lr: 1e-3, schedule: "cosine", warmup: 0.05 });

export function validateOptimizer(c: OptimizerConfig): void {
  if (c.kind !== "sgd" && c.kind !== "adam") throw new Error(`Unknown optimizer '${c.kind}': use sgd or adam.`);
  if (!(c.lr > 0 && c.lr < 10)) throw new Error(`Learning rate must be in (0, 10), got ${c.lr}`);
  if (c.momentum !== undefined && !(c.momentum >= 0 && c.momentum < 1)) throw new Error(`Momentum must be in [0, 1), got ${c.momentum}`);
  if (c.schedule !== undefined && c.schedule !== "cosine" && c.schedule !== "constant") throw new Error(`Unknown schedule '${c.schedule}': use cosine or constant.`);
  if (c.warmup !== undefined && !(c.warmup >= 0 && c.warmup < 1)) throw new Error(`warmup is a fraction of the run in [0, 1), got ${c.warmup}`);
  if (c.weightDecay !== undefined && !(c.weightDecay >= 0 && c.weightDecay < 1)) throw new Error(`weightDecay must be in [0, 1), got ${c.weightDecay}`);
}

/** Is this trainable variable a kernel that weight decay applies to? */
export const decays = (name: string): boolean => /kernel(_\d+)?$/.test(name);

/**
 * grads + weightDecay * w for the kernels among `weights` (by variable name), in place of their
 * gradients; the replaced gradients are disposed.
 */
export function addWeightDecay(grads: tf.NamedTensorMap, weights: readonly tf.LayerVariable[], weightDecay: number): void {
  if (!(weightDecay > 0)) return;
  for (const w of weights) {
    const name = (w.read() as tf.Variable).name;
    const g = grads[name];
    if (g === undefined || !decays(w.originalName)) continue;
    grads[name] = tf.tidy(() => tf.add(g, tf.mul(w.read(), weightDecay)));
    g.dispose();
  }
}

/** The parts of tfjs-core's AdamOptimizer that its applyGradients uses (private in its typings). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

/**
 * tfjs' Adam (same class name, state, getWeights / setWeights and so checkpoints), with each
 * variable's step as one native kernel where the wasm backend has the oneDNN addon: the same
 * float32 operations in the same order as tfjs-core's applyGradients, so the same bits, in one
 * call per variable instead of twelve (the pool's workers wait while the main thread updates).
 * Elsewhere, tfjs' own steps.
 */
export class NativeAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer["applyGradients"]>[0]): void {
    if (!nativeTrainingKernels()) return super.applyGradients(variableGradients);
    const o = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // Each constant as the float32 scalar tfjs makes of it; 1 - accBeta is exact in double, so
    // rounding it once is tfjs' float32 subtraction.
    const f = Math.fround;
    const acc1 = o.accBeta1.dataSync()[0];
    const acc2 = o.accBeta2.dataSync()[0];
    const constants = [f(o.beta1), f(1 - o.beta1), f(o.beta2), f(1 - o.beta2), f(1 - acc1), f(1 - acc2), f(o.epsilon), f(-o.learningRate)];
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        const slot = (suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
        o.accumulatedFirstMoment[i] ??= slot("m");
        o.accumulatedSecondMoment[i] ??= slot("v");
        const g = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (g == null) return;
        const m = o.accumulatedFirstMoment[i]!.variable;
        const v = o.accumulatedSecondMoment[i]!.variable;
        const [nextValue, nextM, nextV] = runAdam(value, m, v, g, constants);
        m.assign(nextM);
        v.assign(nextV);
        value.assign(nextValue);
      });
      o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1));
      o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2));
    });
    this.incrementIterations();
  }
}

export function makeOptimizer(c: OptimizerConfig): tf.Optimizer {
  validateOptimizer(c);
  // tf.train.adam(lr)'s defaults: beta1 0.9, beta2 0.999, the backend's epsilon.
  return c.kind === "sgd" ? tf.train.momentum(c.lr, c.momentum ?? 0.9) : new NativeAdam(c.lr, 0.9, 0.999);
}

/** Learning rate at step `step` of `total` (0-based). */
export function learningRateAt(c: OptimizerConfig, step: number, total: number): number {
  if ((c.schedule ?? "cosine") === "constant" || total <= 1) return c.lr;
  const warm = Math.floor((c.warmup ?? 0.05) * total);
  if (step < warm) return (c.lr * (step + 1)) / warm;
  const t = Math.min(1, (step - warm) / Math.max(1, total - warm - 1));
  return c.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * t)));
}

/** tfjs' SGD keeps the rate in a scalar (setLearningRate); Adam reads its field on every step. */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}
