/**
 * Image grids composed with sharp: one row per group (e.g. class), one cell per image, upscaled
 * with nearest-neighbour so individual pixels stay visible. Shown inline as a PNG with an HTML
 * caption naming the rows.
 */
import sharp from "sharp";
import { display } from "./display";

export interface GridRow {
  readonly label: string;
  /** Each image: size x size x channels uint8, row-major. */
  readonly images: readonly Uint8Array[];
}

export interface GridOptions {
  readonly size: number;
  readonly channels: 1 | 3;
  /** Displayed side of one cell in pixels (default 96). */
  readonly cell?: number;
  readonly gap?: number;
}

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

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Shows a grid inline: the PNG, the row labels beside it and a caption. */
export async function showImageGrid(rows: readonly GridRow[], o: GridOptions & { title?: string }): Promise<Buffer> {
  const png = await imageGridPng(rows, o);
  const cell = o.cell ?? 96;
  const gap = o.gap ?? 4;
  const labels = rows.map((r) => `<div style="height:${cell}px;margin-bottom:${gap}px;display:flex;align-items:center;justify-content:flex-end;font:13px sans-serif;padding-right:6px">${esc(r.label)}</div>`).join("");
  const html =
    `<figure class="mia-grid" style="margin:0">` +
    (o.title ? `<figcaption style="font:bold 14px sans-serif;margin-bottom:4px">${esc(o.title)}</figcaption>` : "") +
    `<div style="display:flex"><div>${labels}</div><img alt="${esc(o.title ?? "image grid")}" src="data:image/png;base64,${png.toString("base64")}"/></div></figure>`;
  display({ "text/html": html, "image/png": png, "text/plain": `[image grid${o.title ? `: ${o.title}` : ""}: ${rows.map((r) => `${r.label} (${r.images.length})`).join(", ")}]` });
  return png;
}
