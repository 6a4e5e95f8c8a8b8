/**
 * Issue 15, item 5: the input-size experiment of notebook 03 (attacks.inputSizeSweep) outside a
 * notebook, with one JSON line per (task, size, seed) model and one for the verdicts, appended to
 * bench/results/input-size.jsonl. The models and PGD points land in the usual run and results
 * folders, so notebook 03 then reuses them.
 *
 *   node dist/bench/input-size.js [--profile cpu] [--tasks cxr,derm,cifar10] [--sizes 32,64,128] [--seeds 1]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { inputSizeSweep, inputSizeVerdicts, type InputSizeRow } from "../src/attacks";
import { initBackend } from "../src/backend";
import { resolveProfile } from "../src/config";
import { REPO_ROOT } from "../src/data/root";
import { median } from "../src/gates";

const { values: v } = parseArgs({ options: { profile: { type: "string", default: "cpu" }, tasks: { type: "string" }, sizes: { type: "string" }, seeds: { type: "string" } } });
const list = (s: string | undefined) => s?.split(",").map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const info = await initBackend();
  const profile = resolveProfile(v.profile);
  const plan = { ...profile.inputSize, ...(v.tasks ? { tasks: list(v.tasks)! } : {}), ...(v.sizes ? { sizes: list(v.sizes)!.map(Number) } : {}), ...(v.seeds ? { seeds: Number(v.seeds) } : {}) };
  const out = path.join(REPO_ROOT, "bench", "results", "input-size.jsonl");
  const write = (o: object) => {
    const line = JSON.stringify({ date: new Date().toISOString(), backend: info.id, threads: info.threads, profile: profile.name, pgdGrid: plan.pgdGrid, trainPerClass: plan.trainPerClass, epochs: plan.epochs, ...o });
    console.log(line);
    fs.appendFileSync(out, line + "\n");
  };
  const line = (r: InputSizeRow) => ({ task: r.task, size: r.size, seed: r.seed, model: r.model, role: r.role ?? "main", epochs: r.epochs, inputValues: r.inputValues, testAccuracy: r.testAccuracy, testAuc: r.testAuc, usable: r.usable, cleanAccuracy: r.cleanAccuracy, skill: r.skill, pgdAt1: r.pgdAt1, epsHalf: r.epsHalf, medianRadius: r.radii.length ? median([...r.radii]) : null, images: r.radii.length, trainSeconds: r.trainSeconds, reused: r.reused });
  const rows = await inputSizeSweep({ profile, plan, onRow: (r) => write(line(r)), onMatch: (m) => console.log(m) });
  // The shorter-schedule models of the skill match come back with the rows, not through onRow.
  for (const r of rows.filter((x) => x.role === "skill-match")) write(line(r));
  const vs = inputSizeVerdicts(rows, profile.tasks.natural, { tolerance: plan.skillTolerance });
  const c = (x: (typeof vs.bySize)[number]) => ({ label: x.label, medical: x.medicalMedian, natural: x.naturalMedian, difference: x.verdict.difference, verdict: x.verdict.text });
  write({ verdicts: { bySize: vs.bySize.map(c), matched: { ...c(vs.matched), models: [...vs.matched.medical, ...vs.matched.natural].map((r) => `${r.task}@${r.size}${r.role === "skill-match" ? `e${r.epochs}` : ""}`) }, slopes: vs.slopes, overall: vs.verdict.text } });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
