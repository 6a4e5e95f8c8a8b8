/**
 * Deterministic, leakage-free splits. Items are grouped (patient, lesion, byte-identical
 * duplicates); whole groups go to one split, stratified by label, with a seeded shuffle.
 */

/** mulberry32: a small, fast, seedable PRNG (same sequence on every machine). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = xs.slice();
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Union-find over string keys: merges groups that must stay together (e.g. duplicates). */
export class GroupUnion {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // Smaller key becomes the root, so the result does not depend on the order of unions.
    if (ra !== rb) ra < rb ? this.parent.set(rb, ra) : this.parent.set(ra, rb);
  }
}

/**
 * Merges the groups of items with identical content hashes, so byte-identical duplicates never
 * straddle splits. Returns the new group of each item.
 */
export function mergeDuplicateGroups(groups: readonly string[], hashes: readonly string[]): string[] {
  const uf = new GroupUnion();
  const firstGroupOfHash = new Map<string, string>();
  hashes.forEach((h, i) => {
    const g = firstGroupOfHash.get(h);
    if (g === undefined) firstGroupOfHash.set(h, groups[i]);
    else uf.union(g, groups[i]);
  });
  return groups.map((g) => uf.find(g));
}

export interface SplitFractions {
  readonly [split: string]: number;
}

/**
 * Assigns every item to a split so that groups are never divided, each label's items are
 * spread over the splits in the given fractions, and the result depends only on the inputs
 * and the seed. A group's stratum is its most frequent label (ties: the larger label, so
 * e.g. a patient with one referable eye counts as referable).
 */
export function groupStratifiedSplit(
  labels: readonly number[],
  groups: readonly string[],
  fractions: SplitFractions,
  seed: number,
): string[] {
  if (labels.length !== groups.length) throw new Error("groupStratifiedSplit: labels and groups differ in length");
  const names = Object.keys(fractions);
  const total = names.reduce((s, n) => s + fractions[n], 0);
  if (names.length === 0 || !(total > 0) || names.some((n) => !(fractions[n] >= 0))) {
    throw new Error(`groupStratifiedSplit: bad fractions ${JSON.stringify(fractions)}`);
  }
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const m = members.get(g);
    if (m) m.push(i);
    else members.set(g, [i]);
  });
  const strata = new Map<number, string[]>();
  for (const [g, idx] of [...members.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const counts = new Map<number, number>();
    for (const i of idx) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    const label = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
    const s = strata.get(label);
    if (s) s.push(g);
    else strata.set(label, [g]);
  }
  const out = new Array<string>(labels.length);
  for (const [label, gs] of [...strata.entries()].sort((a, b) => a[0] - b[0])) {
    const size = gs.reduce((s, g) => s + members.get(g)!.length, 0);
    const got = Object.fromEntries(names.map((n) => [n, 0]));
    for (const g of shuffled(gs, seed * 1000003 + label)) {
      // Give the group to the split furthest below its target share of this stratum.
      let best = names[0];
      let bestDeficit = -Infinity;
      for (const n of names) {
        const deficit = (fractions[n] / total) * size - got[n];
        if (deficit > bestDeficit) [best, bestDeficit] = [n, deficit];
      }
      for (const i of members.get(g)!) out[i] = best;
      got[best] += members.get(g)!.length;
    }
  }
  return out;
}

/**
 * At most `perClass` indices of each label, chosen by a seeded shuffle (deterministic subsets for
 * the smaller profiles). Returned in ascending index order.
 */
export function limitPerClass(indices: readonly number[], labels: readonly number[], perClass: number | null, seed: number): number[] {
  if (perClass === null) return indices.slice();
  const taken = new Map<number, number>();
  const keep: number[] = [];
  for (const i of shuffled(indices, seed)) {
    const n = taken.get(labels[i]) ?? 0;
    if (n < perClass) {
      keep.push(i);
      taken.set(labels[i], n + 1);
    }
  }
  return keep.sort((a, b) => a - b);
}

/**
 * The paper's detector partition: correctly classified clean test images split into AdvTrain
 * and AdvTest, group-disjoint and stratified. `correct` holds test-set indices.
 */
export function advPartition(
  correct: readonly number[],
  labels: readonly number[],
  groups: readonly string[],
  options: { trainFraction?: number; seed?: number } = {},
): { advTrain: number[]; advTest: number[] } {
  const f = options.trainFraction ?? 0.8;
  if (!(f > 0 && f < 1)) throw new Error(`advPartition: trainFraction must be in (0, 1), got ${f}`);
  const split = groupStratifiedSplit(
    correct.map((i) => labels[i]),
    correct.map((i) => groups[i]),
    { advTrain: f, advTest: 1 - f },
    options.seed ?? 0,
  );
  return {
    advTrain: correct.filter((_, k) => split[k] === "advTrain"),
    advTest: correct.filter((_, k) => split[k] === "advTest"),
  };
}

/**
 * Indices ordered so that every prefix is as class-balanced as the data allows: each class
 * shuffled (seeded), then taken round-robin. The first n are "n test images" for an attack.
 */
export function balancedOrder(labels: ArrayLike<number>, seed = 0): number[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (!byClass.has(labels[i])) byClass.set(labels[i], []);
    byClass.get(labels[i])!.push(i);
  }
  const queues = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([c, idx]) => shuffled(idx, seed + c));
  const out: number[] = [];
  for (let k = 0; out.length < labels.length; k++) for (const q of queues) if (k < q.length) out.push(q[k]);
  return out;
}
