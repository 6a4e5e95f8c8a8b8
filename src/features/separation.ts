/**
 * How far adversarial deep features sit from clean ones (claim 5, notebook 07), as two numbers:
 * the distance between the clean and the adversarial mean in units of the clean features' spread
 * (root mean squared distance to their mean), and the leave-one-out 1-nearest-neighbour accuracy
 * of telling them apart (0.5 = inseparable, 1 = every point's nearest neighbour is its own kind).
 */
export function separation(x: ArrayLike<number>, n: number, d: number, isAdv: ArrayLike<number | boolean>): { gap: number; nn: number; hits: Uint8Array } {
  if (x.length !== n * d || isAdv.length !== n || n < 2) throw new Error(`separation needs n >= 2 rows of d features and one flag per row; got ${x.length} values, n ${n}, d ${d}, ${isAdv.length} flags`);
  const adv = Array.from(isAdv, Boolean);
  if (!adv.includes(true) || !adv.includes(false)) throw new Error("separation needs both clean and adversarial rows");
  const mean = (want: boolean) => {
    const m = new Float64Array(d);
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (adv[i] !== want) continue;
      c++;
      for (let j = 0; j < d; j++) m[j] += x[i * d + j];
    }
    return m.map((v) => v / c);
  };
  const [mc, ma] = [mean(false), mean(true)];
  let spread = 0;
  let nc = 0;
  for (let i = 0; i < n; i++) {
    if (adv[i]) continue;
    nc++;
    for (let j = 0; j < d; j++) spread += (x[i * d + j] - mc[j]) ** 2;
  }
  const gap = Math.sqrt(mc.reduce((s, v, j) => s + (v - ma[j]) ** 2, 0)) / Math.sqrt(spread / nc);
  let hit = 0;
  // hits[i] = 1 when row i's nearest other row is of its own kind (nn is their mean).
  const hits = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let label = false;
    for (let k = 0; k < n; k++) {
      if (k === i) continue;
      let dd = 0;
      for (let j = 0; j < d; j++) dd += (x[i * d + j] - x[k * d + j]) ** 2;
      if (dd < best) [best, label] = [dd, adv[k]];
    }
    if (label === adv[i]) {
      hit++;
      hits[i] = 1;
    }
  }
  return { gap, nn: hit / n, hits };
}
