/**
 * danfojs DataFrames as inline HTML tables (and plain text outside notebooks).
 */
import type { DataFrame } from "danfojs";
import { display } from "../ui/display";
import { exportTable, type FigureEntry } from "./export";

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Decimals a column needs: the fewest (up to `digits`) that show each of its values unrounded at `digits`. */
function columnDecimals(values: readonly unknown[], digits: number): number {
  let need = 0;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v) || Number.isInteger(v)) continue;
    let d = 0;
    while (d < digits && Number(v.toFixed(d)) !== Number(v.toFixed(digits))) d++;
    need = Math.max(need, d);
  }
  return need;
}

function formatCell(v: unknown, decimals: number): string {
  if (typeof v === "number") return !Number.isFinite(v) ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(decimals);
  if (v === null || v === undefined) return "—";
  return String(v);
}

/** Each row as its index label then its cells as shown: a column's numbers share its decimals (columnDecimals). */
function formattedRows(df: DataFrame, digits: number): string[][] {
  const values = df.values as unknown[][];
  const decimals = df.columns.map((_, j) => columnDecimals(values.map((r) => r[j]), digits));
  return values.map((row, i) => [String(df.index[i]), ...row.map((v, j) => formatCell(v, decimals[j]))]);
}

/**
 * An HTML table of the frame: header row of column names, one row per index label. Numbers in a
 * column share its decimals (at most `digits`, default 4, and no more than its values need); a
 * missing or non-finite value is a dash. For the paper's tables with reasons for each missing
 * value, use showPaperTable.
 */
export function tableHtml(df: DataFrame, options: { digits?: number; caption?: string } = {}): string {
  const cols = df.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join("");
  const rows = formattedRows(df, options.digits ?? 4)
    .map(([label, ...cells]) => `<tr><th>${escapeHtml(label)}</th>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  return `<table class="dataframe mia-table">${caption}<thead><tr><th></th>${cols}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/**
 * The same table as aligned plain text (what a notebook shows outside the browser and the CLI
 * prints): every row and every cell in full, numbers right-aligned with the HTML table's decimals.
 * danfojs' own toString cuts a frame to 10 rows and its cells to 17 characters, which hid seeds.
 */
export function tableText(df: DataFrame, options: { digits?: number; caption?: string } = {}): string {
  const values = df.values as unknown[][];
  const header = ["", ...df.columns.map(String)];
  const body = formattedRows(df, options.digits ?? 4);
  const numeric = header.map((_, j) => j > 0 && values.every((r) => typeof r[j - 1] === "number"));
  const width = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (numeric[j] ? c.padStart(width[j]) : c.padEnd(width[j]))).join("  ").trimEnd();
  const rule = width.map((w) => "-".repeat(w)).join("  ");
  return [...(options.caption ? [options.caption] : []), line(header), rule, ...body.map(line)].join("\n");
}

/** Shows a DataFrame inline as an HTML table (aligned plain text outside notebooks). */
export function showTable(df: DataFrame, options: { digits?: number; caption?: string } = {}): void {
  display({ "text/html": tableHtml(df, options), "text/plain": tableText(df, options) });
}

/** Saves a DataFrame as figures/<name>.csv (with its index as the first column) and lists it in INDEX.md. */
export function saveTable(df: DataFrame, entry: FigureEntry, options: { dir?: string } = {}): string {
  return exportTable({ columns: df.columns.map(String), index: df.index as Array<string | number>, rows: df.values as unknown[][] }, entry, options);
}
