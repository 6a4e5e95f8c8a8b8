/**
 * Minimal-norm attacks, beyond the paper: the two most used in ART / Foolbox / torchattacks.
 * - CW-L2 (Carlini & Wagner 2017): minimise ||x' - x||^2 + c * max(z_y - max_{j != y} z_j, -kappa)
 *   over x' = (tanh(w) + 1) / 2 with Adam, a binary search over c per image; the smallest
 *   successful perturbation is kept (images never fooled come back unchanged).
 * - DeepFool (Moosavi-Dezfooli et al. 2016): step to the nearest linearised decision boundary
 *   until the label flips, then overshoot a little.
 */
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { argmaxRows } from "../train/metrics";
import { Attack, checkPositive, checkSteps } from "./attack";

async function logitsOf(target: Engine, x: tf.Tensor4D): Promise<{ z: Float32Array; k: number }> {
  const [out] = await target.predict(x);
  return { z: out.data, k: out.shape[1] };
}


export interface CWL2Params {
  /** Initial trade-off constant c (default 1). */
  readonly c?: number;
  readonly kappa?: number;
  /** Outer binary-search steps over c (default 5). */
  readonly binarySteps?: number;
  /** Adam steps per c (default 50). */
  readonly steps?: number;
  /** Adam learning rate in tanh space (default 0.01). */
  readonly lr?: number;
}

export class CWL2 extends Attack {
  readonly name = "CW-L2";
  readonly c: number;
  readonly kappa: number;
  readonly binarySteps: number;
  readonly steps: number;
  readonly lr: number;
  constructor(target: Engine, p: CWL2Params = {}) {
    super(target);
    this.c = checkPositive(p.c ?? 1, "c");
    this.kappa = p.kappa ?? 0;
    if (!(this.kappa >= 0)) throw new Error(`kappa must be >= 0, got ${p.kappa}`);
    this.binarySteps = checkSteps(p.binarySteps ?? 5, "binarySteps");
    this.steps = checkSteps(p.steps ?? 50);
    this.lr = checkPositive(p.lr ?? 0.01, "lr");
  }
  params() {
    return { c: this.c, kappa: this.kappa, binarySteps: this.binarySteps, steps: this.steps, lr: this.lr };
  }
  async run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    const n = x.shape[0];
    const per = x.size / n;
    const labels = Int32Array.from(await y.data());
    const x0 = Float32Array.from(await x.data());
    const best = Float32Array.from(x0);
    const bestL2 = new Float64Array(n).fill(Infinity);
    const c = new Float64Array(n).fill(this.c);
    const lo = new Float64Array(n).fill(0);
    const hi = new Float64Array(n).fill(Infinity);
    // w = atanh(2x - 1), kept away from +-1 so that pixels at 0 or 1 stay finite.
    const w0 = tf.tidy(() => tf.atanh(tf.clipByValue(tf.sub(tf.mul(x, 2), 1), -1 + 1e-6, 1 - 1e-6)));
    for (let b = 0; b < this.binarySteps; b++) {
      // The variable shares w0's data until Adam assigns new values (w0 keeps its own reference).
      const w = tf.variable(w0, true);
      const opt = tf.train.adam(this.lr);
      const cT = tf.tensor(Float32Array.from(c), [n, 1, 1, 1]);
      const success = new Uint8Array(n);
      for (let s = 0; s < this.steps; s++) {
        const xa = tf.tidy(() => tf.div(tf.add(tf.tanh(w), 1), 2) as tf.Tensor4D);
        // The engine returns the gradient of the batch-mean CW margin min(max_other - z_y, kappa) = -f.
        const { grad } = await this.target.inputGradient(xa, y, "cw", this.kappa);
        const { z, k } = await logitsOf(this.target, xa);
        const pred = argmaxRows(z, k);
        const xaData = await xa.data();
        for (let i = 0; i < n; i++) {
          if (pred[i] === labels[i]) continue;
          // With kappa > 0, success also needs the margin; with 0, any flip counts.
          let other = -Infinity;
          for (let j = 0; j < k; j++) if (j !== labels[i]) other = Math.max(other, z[i * k + j]);
          if (other - z[i * k + labels[i]] < this.kappa) continue;
          success[i] = 1;
          let l2 = 0;
          for (let p = 0; p < per; p++) l2 += (xaData[i * per + p] - x0[i * per + p]) ** 2;
          if (l2 < bestL2[i]) {
            bestL2[i] = l2;
            best.set(xaData.subarray(i * per, (i + 1) * per), i * per);
          }
        }
        const gw = tf.tidy(() => {
          const gx = tf.sub(tf.mul(tf.sub(xa, x), 2), tf.mul(tf.mul(grad, n), cT));
          const t = tf.tanh(w);
          return tf.mul(gx, tf.div(tf.sub(1, tf.square(t)), 2));
        });
        opt.applyGradients([{ name: w.name, tensor: gw }]);
        tf.dispose([xa, grad, gw]);
      }
      for (let i = 0; i < n; i++) {
        if (success[i]) {
          hi[i] = Math.min(hi[i], c[i]);
          c[i] = (lo[i] + hi[i]) / 2;
        } else {
          lo[i] = Math.max(lo[i], c[i]);
          c[i] = Number.isFinite(hi[i]) ? (lo[i] + hi[i]) / 2 : c[i] * 10;
        }
      }
      tf.dispose([w, cT]);
      opt.dispose();
    }
    w0.dispose();
    return tf.tensor4d(best, x.shape);
  }
}

export interface DeepFoolParams {
  /** Iterations at most (default 50). */
  readonly steps?: number;
  /** Overshoot past the boundary (default 0.02). */
  readonly overshoot?: number;
}

export class DeepFool extends Attack {
  readonly name = "DeepFool";
  readonly steps: number;
  readonly overshoot: number;
  constructor(target: Engine, p: DeepFoolParams = {}) {
    super(target);
    this.steps = checkSteps(p.steps ?? 50);
    this.overshoot = p.overshoot ?? 0.02;
    if (!(this.overshoot >= 0)) throw new Error(`overshoot must be >= 0, got ${p.overshoot}`);
  }
  params() {
    return { steps: this.steps, overshoot: this.overshoot };
  }
  async run(x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    const n = x.shape[0];
    const per = x.size / n;
    const labels = Int32Array.from(await y.data());
    const x0 = Float32Array.from(await x.data());
    const r = new Float64Array(x0.length); // accumulated perturbation
    const adv = Float32Array.from(x0);
    const active = new Uint8Array(n).fill(1);
    for (let s = 0; s < this.steps; s++) {
      const xa = tf.tensor4d(adv, x.shape);
      const { z, k } = await logitsOf(this.target, xa);
      const pred = argmaxRows(z, k);
      for (let i = 0; i < n; i++) if (pred[i] !== labels[i]) active[i] = 0;
      if (!active.some(Boolean)) {
        xa.dispose();
        break;
      }
      // For each other class (offset j from the label), the gradient of z_k - z_y per image.
      const bestRatio = new Float64Array(n).fill(Infinity);
      const step = new Float64Array(x0.length);
      for (let j = 1; j < k; j++) {
        const coef = new Float32Array(n * k);
        for (let i = 0; i < n; i++) {
          const kk = (labels[i] + j) % k;
          coef[i * k + kk] = 1;
          coef[i * k + labels[i]] = -1;
        }
        const { grad } = await this.target.inputGradient(xa, y, "linear", undefined, coef);
        const g = await grad.data();
        grad.dispose();
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          const kk = (labels[i] + j) % k;
          const f = z[i * k + kk] - z[i * k + labels[i]];
          let norm2 = 0;
          for (let p = 0; p < per; p++) norm2 += (n * g[i * per + p]) ** 2;
          const ratio = Math.abs(f) / (Math.sqrt(norm2) + 1e-12);
          if (ratio < bestRatio[i]) {
            bestRatio[i] = ratio;
            const scale = (Math.abs(f) + 1e-4) / (norm2 + 1e-12);
            for (let p = 0; p < per; p++) step[i * per + p] = scale * n * g[i * per + p];
          }
        }
      }
      xa.dispose();
      for (let i = 0; i < n; i++) {
        if (!active[i]) continue;
        for (let p = i * per; p < (i + 1) * per; p++) {
          r[p] += step[p];
          adv[p] = Math.min(1, Math.max(0, x0[p] + (1 + this.overshoot) * r[p]));
        }
      }
    }
    return tf.tensor4d(adv, x.shape);
  }
}
