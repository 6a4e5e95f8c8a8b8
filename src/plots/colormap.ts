/**
 * Colormaps for heatmap-style images (saliency maps, feature maps): values -> RGB uint8.
 * jet as the paper's figures use it; viridis (perceptually uniform) as the better default.
 */
export type ColormapName = "jet" | "viridis" | "gray";

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** MATLAB's jet: piecewise-linear blue -> cyan -> yellow -> red. */
function jet(t: number): [number, number, number] {
  const r = clamp01(1.5 - Math.abs(4 * t - 3));
  const g = clamp01(1.5 - Math.abs(4 * t - 2));
  const b = clamp01(1.5 - Math.abs(4 * t - 1));
  return [r, g, b];
}

/** viridis, by a degree-6 polynomial fit per channel (within 5/255 of matplotlib's table). */
const VIRIDIS: ReadonlyArray<readonly number[]> = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

function viridis(t: number): [number, number, number] {
  const out = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let k = VIRIDIS.length - 1; k >= 0; k--) v = v * t + VIRIDIS[k][c];
    out[c] = clamp01(v);
  }
  return out as [number, number, number];
}

export function colormapRgb(name: ColormapName, t: number): [number, number, number] {
  const x = clamp01(t);
  return name === "jet" ? jet(x) : name === "viridis" ? viridis(x) : [x, x, x];
}

/**
 * Maps values to RGB bytes. The range is [lo, hi] if given (fixed scales make panels
 * comparable, as the paper's saliency figure does), else the values' own min..max.
 */
export function applyColormap(values: ArrayLike<number>, name: ColormapName = "viridis", range?: readonly [number, number]): Uint8Array {
  let lo = range?.[0] ?? Infinity;
  let hi = range?.[1] ?? -Infinity;
  if (!range) for (let i = 0; i < values.length; i++) (lo = Math.min(lo, values[i])), (hi = Math.max(hi, values[i]));
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = colormapRgb(name, (values[i] - lo) / span);
    out[3 * i] = Math.round(255 * r);
    out[3 * i + 1] = Math.round(255 * g);
    out[3 * i + 2] = Math.round(255 * b);
  }
  return out;
}
