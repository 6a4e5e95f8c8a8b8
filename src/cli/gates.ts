/** `mia gates`: every task's quality gate and reference, and where a model is trained, its status. */
import { formatMetric as fmt, gateFor, gateStatus, TASK_GATES, type TaskGate } from "../gates";
import { trainedRecord } from "../train";
import { parseCommand, profileOption, RUN_OPTIONS, UsageError } from "./usage";

const HELP = `Usage: mia gates [--profile P] [--task NAME] [--model M] [--out DIR] [--json]

Lists the quality gate of each task (the test metric its model must reach before a claim verdict
may rest on it, measured on the whole test split), the published references it was derived from,
and, for every task whose model is trained on the profile, the model's test metric and whether it
passes. Reads only the saved run records: nothing is trained or loaded.

Options:
  --profile P     smoke | cpu | cpu-long | paper | paper-dry (default: MIA_PROFILE, else cpu)
  --task NAME     one task (default: every task with a gate or a reference)
  --model M       architecture of the runs to read (default: the profile's)
  --out DIR       where runs are saved (default MIA_MODELS_DIR, else data/models)
  --json          print JSON
Exit codes: 0 listed, 1 a damaged run record, 2 bad usage.`;

export async function runGates(argv: string[]): Promise<void> {
  const v = parseCommand(argv, { ...RUN_OPTIONS, task: { type: "string" } }, HELP);
  if (!v) return;
  const profile = profileOption(v.profile);
  let gates: readonly TaskGate[] = TASK_GATES;
  if (v.task !== undefined) {
    const g = gateFor(v.task);
    if (!g) throw new UsageError(`no gate or reference for task '${v.task}'. Tasks with one: ${TASK_GATES.map((t) => t.task).join(", ")}`);
    gates = [g];
  }
  const rows = gates.map((g) => {
    const rec = trainedRecord(g.task, { profile, model: v.model, out: v.out });
    const status = rec ? gateStatus(g.task, rec.result) : undefined;
    return { gate: g, trained: rec ? { file: rec.file, model: rec.key.model, trainSeconds: rec.result.trainSeconds, status: status && (({ gate: _g, ...s }) => s)(status) } : null };
  });
  if (v.json) {
    console.log(JSON.stringify({ profile: profile.name, tasks: rows }, null, 2));
    return;
  }
  for (const { gate: g, trained } of rows) {
    const bar = g.threshold === null ? "report only" : `${g.metric === "auc" ? "AUC" : "accuracy"} >= ${fmt(g.metric, g.threshold)}`;
    console.log(`${g.task}: gate ${bar} on ${g.testSet}`);
    console.log(`  why: ${g.reasoning}`);
    for (const r of g.references) console.log(`  reference: ${fmt(r.metric, r.value)} ${r.metric}, ${r.model} (${r.source}${r.note ? `; ${r.note}` : ""})`);
    console.log(trained ? `  ${profile.name} model: ${trained.status!.summary.replace(/; reference .*$/, "")}` : `  ${profile.name} model: not trained (mia train --task ${g.task} --profile ${profile.name})`);
  }
}
