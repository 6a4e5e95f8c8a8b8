/** `mia attack`: one attack at one budget on a trained model's test images; saves the adversarial set. */
import * as fs from "node:fs";
import * as path from "node:path";
import { createEngine, tf } from "../backend";
import { resolveProfile, type Profile } from "../config";
import type { TaskSpec } from "../data";
import { attackSetup, checkEps, collectAdversarial, linfAttack, LINF_ATTACKS, RESULTS_HINT, saveAdversarial, type LabelMode } from "../attacks";
import { experiment } from "../runs";
import { requireWritable } from "../config/io";
import { DATA_SWITCHES_HELP, int, positive, registeredTaskFrom, TASK_OPTIONS } from "./data";
import { parseCommand, RUN_OPTIONS, startBackend, statusLog, UsageError } from "./usage";

const HELP = `Usage: mia attack --task NAME --attack fgsm|bim|pgd|cw --eps E [--steps N] [--n N] [options]

Attacks the trained model of a task (train it first: mia train --task NAME) on n class-balanced
test images, prints clean and adversarial accuracy, the attack success rate on the images the
model got right, and the largest pixel change, and saves the adversarial set as NumPy files
(x_clean.npy, x_adv.npy, labels.npy, pred_clean.npy, pred_adv.npy, meta.json).

Options:
  --task NAME            a task with a trained model (cxr, dr, derm, cifar10, cxr3, derm-k, ..., or
                         a custom task trained with --name NAME)
  --imagefolder DIR | --csv FILE | --npz FILE  [--name NAME --classes A,B ...]
                         your own data, as 'mia train' takes it (see 'mia data --help')
  --attack A             fgsm | bim | pgd | cw (CW-Linf)
  --eps E                L-infinity budget in /255 pixel units (1 means 1/255), 0..255
  --steps N              iterations for bim / pgd / cw (default: the profile's, paper 20)
  --n N                  test images (default: the profile's attackImages)
  --labels true|predicted  labels the attack pushes away from (default true; the authors used
                         the model's predictions for fgsm/bim/pgd)
  --kappa K              CW confidence (default 50)
  --seed N               PGD's random start and the image choice (default 0)
  --profile P            smoke | cpu | cpu-long | paper | paper-dry (default: MIA_PROFILE, else cpu)
  --models DIR           where the trained models are (a train --out DIR; default MIA_MODELS_DIR, else data/models)
  --model M              (default: the profile's)
  --data DIR             the task's dataset folder
${DATA_SWITCHES_HELP}
  --out DIR              where to save (default MIA_RESULTS_DIR or data/results/<profile>/<task>/<model>/adv/<attack>-eps<E>)
  --json                 print the result as JSON on stdout
  -h, --help
Exit codes: 0 done, 1 failed (no trained model, missing data), 2 bad usage.`;

/** The options `mia attack` and `mia detect` share: the task or data, the attack and its eps, the run options, --models, --seed. */
export const TARGET_OPTIONS = { ...TASK_OPTIONS, ...RUN_OPTIONS, attack: { type: "string" }, eps: { type: "string" }, models: { type: "string" }, seed: { type: "string" } } as const;

/**
 * --task, --attack, --eps, --profile and --models as `mia attack` and `mia detect` both take them; any
 * invalid one is a usage error (exit 2) with the reason.
 */
export function attackTarget(v: Record<string, string | boolean | undefined> & { attack?: string; profile?: string; models?: string }, epsArg: string): { task: TaskSpec; attack: string; eps: number; profile: Profile } {
  if (!["task", "imagefolder", "csv", "npz"].some((k) => v[k] !== undefined)) throw new UsageError("--task is required (or your data: --imagefolder DIR | --csv FILE | --npz FILE with --name)");
  if (v.models !== undefined) {
    // --models DIR: the models root for this process, as MIA_MODELS_DIR would set it.
    if (!fs.existsSync(v.models) || !fs.statSync(v.models).isDirectory()) throw new UsageError(`--models ${v.models} is not a folder (give the --out DIR that train wrote to)`);
    process.env.MIA_MODELS_DIR = path.resolve(v.models);
  }
  if (!v.attack || !(LINF_ATTACKS as readonly string[]).includes(v.attack.toLowerCase())) throw new UsageError(`--attack must be one of ${LINF_ATTACKS.join(", ")}, got '${v.attack ?? ""}'`);
  // Number("") is 0: an empty --eps must not run as the clean images.
  if (epsArg.trim() === "" || !Number.isFinite(Number(epsArg))) throw new UsageError(`--eps must be a number in /255 pixel units (e.g. --eps 1), got '${epsArg}'`);
  try {
    return { task: registeredTaskFrom(v), attack: v.attack.toLowerCase(), eps: checkEps(Number(epsArg), "--eps"), profile: resolveProfile(v.profile) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function runAttack(argv: string[]): Promise<void> {
  const v = parseCommand(
    argv,
    {
      ...TARGET_OPTIONS,
      steps: { type: "string" },
      n: { type: "string" },
      labels: { type: "string" },
      kappa: { type: "string" },
    },
    HELP,
  );
  if (!v) return;
  if (v.eps === undefined) throw new UsageError("--eps is required (in /255 pixel units, e.g. --eps 1)");
  const { task, attack, eps, profile } = attackTarget(v, v.eps);
  const labelsMode = (v.labels ?? "true") as LabelMode;
  if (labelsMode !== "true" && labelsMode !== "predicted") throw new UsageError(`--labels must be true or predicted, got '${v.labels}'`);
  const steps = positive(v.steps, "--steps") ?? profile.attackSteps;
  const n = positive(v.n, "--n") ?? profile.attackImages;
  const seed = int(v.seed, "--seed") ?? 0;
  const kappa = v.kappa === undefined ? undefined : Number(v.kappa);
  if (kappa !== undefined && (v.kappa!.trim() === "" || !(kappa >= 0))) throw new UsageError(`--kappa must be a number >= 0 (CW's confidence margin), got '${v.kappa}'`);
  const log = statusLog(v.json);

  await startBackend(profile, log);
  const { model, key, data, chosen, x, y } = await attackSetup(task, { profile, model: v.model, n, seed, dir: v.data as string | undefined, allowMissing: v["allow-missing"] as boolean | undefined, strict: v.strict as boolean | undefined, quiet: v.json });
  const test = data.splits.test!;
  const target = await createEngine(model);
  try {
    const t0 = Date.now();
    const dir = v.out ?? experiment(task, profile, { model: key.model }).adversarialDir(attack, eps);
    requireWritable(dir, v.out ? "Choose another --out DIR." : RESULTS_HINT);
    const set = await collectAdversarial(target, linfAttack(attack, target, eps, { steps, seed, kappa }), x, y, { labels: labelsMode, ids: chosen.map((i) => test.ids[i]), meta: {} });
    const seconds = (Date.now() - t0) / 1000;
    const { labels: yt, predClean: pc, predAdv: pa } = set;
    let clean = 0;
    let robust = 0;
    let flipped = 0;
    let linf = 0;
    for (let i = 0; i < yt.length; i++) {
      if (pc[i] === yt[i]) {
        clean++;
        if (pa[i] !== yt[i]) flipped++;
      }
      if (pa[i] === yt[i]) robust++;
    }
    for (let p = 0; p < set.clean.length; p++) linf = Math.max(linf, Math.abs(set.adversarial[p] - set.clean[p]) * 255);
    const result = {
      task: task.name,
      profile: profile.name,
      model: key.model,
      attack,
      eps,
      steps: attack === "fgsm" ? 1 : steps,
      labels: labelsMode,
      n: chosen.length,
      cleanAccuracy: clean / chosen.length,
      adversarialAccuracy: robust / chosen.length,
      successRate: clean ? flipped / clean : NaN,
      maxLinf255: linf,
      seconds,
      imagesPerSec: chosen.length / seconds,
      saved: dir,
    };
    saveAdversarial(dir, { ...set, meta: { ...result, classNames: data.classNames } });
    if (v.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const pct = (a: number) => `${(100 * a).toFixed(1)}%`;
    console.log(`${task.name} / ${key.model}: ${result.attack.toUpperCase()} eps ${eps}/255 (${result.steps} step${result.steps > 1 ? "s" : ""}, ${labelsMode} labels) on ${result.n} test images`);
    console.log(`  accuracy ${pct(result.cleanAccuracy)} clean -> ${pct(result.adversarialAccuracy)} adversarial; success rate ${pct(result.successRate)} of the correctly classified`);
    console.log(`  largest pixel change ${linf.toFixed(3)}/255; ${seconds.toFixed(1)} s (${result.imagesPerSec.toFixed(1)} images/s)`);
    console.log(`  saved: ${dir}`);
  } finally {
    await target.close();
    tf.dispose([x, y]);
    model.dispose();
  }
}
