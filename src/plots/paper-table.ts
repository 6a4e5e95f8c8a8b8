/**
 * Tables in the paper's shape, for a paper: row keys (e.g. dataset x detector), one column per
 * condition (e.g. attack), numbers at a fixed precision, intervals beside their values, and every
 * missing value with its reason as a footnote. Shown inline as HTML and exported as CSV (numbers
 * only, intervals as lo / hi columns), Markdown and LaTeX (booktabs).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../config/io";
import { display } from "../ui/display";
import { exportTable, figuresDir, recordFigure, type FigureEntry } from "./export";

export interface Interval {
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
}
/** A value that could not be measured, and why. */
export interface Missing {
  readonly missing: string;
}
export type Cell = number | string | Interval | Missing;

export const missing = (reason: string): Missing => ({ missing: reason });
export const interval = (value: number, lo: number, hi: number): Interval => ({ value, lo, hi });

export interface PaperTable {
  readonly caption: string;
  /** Names of the row-key columns, e.g. ["dataset", "detector"]. */
  readonly keys: readonly string[];
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<{ readonly key: readonly string[]; readonly cells: readonly Cell[] }>;
  /** Decimals of every non-integer number (default 3). */
  readonly digits?: number;
  /** Decimals of interval bounds (default: digits). */
  readonly boundDigits?: number;
}

const isMissing = (c: Cell): c is Missing => typeof c === "object" && c !== null && "missing" in c;
const isInterval = (c: Cell): c is Interval => typeof c === "object" && c !== null && "value" in c;

export interface FormattedTable {
  readonly header: readonly string[];
  /** Display text per cell; a missing value is "—" and carries its footnote mark in `marks`. */
  readonly body: ReadonlyArray<readonly string[]>;
  readonly marks: ReadonlyArray<ReadonlyArray<string | null>>;
  /** Footnotes: mark and reason, in order of first use. */
  readonly notes: ReadonlyArray<readonly [string, string]>;
}

const NOT_FINITE = "not a finite number (a computation failed: please report it)";

/** The table's cells as text at fixed precision, missing values as dashes with footnote marks. */
export function formatPaperTable(t: PaperTable): FormattedTable {
  const digits = t.digits ?? 3;
  const bd = t.boundDigits ?? digits;
  for (const r of t.rows) {
    if (r.key.length !== t.keys.length) throw new Error(`table '${t.caption}': row key ${JSON.stringify(r.key)} has ${r.key.length} parts, the table has ${t.keys.length} key columns (${t.keys.join(", ")})`);
    if (r.cells.length !== t.columns.length) throw new Error(`table '${t.caption}': row ${r.key.join(" · ")} has ${r.cells.length} cells for ${t.columns.length} columns`);
  }
  const reasons: string[] = [];
  const markOf = (i: number) => String.fromCharCode(97 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : "");
  const mark = (reason: string) => {
    let i = reasons.indexOf(reason);
    if (i < 0) i = reasons.push(reason) - 1;
    return markOf(i);
  };
  // A column of whole numbers (counts) prints them whole; any other column prints every number at `digits`.
  const wholeColumn = t.columns.map((_, j) => t.rows.every((r) => { const c = r.cells[j]; return typeof c !== "number" || !Number.isFinite(c) || Number.isInteger(c); }));
  const body: string[][] = [];
  const marks: Array<Array<string | null>> = [];
  for (const r of t.rows) {
    const texts: string[] = [...r.key];
    const ms: Array<string | null> = r.key.map(() => null);
    for (const [j, c] of r.cells.entries()) {
      const num = (v: number, d: number) => (wholeColumn[j] ? String(v) : v.toFixed(d));
      const bad = (typeof c === "number" && !Number.isFinite(c)) || (isInterval(c) && ![c.value, c.lo, c.hi].every(Number.isFinite));
      if (isMissing(c) || bad) {
        texts.push("—");
        ms.push(mark(isMissing(c) ? c.missing : NOT_FINITE));
      } else if (isInterval(c)) {
        texts.push(`${c.value.toFixed(digits)} [${c.lo.toFixed(bd)}, ${c.hi.toFixed(bd)}]`);
        ms.push(null);
      } else {
        texts.push(typeof c === "number" ? num(c, digits) : c);
        ms.push(null);
      }
    }
    body.push(texts);
    marks.push(ms);
  }
  return { header: [...t.keys, ...t.columns], body, marks, notes: reasons.map((r, i) => [markOf(i), r] as const) };
}

/** Repeated leading keys blanked (the paper's tables name a dataset once per block). */
function blankRepeats(f: FormattedTable, keys: number): string[][] {
  return f.body.map((row, i) => row.map((v, j) => (j < keys && i > 0 && f.body[i - 1].slice(0, j + 1).every((p, k) => p === row[k]) ? "" : v)));
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|");

/** Left-aligned columns: the keys, and columns of text alone (numbers and intervals align right). */
const leftAligned = (t: PaperTable): boolean[] => [...t.keys.map(() => true), ...t.columns.map((_, j) => t.rows.length > 0 && t.rows.every((r) => typeof r.cells[j] === "string"))];

export function paperTableMarkdown(t: PaperTable): string {
  const f = formatPaperTable(t);
  const rows = blankRepeats(f, t.keys.length).map((row, i) => `| ${row.map((v, j) => mdEscape(v) + (f.marks[i][j] ? ` (${f.marks[i][j]})` : "")).join(" | ")} |`);
  const left = leftAligned(t);
  const align = f.header.map((_, j) => (left[j] ? "---" : "---:"));
  const notes = f.notes.map(([m, r]) => `(${m}) ${mdEscape(r)}`);
  return [`**${mdEscape(t.caption)}**`, "", `| ${f.header.map(mdEscape).join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows, ...(notes.length ? ["", ...notes.map((n) => `${n}  `)] : [])].join("\n") + "\n";
}

const texEscape = (s: string) =>
  s.replace(/\\/g, "\\textbackslash{}").replace(/([&%$#_{}])/g, "\\$1").replace(/~/g, "\\textasciitilde{}").replace(/\^/g, "\\textasciicircum{}")
    .replace(/—/g, "---").replace(/–/g, "--").replace(/ε/g, "$\\varepsilon$").replace(/½/g, "$\\frac{1}{2}$").replace(/≤/g, "$\\leq$").replace(/≥/g, "$\\geq$").replace(/×/g, "$\\times$").replace(/→/g, "$\\rightarrow$").replace(/−/g, "$-$").replace(/·/g, "$\\cdot$");

/** LaTeX (booktabs: \toprule, \midrule between key blocks, \bottomrule), footnotes under it. */
export function paperTableLatex(t: PaperTable): string {
  const f = formatPaperTable(t);
  const left = leftAligned(t);
  const spec = f.header.map((_, j) => (left[j] ? "l" : "r")).join("");
  const blanked = blankRepeats(f, t.keys.length);
  const lines: string[] = [];
  blanked.forEach((row, i) => {
    if (i > 0 && t.keys.length > 1 && row[0] !== "") lines.push("\\midrule");
    lines.push(row.map((v, j) => texEscape(v) + (f.marks[i][j] ? `\\textsuperscript{${f.marks[i][j]}}` : "")).join(" & ") + " \\\\");
  });
  const notes = f.notes.map(([m, r]) => `\\textsuperscript{${m}} ${texEscape(r)}`);
  return [
    "% requires \\usepackage{booktabs}",
    "\\begin{table}[t]",
    "\\centering",
    `\\caption{${texEscape(t.caption)}}`,
    `\\begin{tabular}{${spec}}`,
    "\\toprule",
    f.header.map(texEscape).join(" & ") + " \\\\",
    "\\midrule",
    ...lines,
    "\\bottomrule",
    "\\end{tabular}",
    ...(notes.length ? ["", "\\par\\smallskip\\footnotesize", notes.join(" \\\\\n")] : []),
    "\\end{table}",
  ].join("\n") + "\n";
}

const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function paperTableHtml(t: PaperTable): string {
  const f = formatPaperTable(t);
  const reason = new Map(f.notes.map(([m, r]) => [m, r] as const));
  const rows = blankRepeats(f, t.keys.length)
    .map((row, i) => `<tr>${row.map((v, j) => {
      const m = f.marks[i][j];
      const tag = j < t.keys.length ? "th" : "td";
      return m ? `<${tag} title="${html(reason.get(m)!)}">${html(v)}<sup>${m}</sup></${tag}>` : `<${tag}>${html(v)}</${tag}>`;
    }).join("")}</tr>`)
    .join("\n");
  const notes = f.notes.length ? `<div class="mia-notes" style="font-size:90%">${f.notes.map(([m, r]) => `<sup>${m}</sup> ${html(r)}`).join("<br/>")}</div>` : "";
  return `<table class="dataframe mia-table"><caption>${html(t.caption)}</caption><thead><tr>${f.header.map((h) => `<th>${html(h)}</th>`).join("")}</tr></thead><tbody>\n${rows}\n</tbody></table>${notes}`;
}

/** Shows the table inline (HTML; the Markdown as text/plain). */
export function showPaperTable(t: PaperTable): void {
  display({ "text/html": paperTableHtml(t), "text/plain": paperTableMarkdown(t) });
}

/** CSV rows: numbers as numbers, an interval as value / lo / hi columns, reasons in a last column. */
function csvOf(t: PaperTable): { columns: string[]; rows: unknown[][] } {
  const withBounds = t.columns.map((_, j) => t.rows.some((r) => isInterval(r.cells[j])));
  const columns = [...t.keys, ...t.columns.flatMap((c, j) => (withBounds[j] ? [c, `${c} lo`, `${c} hi`] : [c])), "missing values"];
  const rows = t.rows.map((r) => {
    const why: string[] = [];
    const cells = r.cells.flatMap((c, j) => {
      const finite = typeof c === "number" ? Number.isFinite(c) : isInterval(c) ? [c.value, c.lo, c.hi].every(Number.isFinite) : true;
      if (isMissing(c) || !finite) {
        why.push(`${t.columns[j]}: ${isMissing(c) ? c.missing : NOT_FINITE}`);
        return withBounds[j] ? ["", "", ""] : [""];
      }
      if (isInterval(c)) return [c.value, c.lo, c.hi];
      return withBounds[j] ? [c, "", ""] : [c];
    });
    return [...r.key, ...cells, why.join("; ")];
  });
  return { columns, rows };
}

/** Writes <name>.csv, <name>.md and <name>.tex and records them in INDEX.md. */
export function exportPaperTable(t: PaperTable, entry: FigureEntry, options: { dir?: string } = {}): { csv: string; md: string; tex: string } {
  const dir = options.dir ?? figuresDir();
  const csv = exportTable(csvOf(t), entry, { dir });
  const files = { csv, md: path.join(dir, `${entry.name}.md`), tex: path.join(dir, `${entry.name}.tex`) };
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(files.md, paperTableMarkdown(t), "Free space or make the folder writable, or set MIA_FIGURES_DIR to another folder.");
  writeFileAtomic(files.tex, paperTableLatex(t), "Free space or make the folder writable, or set MIA_FIGURES_DIR to another folder.");
  recordFigure(dir, entry, ["csv", "md", "tex"]);
  return files;
}
