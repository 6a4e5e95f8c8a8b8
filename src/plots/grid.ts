/**
 * Image figures composed with sharp: one row per group (e.g. a task, a class), one cell per image,
 * upscaled with nearest-neighbour so individual pixels stay visible. A figure is an SVG with its
 * title, row labels, column headers and colour bars as text (so a paper's LaTeX and the figure
 * check can read them) around the image cells, and a PNG rendered from that SVG at print size.
 */
import sharp from "sharp";
import { colormapRgb, type ColormapName } from "./colormap";
import { display } from "../ui/display";

export interface GridRow {
  readonly label: string;
  /** Each image: size x size x channels uint8, row-major. */
  readonly images: readonly Uint8Array[];
}

export interface GridOptions {
  readonly size: number;
  readonly channels: 1 | 3;
  /** Displayed side of one cell in CSS pixels (default 96). */
  readonly cell?: number;
  readonly gap?: number;
}

/** A colour bar beside the cells: what the colours of the heat-map cells mean. */
export interface Colorbar {
  readonly colormap: ColormapName;
  readonly range: readonly [number, number];
  readonly label: string;
}

export interface LabelledGridOptions extends GridOptions {
  readonly title?: string;
  /** One header per column (optional; shorter lists leave the remaining columns bare). */
  readonly columns?: readonly string[];
  readonly colorbars?: readonly Colorbar[];
  /** A line under the cells (e.g. how the maps were normalised). */
  readonly note?: string;
}

/** An image figure: its SVG (text as text), the PNG rendered from it, and the labels it carries. */
export interface LabelledGrid {
  readonly svg: string;
  readonly png: Buffer;
  /** Size of the SVG in CSS pixels; the PNG is `scale` times that. */
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly labels: readonly string[];
}

/**
 * The narrowest PNG counted as print size: one column of an Elsevier journal (Pattern Recognition,
 * where the paper appeared) is 90 mm, and its artwork guide asks for 300 dpi for halftones:
 * 90 / 25.4 x 300 = 1063 px.
 */
export const PRINT_MIN_WIDTH_PX = 1063;

/** The cells alone as a PNG, each cell `cell` pixels wide. */
export async function imageGridPng(rows: readonly GridRow[], o: GridOptions): Promise<Buffer> {
  const cell = o.cell ?? 96;
  const gap = o.gap ?? 4;
  const cols = Math.max(1, ...rows.map((r) => r.images.length));
  const width = cols * cell + (cols - 1) * gap;
  const height = Math.max(1, rows.length) * cell + Math.max(0, rows.length - 1) * gap;
  const per = o.size * o.size * o.channels;
  const tiles = await Promise.all(
    rows.flatMap((r, i) =>
      r.images.map(async (img, j) => {
        if (img.length !== per) throw new Error(`imageGrid: image ${j} of row '${r.label}' has ${img.length} values, expected ${per} (${o.size}x${o.size}x${o.channels})`);
        const input = await sharp(Buffer.from(img.buffer, img.byteOffset, img.byteLength), { raw: { width: o.size, height: o.size, channels: o.channels } })
          .resize(cell, cell, { kernel: "nearest" })
          .png()
          .toBuffer();
        return { input, top: i * (cell + gap), left: j * (cell + gap) };
      }),
    ),
  );
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(tiles)
    .png()
    .toBuffer();
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** Width of a line of DejaVu Sans (the font the PNG is rendered with) in CSS px, a slight overestimate. */
const textWidth = (s: string, px: number) => [...s].length * px * 0.62;

/** Greedy word wrap to lines at most `width` px wide (a single long word stays whole). */
export function wrapText(s: string, px: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of s.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, px) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

/** Tick labels of a colour bar: short, without float noise. */
const tick = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 10 ? v.toFixed(1) : Number(v.toPrecision(2)).toString());

const FONT = `font-family="DejaVu Sans, Arial, sans-serif"`;

/**
 * An image figure with its labels: title (wrapped), row labels on the left, column headers
 * (wrapped to the cell width), colour bars with their ranges on the right and an optional note,
 * as SVG, plus the PNG rendered from it at print size (at least PRINT_MIN_WIDTH_PX wide, cells
 * kept pixel-sharp).
 */
export async function labelledGrid(rows: readonly GridRow[], o: LabelledGridOptions): Promise<LabelledGrid> {
  if (rows.length === 0) throw new Error("labelledGrid: no rows to draw (the figure would be empty): check that the notebook produced images for at least one task.");
  const cell = o.cell ?? 96;
  const gap = o.gap ?? 4;
  const cols = Math.max(1, ...rows.map((r) => r.images.length));
  const gridW = cols * cell + (cols - 1) * gap;
  const gridH = rows.length * cell + (rows.length - 1) * gap;
  const pad = 10;
  const [titlePx, labelPx, tickPx] = [15, 12, 11];
  const labelW = Math.ceil(Math.max(0, ...rows.map((r) => textWidth(r.label, labelPx)))) + (rows.some((r) => r.label) ? 10 : 0);
  const headers = (o.columns ?? []).map((c) => wrapText(c, labelPx, cell + gap - 2));
  const headerH = headers.length ? Math.max(...headers.map((h) => h.length)) * (labelPx + 3) + 6 : 0;
  const bars = o.colorbars ?? [];
  const tickW = (b: Colorbar) => Math.ceil(Math.max(textWidth(tick(b.range[0]), tickPx), textWidth(tick(b.range[1]), tickPx)));
  // bar, ticks, the rotated label, then a gap that keeps the next bar's label apart from this one.
  const barBlock = (b: Colorbar) => 14 + 4 + tickW(b) + 6 + labelPx + 22;
  const barsW = bars.reduce((s, b) => s + barBlock(b), 0) + (bars.length ? 8 : 0);
  const bodyW = labelW + gridW + barsW;
  const titleLines = o.title ? wrapText(o.title, titlePx, Math.max(bodyW, 360)) : [];
  const width = Math.ceil(Math.max(bodyW, ...titleLines.map((l) => textWidth(l, titlePx))) + 2 * pad);
  const noteLines = o.note ? wrapText(o.note, tickPx, width - 2 * pad) : [];
  const top = pad + titleLines.length * (titlePx + 5) + (titleLines.length ? 4 : 0) + headerH;
  const height = Math.ceil(top + gridH + (noteLines.length ? 8 + noteLines.length * (tickPx + 4) : 0) + pad);
  const scale = Math.min(8, Math.max(2, Math.ceil(PRINT_MIN_WIDTH_PX / width)));
  const cells = await imageGridPng(rows, { ...o, cell: cell * scale, gap: gap * scale });
  const x0 = pad + labelW;
  const parts: string[] = [];
  titleLines.forEach((l, i) => parts.push(`<text x="${pad}" y="${pad + titlePx + i * (titlePx + 5)}" ${FONT} font-size="${titlePx}" font-weight="bold">${xml(l)}</text>`));
  headers.forEach((lines, j) => {
    const cx = x0 + j * (cell + gap) + cell / 2;
    lines.forEach((l, k) => parts.push(`<text x="${cx}" y="${top - 6 - (lines.length - 1 - k) * (labelPx + 3)}" ${FONT} font-size="${labelPx}" text-anchor="middle">${xml(l)}</text>`));
  });
  rows.forEach((r, i) => {
    if (r.label) parts.push(`<text x="${x0 - 8}" y="${top + i * (cell + gap) + cell / 2 + labelPx / 3}" ${FONT} font-size="${labelPx}" text-anchor="end">${xml(r.label)}</text>`);
  });
  parts.push(`<image x="${x0}" y="${top}" width="${gridW}" height="${gridH}" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${cells.toString("base64")}"/>`);
  let bx = x0 + gridW + 16;
  bars.forEach((b, k) => {
    const id = `cbar${k}`;
    const stops = [...Array(17).keys()].map((s) => {
      const [r, g, bl] = colormapRgb(b.colormap, s / 16).map((v) => Math.round(255 * v));
      return `<stop offset="${(s / 16).toFixed(4)}" stop-color="rgb(${r},${g},${bl})"/>`;
    });
    parts.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${stops.join("")}</linearGradient></defs>`);
    parts.push(`<rect x="${bx}" y="${top}" width="14" height="${gridH}" fill="url(#${id})" stroke="#444" stroke-width="0.5"/>`);
    const tx = bx + 14 + 4;
    parts.push(`<text x="${tx}" y="${top + tickPx * 0.8}" ${FONT} font-size="${tickPx}">${xml(tick(b.range[1]))}</text>`);
    parts.push(`<text x="${tx}" y="${top + gridH}" ${FONT} font-size="${tickPx}">${xml(tick(b.range[0]))}</text>`);
    const lx = bx + 14 + 4 + tickW(b) + 6 + labelPx / 2;
    parts.push(`<text x="${lx}" y="${top + gridH / 2}" ${FONT} font-size="${labelPx}" text-anchor="middle" transform="rotate(-90 ${lx} ${top + gridH / 2})">${xml(b.label)}</text>`);
    bx += barBlock(b);
  });
  noteLines.forEach((l, i) => parts.push(`<text x="${pad}" y="${top + gridH + 8 + (i + 1) * (tickPx + 4) - 4}" ${FONT} font-size="${tickPx}" fill="#333">${xml(l)}</text>`));
  const labels = [...(o.title ? [o.title] : []), ...rows.map((r) => r.label).filter(Boolean), ...(o.columns ?? []).filter(Boolean), ...bars.map((b) => b.label)];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
    `<metadata id="mia-labels">${xml(JSON.stringify(labels))}</metadata>\n` +
    `<rect width="${width}" height="${height}" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
  const png = await sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background: "#ffffff" }).png().toBuffer();
  return { svg, png, width, height, scale, labels };
}

/**
 * Shows a labelled image figure inline (the PNG at its CSS size, the text/plain naming the rows)
 * and returns it for exportImage.
 */
export async function showImageGrid(rows: readonly GridRow[], o: LabelledGridOptions): Promise<LabelledGrid> {
  const fig = await labelledGrid(rows, o);
  const alt = xml(o.title ?? "image grid");
  display({
    "text/html": `<figure class="mia-grid" style="margin:0"><img alt="${alt}" width="${fig.width}" height="${fig.height}" src="data:image/png;base64,${fig.png.toString("base64")}"/></figure>`,
    "image/png": fig.png,
    "text/plain": `[image figure${o.title ? `: ${o.title}` : ""}: ${rows.map((r) => `${r.label} (${r.images.length})`).join(", ")}]`,
  });
  return fig;
}
