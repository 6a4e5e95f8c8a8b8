/**
 * How "simple" a set of deep representations is (claim 3): the participation ratio of their
 * covariance spectrum, PR = (sum λ)² / sum λ² = tr(C)² / ||C||_F². It is 1 when all variance lies
 * on one direction and d when it is spread evenly over d; no eigendecomposition is needed.
 */
export function participationRatio(x: ArrayLike<number>, n: number, d: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(d) && n >= 2 && d >= 1) || x.length !== n * d) {
    throw new Error(`participationRatio needs n >= 2 rows of d >= 1 features (n * d values); got n ${n}, d ${d}, ${x.length} values`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  // Covariance C = Zᵀ Z / (n - 1) with Z the centred rows; only tr(C) and ||C||_F are needed.
  const c = new Float64Array(d * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) z[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const za = z[a];
      if (za === 0) continue;
      for (let b = a; b < d; b++) c[a * d + b] += za * z[b];
    }
  }
  let trace = 0;
  let frob = 0;
  for (let a = 0; a < d; a++) {
    trace += c[a * d + a];
    for (let b = a; b < d; b++) frob += (a === b ? 1 : 2) * c[a * d + b] ** 2;
  }
  if (frob === 0) throw new Error("participationRatio: the features do not vary (all rows equal)");
  return (trace * trace) / frob; // the 1/(n-1) factors cancel
}
