/** The little dense linear algebra the detectors need (d up to a few hundred). */

/** Lower Cholesky factor L of a symmetric positive-definite a (d x d, row-major): a = L Lᵀ. */
export function cholesky(a: Float64Array, d: number, who = "cholesky"): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`${who}: matrix is not positive definite (pivot ${i} = ${s}); add ridge`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

/** Solves L y = b in place (forward substitution). */
export function forwardSolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * b[k];
    b[i] = s / l[i * d + i];
  }
  return b;
}

/** Solves (L Lᵀ) x = b in place. */
export function choleskySolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  forwardSolve(l, d, b);
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * b[k];
    b[i] = s / l[i * d + i];
  }
  return b;
}

/** Squared Euclidean distance between row i of a and row j of b (both width d). */
export function sqDist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  const oa = i * d;
  const ob = j * d;
  for (let t = 0; t < d; t++) {
    const v = a[oa + t] - b[ob + t];
    s += v * v;
  }
  return s;
}

/** log(sum(exp(v))) without overflow. */
export function logSumExp(v: ArrayLike<number>, length = v.length): number {
  let m = -Infinity;
  for (let i = 0; i < length; i++) if (v[i] > m) m = v[i];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s);
}
