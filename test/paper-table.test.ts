/** Paper-shaped tables: fixed precision, reasons for missing values, Markdown / LaTeX / CSV exports. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DataFrame } from "danfojs";
import { exportPaperTable, formatPaperTable, interval, missing, paperTableHtml, paperTableLatex, paperTableMarkdown, tableHtml, type PaperTable } from "../src/plots";

const table: PaperTable = {
  caption: "Detection AUC, ε = 1/255",
  keys: ["dataset", "detector"],
  columns: ["FGSM", "PGD"],
  rows: [
    { key: ["cxr", "kd"], cells: [interval(0.9123, 0.85, 0.96), 1] },
    { key: ["cxr", "lid"], cells: [missing("fewer than 20 adversarial rows"), 0.75] },
    { key: ["cifar10", "kd"], cells: [NaN, missing("fewer than 20 adversarial rows")] },
  ],
};

test("formatPaperTable: fixed decimals, intervals beside values, one footnote per distinct reason, NaN refused as a marked gap", () => {
  const f = formatPaperTable(table);
  assert.deepEqual(f.header, ["dataset", "detector", "FGSM", "PGD"]);
  // PGD's column holds 1 and 0.75: not a column of counts, so 1 prints as 1.000.
  assert.deepEqual(f.body[0], ["cxr", "kd", "0.912 [0.850, 0.960]", "1.000"]);
  assert.deepEqual(formatPaperTable({ caption: "n", keys: ["t"], columns: ["classes"], rows: [{ key: ["a"], cells: [2] }, { key: ["b"], cells: [10] }] }).body.map((r) => r[1]), ["2", "10"]);
  assert.deepEqual(f.body[1].slice(2), ["—", "0.750"]);
  assert.deepEqual(f.marks[1], [null, null, "a", null]);
  assert.deepEqual(f.marks[2], [null, null, "b", "a"]);
  assert.deepEqual(f.notes.map(([m]) => m), ["a", "b"]);
  assert.match(f.notes[1][1], /not a finite number/);
  assert.ok(!f.body.flat().some((v) => /NaN|n\/a/.test(v)));
  assert.throws(() => formatPaperTable({ ...table, rows: [{ key: ["cxr"], cells: [1, 2] }] }), /row key \["cxr"\] has 1 parts, the table has 2 key columns/);
});

test("Markdown, LaTeX and HTML: the dataset named once per block, reasons as footnotes, LaTeX escaped", () => {
  const md = paperTableMarkdown(table);
  assert.match(md, /\| dataset \| detector \| FGSM \| PGD \|\n\| --- \| --- \| ---: \| ---: \|/);
  assert.match(md, /\| cxr \| kd \| 0\.912 \[0\.850, 0\.960\] \| 1\.000 \|\n\|  \| lid \| — \(a\) \| 0\.750 \|/);
  assert.match(md, /\(a\) fewer than 20 adversarial rows/);
  const tex = paperTableLatex(table);
  assert.match(tex, /\\begin\{tabular\}\{llrr\}/);
  assert.match(tex, /\\caption\{Detection AUC, \$\\varepsilon\$ = 1\/255\}/);
  assert.match(tex, / & lid & ---\\textsuperscript\{a\} & 0\.750 \\\\/);
  assert.match(tex, /\\midrule\ncifar10 & kd/);
  assert.match(paperTableHtml(table), /<td title="fewer than 20 adversarial rows">—<sup>a<\/sup><\/td>/);
  // A column of text (a verdict) aligns left; numbers and intervals right.
  const verdicts = { caption: "v", keys: ["claim"], columns: ["value", "verdict"], rows: [{ key: ["1"], cells: [0.5, "holds"] }, { key: ["2"], cells: [missing("no model"), "not testable"] }] };
  assert.match(paperTableMarkdown(verdicts), /\| claim \| value \| verdict \|\n\| --- \| ---: \| --- \|/);
  assert.match(paperTableLatex(verdicts), /\\begin\{tabular\}\{lrl\}/);
});

test("exportPaperTable: CSV with numbers and bounds in their own columns, .md and .tex beside it, all in INDEX.md", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-ptable-"));
  const files = exportPaperTable(table, { name: "detection_auc", paper: "T-detect", title: "Detection AUC" }, { dir });
  const csv = fs.readFileSync(files.csv, "utf8").trim().split("\n");
  assert.equal(csv[0], "dataset,detector,FGSM,FGSM lo,FGSM hi,PGD,missing values");
  assert.equal(csv[1], "cxr,kd,0.9123,0.85,0.96,1,");
  assert.equal(csv[2], "cxr,lid,,,,0.75,FGSM: fewer than 20 adversarial rows");
  assert.ok(fs.readFileSync(files.tex, "utf8").includes("\\toprule"));
  assert.match(fs.readFileSync(path.join(dir, "INDEX.md"), "utf8"), /\[csv\]\(detection_auc\.csv\) · \[md\]\(detection_auc\.md\) · \[tex\]\(detection_auc\.tex\)/);
});

test("tableHtml: a column keeps the decimals its values need (no 56.3000), NaN is a dash", () => {
  const df = new DataFrame({ "clean %": [56.3, 91.25], auc: [0.9, 0.85], n: [3, 4], x: [NaN, 0.5] }, { index: ["a", "b"] });
  const h = tableHtml(df);
  assert.match(h, /<td>56\.30<\/td><td>0\.90<\/td><td>3<\/td><td>—<\/td>/);
  assert.match(h, /<td>91\.25<\/td><td>0\.85<\/td><td>4<\/td><td>0\.5<\/td>/);
  assert.doesNotMatch(h, /NaN|56\.3000/);
});
