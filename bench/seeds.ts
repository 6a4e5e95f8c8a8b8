/**
 * Issue 15, item 4: claim 1 across independently seeded models, outside the notebooks. For each
 * task, seeds 0 .. n-1 of the profile's model (seed 0 is the main model of notebook 02; the others
 * are `<model>@s<k>`, as notebook 02 trains them when profile.seeds > 1) are trained or reused and
 * attacked with the profile's PGD grid (cached sweeps reused). Per seed: the test metric and gate,
 * PGD accuracy at 1/255, the median per-image PGD radius and the "broken at 1/255" verdict; per
 * task: the verdict with the seeds as clusters. One JSON line each, appended to
 * bench/results/seeds-<profile>.jsonl.
 *
 *   node dist/bench/seeds.js [--profile cpu] [--tasks cxr,derm] [--seeds 3]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { robustRadii, survivalAt } from "../src/attacks";
import { initBackend } from "../src/backend";
import { checkWhole, resolveProfile } from "../src/config";
import { REPO_ROOT } from "../src/data/root";
import { brokenAtVerdict, gateStatus, median, type Measured } from "../src/gates";
import { replicates } from "../src/runs";

const { values: v } = parseArgs({ options: { profile: { type: "string", default: "cpu" }, tasks: { type: "string", default: "cxr,derm" }, seeds: { type: "string", default: "3" } } });

async function main(): Promise<void> {
  const info = await initBackend();
  const base = resolveProfile(v.profile);
  const seeds = checkWhole(Number(v.seeds), "--seeds", 1, v.seeds);
  const profile = { ...base, seeds };
  const out = path.join(REPO_ROOT, "bench", "results", `seeds-${profile.name}.jsonl`);
  const write = (o: object) => {
    const line = JSON.stringify({ date: new Date().toISOString(), backend: info.id, threads: info.threads, profile: profile.name, model: profile.model, ...o });
    console.log(line);
    fs.appendFileSync(out, line + "\n");
  };
  for (const task of v.tasks!.split(",").map((t) => t.trim()).filter(Boolean)) {
    const natural = profile.tasks.natural.includes(task);
    const models: Measured[] = [];
    for (const ex of replicates(task, profile)) {
      const t = await ex.train();
      t.model.dispose();
      const a = await ex.attack({ attacks: ["pgd"], saveEps: null, quiet: true });
      const s = survivalAt(a.rows, 1);
      if (!s) throw new Error(`${task} seed ${ex.seed}: the PGD sweep has no 1/255 point (profile ${profile.name}'s grid: ${profile.epsGrid.pgd.join(", ")})`);
      const g = gateStatus(task, t);
      const verdict = brokenAtVerdict([{ gate: g, values: s }], { natural });
      const radii = robustRadii(a.rows);
      models.push({ gate: g, values: s });
      write({
        task, seed: ex.seed, run: ex.model, metric: g.metric, value: g.value, testN: g.n, gate: g.status, trainSeconds: t.trainSeconds, reused: t.reused,
        images: a.n, cleanAccuracy: a.cleanAccuracy, pgdAt1: a.rows.find((r) => r.eps === 1)!.accuracy,
        survivingAt1: s.length ? s.reduce((x, y) => x + y, 0) / s.length : null, medianRadius: radii.length ? median(radii) : null, verdict: verdict.text,
      });
    }
    const pooled = brokenAtVerdict(models, { natural });
    write({ task, seeds, clustered: true, verdict: pooled.text });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
