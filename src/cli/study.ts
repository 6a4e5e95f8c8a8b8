/** `mia study`: the whole study on one task (your own data or a built-in task), with a report folder. */
import { LINF_ATTACKS, type LinfAttackName } from "../attacks";
import { runStudy } from "../runs";
import { DATA_SWITCHES_HELP, registeredTaskFrom, TASK_OPTIONS } from "./data";
import { parseCommand, profileOption, RUN_OPTIONS, startBackend, UsageError } from "./usage";

const HELP = `Usage: mia study --imagefolder DIR | --csv FILE | --npz FILE --name NAME [options]
       mia study --task NAME [options]

Runs the paper's whole study on one task: trains (or reuses) its classifier and reports it against
its gate, runs FGSM, BIM, PGD and CW-Linf over the profile's eps grids, measures saliency spread,
feature simplicity, the representation shift under PGD and the loss-landscape sharpness, fits the
detectors (KD, LID, DFeat, QFeat, BU, Mahalanobis) on the eps = 1/255 sets, and writes a report
folder: index.html (figures, tables, verdicts), summary.json, the tables as CSV / Markdown / LaTeX,
the figures as PNG / SVG, the attacked images (adversarial/<attack>-eps1/*.npy) and the features
and detector scores (detection/<attack>/*.npy). Claims that compare medical with natural images
need a comparator: the notebooks with TASKS=NAME,cifar10 (make run TASKS=...).

Options:
  --task NAME            a built-in task, or a custom task trained before with --name NAME
  --imagefolder DIR | --csv FILE | --npz FILE   your own data (see 'mia data --help'); with
  --name NAME            the name it is registered under (later commands find it by that name)
  --classes A,B          class names, in label order
  --profile P            smoke | cpu | cpu-long | paper (default: MIA_PROFILE, else cpu)
  --attacks A,B          a subset of ${LINF_ATTACKS.join(",")} (default all)
  --model M              architecture (default: the profile's)
  --out DIR              the report folder (default build/reports/<profile>/<name>/, or MIA_REPORTS_DIR)
${DATA_SWITCHES_HELP}
  --json                 print the summary as JSON on stdout (progress goes to stderr)
  -h, --help
Exit codes: 0 report written, 1 failed (missing data, a stage failed), 2 bad usage.`;

export async function runStudyCommand(argv: string[]): Promise<void> {
  const v = parseCommand(argv, { ...TASK_OPTIONS, ...RUN_OPTIONS, attacks: { type: "string" } }, HELP);
  if (!v) return;
  const task = registeredTaskFrom(v);
  const profile = profileOption(v.profile);
  const attacks = v.attacks === undefined ? [...LINF_ATTACKS] : v.attacks.split(",").map((a) => a.trim().toLowerCase()).filter(Boolean);
  const bad = attacks.filter((a) => !(LINF_ATTACKS as readonly string[]).includes(a));
  if (bad.length || attacks.length === 0) throw new UsageError(`--attacks: '${bad.join("', '") || v.attacks}' is not an attack; choose from ${LINF_ATTACKS.join(", ")}`);
  const log = (line: string) => console.error(line);
  await startBackend(profile, log);
  const s = await runStudy(task, { profile, attacks: attacks as LinfAttackName[], model: v.model, out: v.out, log });
  if (v.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(s.model.gate);
  for (const a of s.attacks) console.log(`  ${a.attack.toUpperCase().padEnd(4)} accuracy at 1/255 ${"value" in a.accuracyAt1 ? a.accuracyAt1.value.toFixed(3) : "—"}, ε½ ${"value" in a.epsAtHalf ? a.epsAtHalf.value.toFixed(2) : `— (${a.epsAtHalf.missing})`}`);
  for (const v2 of s.verdicts) console.log(`  claim ${v2.claim}: ${v2.verdict}`);
  console.log(`report: ${s.dir}/index.html (${s.files.length} files, ${s.seconds.toFixed(0)} s)`);
}
