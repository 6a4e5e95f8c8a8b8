/**
 * Optimizers (tfjs' own SGD-momentum and Adam) and the learning-rate schedule. The paper
 * fine-tuned a pretrained ResNet-50 with SGD (momentum 0.9, lr 1e-4); from scratch, on a CPU
 * budget, Adam at 1e-3 with cosine decay trains these small ResNets in a few epochs.
 */
import { tf } from "../backend/tf";

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

export function makeOptimizer(c: OptimizerConfig): tf.Optimizer {
  validateOptimizer(c);
  return c.kind === "sgd" ? tf.train.momentum(c.lr, c.momentum ?? 0.9) : tf.train.adam(c.lr);
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
