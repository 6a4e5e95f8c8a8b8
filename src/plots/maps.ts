/**
 * Image rows for the "why vulnerable" figures (notebook 05): input images as RGB, and heat maps
 * (saliency, Grad-CAM, channel-mean feature maps) coloured with one colormap on one fixed range,
 * upsampled to the image size so rows line up.
 */
import { applyColormap, type ColormapName } from "./colormap";
import type { GridRow } from "./grid";

/** Image i of NHWC float data in [0, 1] as size x size x 3 uint8 (grey repeated). */
export function imageRgb(data: ArrayLike<number>, i: number, size: number, channels: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const base = i * size * size * channels;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.max(0, Math.min(255, Math.round(255 * data[base + p * channels + (channels === 1 ? 0 : c)])));
  }
  return out;
}

/** Bilinear resize of one h x w map to size x size (pixel centres aligned). */
export function resizeMap(map: ArrayLike<number>, h: number, w: number, size: number): Float32Array {
  if (map.length !== h * w) throw new Error(`resizeMap: ${map.length} values is not ${h} x ${w}`);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * h) / size - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const v = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * w) / size - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const u = fx - x0;
      out[y * size + x] = (1 - v) * ((1 - u) * map[y0 * w + x0] + u * map[y0 * w + x1]) + v * ((1 - u) * map[y1 * w + x0] + u * map[y1 * w + x1]);
    }
  }
  return out;
}

/** The p-quantile (0..1) of values, e.g. the top of a fixed colour range robust to a few hot pixels. */
export function quantile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0 || !(p >= 0 && p <= 1)) throw new Error(`quantile needs values and p in [0, 1], got ${values.length} values, p ${p}`);
  const s = Float64Array.from(values).sort();
  const k = p * (s.length - 1);
  const lo = Math.floor(k);
  return s[lo] + (k - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
}

/** A row of heat maps (each h x w, upsampled to size) in one colormap on one range. */
export function heatmapRow(label: string, maps: readonly ArrayLike<number>[], o: { h: number; w: number; size: number; range: readonly [number, number]; colormap?: ColormapName }): GridRow {
  return { label, images: maps.map((m) => applyColormap(o.h === o.size && o.w === o.size ? m : resizeMap(m, o.h, o.w, o.size), o.colormap ?? "jet", o.range)) };
}
