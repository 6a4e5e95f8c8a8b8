/**
 * Column scalers, fitted on the training split only (fitting them on the scored data is one of
 * the leaks the issue asks to avoid). A constant column is left unscaled rather than divided by 0.
 */
import { checkMatrix, type Matrix } from "./types";

export type ScaleKind = "zscore" | "minmax" | "none";

export class Scaler {
  private constructor(
    readonly kind: ScaleKind,
    /** Subtracted from each column. */
    readonly offset: Float64Array,
    /** Each column is divided by this after the offset. */
    readonly scale: Float64Array,
  ) {}

  static fit(kind: ScaleKind, m: Matrix): Scaler {
    checkMatrix(m, "Scaler.fit");
    const { n, d, x } = m;
    const offset = new Float64Array(d);
    const scale = new Float64Array(d).fill(1);
    if (kind === "zscore") {
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) offset[j] += x[i * d + j] / n;
      const v = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j] += (x[i * d + j] - offset[j]) ** 2 / n; // population std, as sklearn
      for (let j = 0; j < d; j++) scale[j] = v[j] > 1e-24 ? Math.sqrt(v[j]) : 1;
    } else if (kind === "minmax") {
      const hi = new Float64Array(d).fill(-Infinity);
      offset.fill(Infinity);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
        offset[j] = Math.min(offset[j], x[i * d + j]);
        hi[j] = Math.max(hi[j], x[i * d + j]);
      }
      for (let j = 0; j < d; j++) scale[j] = hi[j] > offset[j] ? hi[j] - offset[j] : 1;
    } else if (kind !== "none") throw new Error(`Scaler: unknown kind '${kind}'`);
    return new Scaler(kind, offset, scale);
  }

  transform(m: Matrix): Float64Array {
    if (m.d !== this.offset.length) throw new Error(`Scaler: fitted on ${this.offset.length} columns, given ${m.d}`);
    const { n, d, x } = m;
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] - this.offset[j]) / this.scale[j];
    return out;
  }
}
