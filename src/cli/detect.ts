/** `mia detect`: one detector against one attack's eps = 1/255 set; AUC with its interval, scores as .npy. */
import * as path from "node:path";
import { requireWritable } from "../config/io";
import { checkDetector, DETECTOR_NAMES, saveDetectionFiles } from "../detect";
import { experiment } from "../runs";
import { DATA_SWITCHES_HELP, int, positive } from "./data";
import { attackTarget, TARGET_OPTIONS } from "./attack";
import { parseCommand, startBackend, statusLog, UsageError } from "./usage";

const HELP = `Usage: mia detect --task NAME --attack fgsm|bim|pgd|cw --detector D [--eps 1] [options]

Fits a detector on the deep features of the attack's saved adversarial set (run 'mia attack' or
notebook 03 first) with the paper's partition: correctly classified images split into AdvTrain /
AdvTest, the detector fitted on AdvTrain only and scored on AdvTest. Prints the ROC AUC (mean over
the splits) with a bootstrap 95% interval, and writes the deep features (features/*.npy beside
the set), the first split's AdvTest scores (scores.npy, is_adv.npy) and every averaged split's
AdvTrain / AdvTest row indices into features.npy (advtrain_<r>.npy, advtest_<r>.npy, int32) as
NumPy files, so an AUC can be recomputed on exactly the same split.

Options:
  --task NAME            a task with a trained model and a saved adversarial set (a custom task:
                         the --name it was trained with)
  --imagefolder DIR | --csv FILE | --npz FILE  [--name NAME ...]
                         your own data, as 'mia train' and 'mia attack' take it
  --attack A             fgsm | bim | pgd | cw
  --detector D           ${DETECTOR_NAMES.join(" | ")}
  --eps E                the saved set's budget in /255 units (default 1)
  --repeats N            seeded AdvTrain/AdvTest splits averaged (default: the profile's)
  --leaky                also report the AUC under the authors' leak (statistics fitted on the scored rows)
  --seed N               (default 0)
  --no-cache             fit again even when this set, detector and settings were measured before
                         (results are cached by their inputs, settings and code in MIA_CACHE_DIR, else data/cache)
  --profile P            smoke | cpu | cpu-long | paper | paper-dry (default: MIA_PROFILE, else cpu)
  --models DIR           where the trained models are (a train --out DIR; default MIA_MODELS_DIR, else data/models)
  --model M              (default: the profile's)
  --out DIR              where scores go (default: <the set>/detect/<detector>)
${DATA_SWITCHES_HELP}
  --json                 print the result as JSON on stdout
  -h, --help
Exit codes: 0 done, 1 failed (no model, no saved set, detector could not be fitted), 2 bad usage.`;

export async function runDetect(argv: string[]): Promise<void> {
  const v = parseCommand(
    argv,
    {
      ...TARGET_OPTIONS,
      detector: { type: "string" },
      repeats: { type: "string" },
      leaky: { type: "boolean" },
      "no-cache": { type: "boolean" },
    },
    HELP,
  );
  if (!v) return;
  const { task, attack, eps, profile } = attackTarget(v, v.eps ?? "1");
  if (!v.detector) throw new UsageError(`--detector is required: ${DETECTOR_NAMES.join(", ")}`);
  let detector;
  try {
    detector = checkDetector(v.detector);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const repeats = positive(v.repeats, "--repeats") ?? profile.detect.repeats;
  const seed = int(v.seed, "--seed") ?? 0;
  const log = statusLog(v.json);

  // A named output folder is checked before the features and detectors are computed.
  if (v.out) requireWritable(v.out, "Choose another --out DIR.");
  await startBackend(profile, log);
  const t0 = Date.now();
  const det = await experiment(task, profile, { model: v.model }).detect({ attacks: [attack], detectors: [detector], eps, repeats, leaky: v.leaky, seed, cache: !v["no-cache"] });
  const row = det.rows[0];
  if (row.error) throw new Error(`${detector} could not be fitted on ${task.name}/${attack}: ${row.error}`);
  const features = det.sets[attack].featuresDir;
  const out = v.out ?? path.join(path.dirname(features), "detect", detector);
  const hint = v.out ? "Choose another --out DIR." : "Free space or make the folder writable, or set MIA_RESULTS_DIR to another folder.";
  saveDetectionFiles(out, { scores: { "scores.npy": row.scores }, isAdv: row.isAdv, splits: det.sets[attack].splits, hint });
  const result = {
    task: task.name,
    profile: profile.name,
    model: det.model,
    attack,
    eps,
    detector,
    auc: row.auc,
    ci95: [row.lo, row.hi],
    aucs: row.aucs,
    leakyAuc: row.leakyAuc,
    trainRows: row.trainRows,
    testRows: row.testRows,
    seconds: (Date.now() - t0) / 1000,
    cached: row.cached === true,
    features,
    scores: out,
    splits: det.sets[attack].splits.map((_, r) => ({ advTrain: `advtrain_${r}.npy`, advTest: `advtest_${r}.npy` })),
  };
  if (v.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`${task.name} / ${det.model}: ${detector} against ${attack.toUpperCase()} at eps ${eps}/255`);
  console.log(`  AUC ${row.auc.toFixed(3)} [95% ${row.lo.toFixed(3)}, ${row.hi.toFixed(3)}] over ${repeats} split(s); ${row.trainRows} AdvTrain / ${row.testRows} AdvTest rows${row.cached ? " (cached: --no-cache fits again)" : ""}${row.leakyAuc === undefined ? "" : `; with the authors' leak ${row.leakyAuc.toFixed(3)}`}`);
  console.log(`  features: ${result.features}\n  scores:   ${out}`);
}
