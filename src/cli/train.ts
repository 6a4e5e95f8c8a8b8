/** `mia train`: train (or reuse, or resume) a task's classifier and report its test metrics. */
import { architecture } from "../models/registry";
import { gateStatus } from "../gates";
import { pretrainedEntry, train, type TrainOptions } from "../train";
import { DATA_SWITCHES_HELP, int, positive, registeredTaskFrom, TASK_OPTIONS } from "./data";
import { parseCommand, profileOption, RUN_OPTIONS, startBackend, statusLog, UsageError } from "./usage";

const HELP = `Usage: mia train --task NAME [--profile P] [--data DIR] [--model M] [--epochs N] [--out DIR] [options]
       mia train --imagefolder DIR | --csv FILE | --npz FILE  [same options]   (your own data; see 'mia data --help')

Trains the task's classifier on the train split, keeps the epoch with the best validation score,
and reports accuracy, ROC AUC and the confusion matrix on the test split beside the
majority-class baseline, and the model's quality gate (its test metric beside the published
reference; 'mia gates' lists them all). The run is saved under --out (default MIA_MODELS_DIR, else data/models)
as <profile>/<task>/<model>/model.json; a finished run with the same settings is reused, an
interrupted one resumes after its last epoch.

Options:
  --task NAME            cxr, cxr3, dr, dr5, derm, derm-2..7, cifar10, cifar2, retinamnist
  --profile P            smoke | cpu | cpu-long | paper | paper-dry (default: MIA_PROFILE, else cpu): sizes, epochs, model
  --data DIR             the task's dataset folder or a data root holding it
  --model M              resnet20-s2, resnet20, resnet18, resnet50, resnet<6n+2>[-w<W>][-s<S>],
                         cnn-w<W>-d<D>, ... (default: the profile's)
  --epochs N             (default: the profile's)
  --size N               input side in pixels (default: the profile's; CIFAR-10's native side is 32)
  --batch N              batch size (default: the profile's)
  --optimizer adam|sgd   (default adam)
  --lr X                 learning rate (default 0.001; cosine decay with a short warm-up)
  --no-augment           no flips / rotations / shifts / zoom
  --class-weights balanced|none   (default balanced)
  --monitor auc|loss|accuracy     validation metric that picks the kept epoch (default auc)
  --patience N           stop after N epochs without improvement (0 = never); constant schedules
                         only (--pretrained's fine-tuning): a cosine schedule runs all its epochs
                         and keeps the best validation epoch
  --seed N               (default 0)
  --pretrained imagenet  fine-tune Keras' ImageNet ResNet-50 (mia weights --fetch resnet50-imagenet)
                         with the paper's recipe (SGD momentum 0.9, lr 1e-4, batch 32) unless
                         --optimizer/--lr/--batch say otherwise; caffe preprocessing in the model
  --workers N            wasm worker threads (default: MIA_WORKERS, else one per core)
  --out DIR              where runs are saved
  --force                retrain even if a finished run exists
${DATA_SWITCHES_HELP}
  --json                 print the result as JSON on stdout (progress goes to stderr)
  -h, --help
Exit codes: 0 trained or reused, 1 failed (missing data, damaged checkpoint, ...), 2 bad usage.`;

export async function runTrain(argv: string[]): Promise<void> {
  const v = parseCommand(
    argv,
    {
      ...TASK_OPTIONS,
      ...RUN_OPTIONS,
      epochs: { type: "string" },
      size: { type: "string" },
      batch: { type: "string" },
      optimizer: { type: "string" },
      lr: { type: "string" },
      "no-augment": { type: "boolean" },
      "class-weights": { type: "string" },
      monitor: { type: "string" },
      patience: { type: "string" },
      seed: { type: "string" },
      pretrained: { type: "string" },
      workers: { type: "string" },
      force: { type: "boolean" },
    },
    HELP,
  );
  if (!v) return;
  const task = registeredTaskFrom(v);
  const size = positive(v.size, "--size", 8);
  // Another input side is another run (the run record keeps imageSize; a saved run at another
  // side is refused, not reused).
  const profile = size === undefined ? profileOption(v.profile) : { ...profileOption(v.profile), imageSize: size };
  const lr = v.lr === undefined ? undefined : Number(v.lr);
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be a positive number, got '${v.lr}'`);
  if (v.optimizer !== undefined && v.optimizer !== "adam" && v.optimizer !== "sgd") throw new UsageError(`--optimizer must be adam or sgd, got '${v.optimizer}'`);
  if (v["class-weights"] !== undefined && !["balanced", "none"].includes(v["class-weights"])) throw new UsageError(`--class-weights must be balanced or none`);
  if (v.monitor !== undefined && !["auc", "loss", "accuracy"].includes(v.monitor)) throw new UsageError(`--monitor must be auc, loss or accuracy`);
  const log = statusLog(v.json);
  await startBackend(profile, log);
  const options: TrainOptions = {
    profile,
    dir: v.data,
    allowMissing: v["allow-missing"],
    strict: v.strict,
    model: v.model,
    epochs: positive(v.epochs, "--epochs"),
    batchSize: positive(v.batch, "--batch", 2),
    optimizer: { ...(v.optimizer ? { kind: v.optimizer as "adam" | "sgd" } : {}), ...(lr !== undefined ? { lr } : {}) },
    augment: v["no-augment"] ? false : undefined,
    classWeights: v["class-weights"] as "balanced" | "none" | undefined,
    monitor: v.monitor as "auc" | "loss" | "accuracy" | undefined,
    patience: positive(v.patience, "--patience", 0),
    seed: int(v.seed, "--seed"),
    pretrained: v.pretrained,
    workers: positive(v.workers, "--workers"),
    out: v.out,
    force: v.force,
    log,
  };
  if (v.pretrained !== undefined) {
    try {
      pretrainedEntry(v.pretrained, v.model);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (options.model !== undefined) {
    // Unknown architectures are usage errors, found before any data is read.
    try {
      architecture(options.model);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const r = await train(task, options);
  const summary = {
    task: task.name,
    profile: profile.name,
    model: r.key.model,
    imageSize: r.key.imageSize,
    runDir: r.runDir,
    reused: r.reused,
    engine: r.engine,
    trainImages: r.trainCount,
    epochs: r.history.length,
    bestEpoch: r.bestEpoch,
    stoppedEarly: r.stoppedEarly,
    trainSeconds: r.trainSeconds,
    imagesPerSec: r.imagesPerSec,
    classNames: r.classNames,
    val: { accuracy: r.val.accuracy, auc: r.val.auc, loss: r.val.loss },
    test: { n: r.test.n, accuracy: r.test.accuracy, auc: r.test.auc, loss: r.test.loss, majorityAccuracy: r.test.majority.accuracy, confusion: r.test.confusion, perClass: r.test.perClass },
    history: r.history,
    testAvailable: r.testAvailable,
    gate: (({ gate: _g, ...g }) => g)(gateStatus(task.name, r)),
  };
  r.model.dispose();
  if (v.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`\n${task.name} (${profile.name}, ${r.key.model}): ${r.reused ? "reused the saved run" : `trained ${r.history.length} epochs in ${r.trainSeconds.toFixed(0)} s (${r.imagesPerSec.toFixed(1)} images/s, ${r.engine})`}`);
  console.log(`  test: accuracy ${pct(r.test.accuracy)} (majority class ${pct(r.test.majority.accuracy)}), AUC ${r.test.auc.toFixed(3)}, n = ${r.test.n}; best epoch ${r.bestEpoch}`);
  const w = Math.max(10, ...r.classNames.map((c) => c.length));
  console.log(`  confusion (rows true, columns predicted):\n  ${"".padEnd(w)} ${r.classNames.map((c) => c.slice(0, 8).padStart(9)).join("")}`);
  r.test.confusion.forEach((row, i) => console.log(`  ${r.classNames[i].padEnd(w)} ${row.map((n) => String(n).padStart(9)).join("")}`));
  console.log(`  gate: ${summary.gate.summary}`);
  console.log(`  saved: ${r.runDir}`);
}
