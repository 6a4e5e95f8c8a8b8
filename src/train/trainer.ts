/**
 * Training a task's classifier, resumably. One run directory per (profile, task, model):
 *   <models root>/<profile>/<task>/<model>/
 *     model.json + model.<hash>.bin   the finished model (best validation epoch) and its metrics
 *     last.json  + last.<hash>.bin    the latest epoch's weights and optimizer state (resume)
 *     best.json  + best.<hash>.bin    the best epoch so far (early stopping)
 * A finished run with the same settings is loaded instead of retrained; an interrupted one
 * resumes after its last saved epoch. Shuffling and augmentation are seeded per epoch, so a
 * resumed run sees the batches an uninterrupted one would.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import { requireWritable, resolveProfile, type Profile, type ProfileName } from "../config";
import { loadTask, requireEveryClass, type SplitData, type TaskData } from "../data/load";
import { shuffled } from "../data/split";
import type { TaskSpec } from "../data/tasks";
import { baseModelName, buildModel } from "../models/registry";
import { pretrainedModel, requireWeights, WEIGHTS, weightsEntry, type WeightsEntry } from "../weights";
import { progress as makeProgress } from "../ui/progress";
import { augmentBatch, CROP_FLIP_AUGMENT, PAPER_AUGMENT, type AugmentConfig } from "./augment";
import { loadModelFile, optimizerState, restoreOptimizer, saveModelFile } from "./checkpoint";
import { createEngine, type Engine } from "../backend/engine";
import { evaluateLogits, type Evaluation } from "./metrics";
import { stepMemory } from "./memory";
import { addWeightDecay, DEFAULT_OPTIMIZER, learningRateAt, makeOptimizer, setLearningRate, validateOptimizer, type OptimizerConfig } from "./optimizer";
import type { WasmPool } from "../backend/parallel";
import { modelsRoot, runFolder } from "../config/paths";
import { checkWhole } from "../config/check";

export type Monitor = "auc" | "loss" | "accuracy";

export interface TrainOptions {
  /** Run profile (sizes, epochs, batch, default model). Default: MIA_PROFILE, else cpu. */
  readonly profile?: Profile | ProfileName;
  /** Already loaded data (else the task is loaded with the profile's sizes). */
  readonly data?: TaskData;
  /** Dataset folder with the task's layout (a user's own copy). */
  readonly dir?: string;
  /** Leave out CSV rows without images or labels (else an error naming them). */
  readonly allowMissing?: boolean;
  /** Fail on the first unreadable image instead of skipping it. */
  readonly strict?: boolean;
  readonly model?: string;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly optimizer?: Partial<OptimizerConfig>;
  /** Augmentation (default: the paper's); false for none. */
  readonly augment?: AugmentConfig | false;
  /** "balanced": each class weighs the same in the loss (default); "none": plain mean. */
  readonly classWeights?: "balanced" | "none";
  /** Validation metric for early stopping and for choosing the kept epoch (default auc). */
  readonly monitor?: Monitor;
  /** Stop after this many epochs without improvement (default: the profile's; 0 = never stop early). */
  readonly patience?: number;
  readonly seed?: number;
  /** Root of the run directories (default MIA_MODELS_DIR, else data/models). */
  readonly out?: string;
  /** Retrain even when a finished run with the same settings exists. */
  readonly force?: boolean;
  readonly workers?: number;
  readonly pool?: WasmPool;
  readonly quiet?: boolean;
  /** Where status lines go (default console.log; the CLI's --json sends them to stderr). */
  readonly log?: (line: string) => void;
  /** Start from pretrained weights: "imagenet" (Keras Applications' ResNet-50, the paper's
   *  start) or a weights id of src/weights. The model defaults to the weights' architecture, the
   *  weights' preprocessing goes inside the model, and the recipe defaults to the paper's
   *  fine-tuning (SGD momentum 0.9, lr 1e-4, batch 32). */
  readonly pretrained?: string;
  /** Called after every epoch (e.g. a live learning-curve plot). */
  /** After each epoch is saved; `model` is the network being trained (to inspect, e.g. plot its filters). */
  readonly onEpoch?: (record: EpochRecord, history: readonly EpochRecord[], model: tf.LayersModel) => void | Promise<void>;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly valAuc: number;
  readonly seconds: number;
  readonly imagesPerSec: number;
}

/** Everything that decides what a run computes; a saved run is reused only when it matches. */
export interface RunKey {
  readonly task: string;
  readonly profile: string;
  readonly model: string;
  /** Preprocessing layer of the model (the task's). */
  readonly preprocess: string;
  /** Pretrained weights the run started from ("none" from scratch). */
  readonly pretrained: string;
  readonly imageSize: number;
  readonly channels: number;
  readonly classNames: readonly string[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerConfig;
  readonly augment: AugmentConfig | false;
  readonly classWeights: "balanced" | "none";
  readonly monitor: Monitor;
  readonly patience: number;
  readonly seed: number;
  /** Hash of the train and validation image lists. */
  readonly data: string;
}

export interface TrainResult {
  readonly model: tf.LayersModel;
  readonly key: RunKey;
  readonly runDir: string;
  /** True when a finished run was loaded instead of trained. */
  readonly reused: boolean;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly val: Evaluation;
  readonly test: Evaluation;
  readonly trainSeconds: number;
  readonly imagesPerSec: number;
  readonly engine: string;
  readonly classNames: readonly string[];
  readonly trainCount: number;
  /** Images in the task's whole test split, before any per-class cap: \`test.n\` below it means
   *  the test metrics come from a subset (gates.gateStatus then refuses to judge them). */
  readonly testAvailable: number;
  /** Hash of the test split's image ids (runs saved since 2026-12-03): attacks check they read the same split. */
  readonly testData?: string;
}

export { modelsRoot };

export function runDirectory(root: string, key: Pick<RunKey, "profile" | "task" | "model">): string {
  return runFolder(root, key.profile, key.task, key.model);
}

/** Hash of a split's image ids, in order. */
function idsHash(split: string, ids: readonly string[]): string {
  const h = createHash("sha256");
  for (const id of ids) h.update(`${split}:${id}\n`);
  return h.digest("hex").slice(0, 16);
}

/**
 * Refuses a test split other than the one the model was scored on (the dataset changed, --data
 * points elsewhere, or other per-class limits): its images might include the model's training
 * images, and its metrics would not be the model's. Runs saved before the record are not checked.
 */
export function requireSameTestSplit(record: Pick<TrainResult, "testData" | "test">, test: SplitData, where: { task: string; profile: string; runDir?: string }): void {
  if (record.testData === undefined || record.testData === idsHash("test", test.ids)) return;
  throw new Error(
    `The test split of '${where.task}' read now (${test.n} images) is not the one its model was scored on (${record.test.n} images)${where.runDir ? ` in ${where.runDir}` : ""}: ` +
      `the dataset changed, --data points at another copy, the split was drawn with another seed, or the profile's per-class limits differ. Its images could overlap what the model was trained on. ` +
      `Retrain on this data: npm run mia -- train --task ${where.task} --profile ${where.profile} --force (or restore the data the model was trained on).`,
  );
}

function dataHash(data: TaskData): string {
  const h = createHash("sha256");
  for (const s of ["train", "val"] as const) for (const id of data.splits[s]?.ids ?? []) h.update(`${s}:${id}\n`);
  return h.digest("hex").slice(0, 16);
}

/** Settings added after runs were saved: a run saved without one used this value. */
const KEY_DEFAULTS: Partial<Record<keyof RunKey, unknown>> = { preprocess: "none", pretrained: "none" };

/** The paper's fine-tuning recipe (PAPER.md): SGD, momentum 0.9, lr 1e-4, batch 32. */
export const PAPER_FINETUNE: Readonly<{ optimizer: OptimizerConfig; batchSize: number }> = Object.freeze({ optimizer: { kind: "sgd" as const, lr: 1e-4, momentum: 0.9, schedule: "constant" as const, warmup: 0 }, batchSize: 32 });

/** The weights entry named by TrainOptions.pretrained ("imagenet" = the ImageNet weights of `model`, default resnet50). */
export function pretrainedEntry(pretrained: string | undefined, model: string | undefined): WeightsEntry | undefined {
  if (pretrained === undefined || pretrained === "none") return undefined;
  if (pretrained === "imagenet") {
    const arch = model === undefined ? "resnet50" : baseModelName(model);
    const e = WEIGHTS.find((w) => w.arch === arch && w.id.endsWith("-imagenet"));
    if (!e) throw new Error(`No ImageNet weights for '${arch}': pretrained "imagenet" needs one of ${WEIGHTS.map((w) => w.arch).join(", ")}.`);
    return e;
  }
  const e = weightsEntry(pretrained);
  if (model !== undefined && baseModelName(model) !== e.arch) throw new Error(`The ${e.id} weights are for ${e.arch}, not ${model}.`);
  return e;
}

/** The fields where a key (`a`, now) differs from a saved one (`b`), for error messages. */
export function keyDiff(a: RunKey, b: RunKey): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof RunKey>;
  const saved = (k: keyof RunKey) => (b[k] === undefined ? KEY_DEFAULTS[k] : b[k]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(saved(k))).map((k) => `${k}: saved ${JSON.stringify(saved(k))}, now ${JSON.stringify(a[k])}`);
}

/** Per-example loss weights: N / (K * N_class) for "balanced", so they average 1. */
export function classWeightsFor(labels: Int32Array, classes: number, kind: "balanced" | "none"): Float32Array {
  const w = new Float32Array(classes).fill(1);
  if (kind === "none") return w;
  const counts = new Array<number>(classes).fill(0);
  for (const y of labels) counts[y]++;
  for (let c = 0; c < classes; c++) w[c] = counts[c] > 0 ? labels.length / (classes * counts[c]) : 0;
  return w;
}

const better = (monitor: Monitor, a: EpochRecord, b: EpochRecord | undefined): boolean => {
  if (b === undefined) return true;
  if (monitor === "loss") return a.valLoss < b.valLoss;
  const [x, y] = monitor === "auc" ? [a.valAuc, b.valAuc] : [a.valAccuracy, b.valAccuracy];
  if (Number.isNaN(y)) return true;
  return x > y || (x === y && a.valLoss < b.valLoss);
};

/** Logits of a whole split, in inference mode, in chunks. */
export async function predictSplit(engine: Engine, split: SplitData, chunk = 256): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (let i = 0; i < split.n; i += chunk) {
    const idx = Array.from({ length: Math.min(chunk, split.n - i) }, (_, k) => i + k);
    const { x, y } = split.toTensors(idx);
    y.dispose();
    const [out] = await engine.predict(x);
    x.dispose();
    parts.push(out.data);
  }
  const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

function validate(o: { epochs: number; batchSize: number; patience: number; monitor: string; classWeights: string }): void {
  checkWhole(o.epochs, "epochs", 1);
  checkWhole(o.batchSize, "batchSize", 2);
  checkWhole(o.patience, "patience", 0);
  if (!["auc", "loss", "accuracy"].includes(o.monitor)) throw new Error(`monitor must be auc, loss or accuracy, got '${o.monitor}'`);
  if (!["balanced", "none"].includes(o.classWeights)) throw new Error(`classWeights must be balanced or none, got '${o.classWeights}'`);
}

/**
 * What a training run of `task` uses: explicit options win over the task's recipe in the profile
 * (profile.recipeFor), which wins over the profile's defaults. Validated.
 */
export function trainSettings(taskName: string, profile: Profile, options: TrainOptions = {}) {
  const recipe = profile.recipeFor?.[taskName] ?? {};
  const weights = pretrainedEntry(options.pretrained, options.model);
  // Fine-tuning pretrained weights starts from the paper's recipe instead of the task's.
  const base = weights ? { optimizer: PAPER_FINETUNE.optimizer, batchSize: PAPER_FINETUNE.batchSize } : { optimizer: { ...DEFAULT_OPTIMIZER, ...recipe.optimizer }, batchSize: recipe.batchSize ?? profile.batchSize };
  const optimizer = { ...base.optimizer, ...options.optimizer } as OptimizerConfig;
  const settings = {
    modelName: options.model ?? weights?.arch ?? profile.model,
    weights,
    epochs: options.epochs ?? recipe.epochs ?? profile.epochs,
    batchSize: options.batchSize ?? base.batchSize,
    optimizer,
    monitor: options.monitor ?? recipe.monitor ?? ("auc" as Monitor),
    patience: patienceFor(optimizer, options.patience ?? recipe.patience, profile.patience),
    classWeights: options.classWeights ?? ("balanced" as const),
    augment: options.augment === undefined ? (recipe.augment === "crop-flip" ? CROP_FLIP_AUGMENT : PAPER_AUGMENT) : options.augment,
    seed: options.seed ?? 0,
  };
  validate(settings);
  validateOptimizer(settings.optimizer);
  return settings;
}

/**
 * Early stopping belongs to constant-rate schedules. A cosine schedule is a plan of fixed length
 * whose low-rate epochs at the end are what it exists for; stopping it after a few epochs without
 * a better validation score cuts it off at a high rate (the cpu profile's patience 5 stopped cxr3
 * at epoch 10 of 20, derm's seeds 1 and 2 at 11). So a cosine schedule runs all its epochs and the
 * best validation epoch is kept: the profile's patience applies to constant schedules only, and an
 * explicit patience on a cosine schedule is refused.
 */
export function patienceFor(optimizer: OptimizerConfig, explicit: number | undefined, profileDefault: number): number {
  if (explicit !== undefined) checkWhole(explicit, "patience", 0);
  const cosine = (optimizer.schedule ?? "cosine") === "cosine";
  if (!cosine) return explicit ?? profileDefault;
  if (explicit !== undefined && explicit !== 0)
    throw new Error(
      `patience ${explicit} would stop a cosine schedule before its low-rate epochs: a cosine schedule runs all its epochs and keeps the best validation epoch. ` +
        `Use patience 0 (CLI --patience 0, or leave it out), fewer epochs (--epochs N) for a shorter run, or a constant schedule (optimizer.schedule "constant") to stop early.`,
    );
  return 0;
}

/**
 * Trains (or loads, or resumes) the classifier of `task`. Progress shows in place in a
 * notebook, as a bar in a terminal, as lines in a log.
 */
export async function train(task: string | TaskSpec, options: TrainOptions = {}): Promise<TrainResult> {
  const profile = typeof options.profile === "object" ? options.profile : resolveProfile(options.profile);
  const taskName = typeof task === "string" ? task : task.name;
  const { modelName, weights, epochs, batchSize, optimizer, monitor, patience, classWeights, augment, seed } = trainSettings(taskName, profile, options);
  // Missing weights are found before any data is read.
  if (weights) requireWeights(weights);
  const log = (s: string) => options.quiet || (options.log ?? console.log)(s);

  const trainCap = profile.trainPerClassFor?.[taskName];
  const data = options.data ?? (await loadTask(task, { profile, dir: options.dir, allowMissing: options.allowMissing, strict: options.strict, seed, quiet: options.quiet, ...(trainCap !== undefined ? { perClass: { train: trainCap } } : {}) }));
  const trainSplit = data.splits.train;
  const valSplit = data.splits.val;
  const testSplit = data.splits.test;
  if (!trainSplit || !valSplit || !testSplit) throw new Error(`train: the data of '${taskName}' must include the train, val and test splits`);
  requireEveryClass(data);
  const classes = data.classNames.length;
  const key: RunKey = {
    task: taskName,
    profile: profile.name,
    model: modelName,
    preprocess: weights ? weights.preprocess : (data.task.preprocess ?? "none"),
    pretrained: weights?.id ?? "none",
    imageSize: data.size,
    channels: data.channels,
    classNames: data.classNames,
    epochs,
    batchSize,
    optimizer,
    augment,
    classWeights,
    monitor,
    patience,
    seed,
    data: dataHash(data),
  };
  const runDir = runDirectory(options.out ?? modelsRoot(), key);
  const finalPath = path.join(runDir, "model.json");
  const lastPath = path.join(runDir, "last.json");
  const bestPath = path.join(runDir, "best.json");
  const mismatch = (file: string, saved: RunKey) =>
    new Error(`The run saved in ${path.dirname(file)} used other settings:\n  ${keyDiff(key, saved).join("\n  ")}\nThe saved model is kept. Retrain over it with force: true (CLI: npm run mia -- train --task ${taskName} --profile ${profile.name} --force; after a profile change that is what make run needs), or write elsewhere with out: DIR (--out DIR).`);

  if (options.force) {
    // Start over, but keep the finished model until the new one replaces it (a crash loses nothing).
    for (const f of ["last", "best"]) fs.rmSync(path.join(runDir, `${f}.json`), { force: true });
  } else if (fs.existsSync(finalPath)) {
    const saved = await loadModelFile(finalPath);
    const mia = saved.mia as { key: RunKey; result: Omit<TrainResult, "model" | "runDir" | "reused" | "key"> } | undefined;
    if (!mia?.key) throw new Error(`${finalPath} holds a model without this project's run record (not trained by train()). Load it with loadModelFile(), or retrain over it with force: true.`);
    if (keyDiff(key, mia.key).length > 0) {
      saved.model.dispose();
      throw mismatch(finalPath, mia.key);
    }
    log(`[train] ${taskName}: using the trained model in ${runDir} (trained ${mia.result.history.length} epochs, test accuracy ${(100 * mia.result.test.accuracy).toFixed(1)}%). Retrain with force: true.`);
    // Runs saved before gates existed did not record the size of the whole test split.
    return { ...mia.result, testAvailable: mia.result.testAvailable ?? data.available.test.reduce((a, b) => a + b, 0), model: saved.model, key, runDir, reused: true };
  }

  // Before any epoch is computed: a folder that cannot take the checkpoints is found now.
  requireWritable(runDir, "Make it writable, or save elsewhere: train(..., { out: DIR }) / mia train --out DIR, or set MIA_MODELS_DIR.");
  // A fresh model, or the interrupted run's last epoch.
  let model: tf.LayersModel;
  let history: EpochRecord[] = [];
  let best: EpochRecord | undefined;
  let trainSecondsBefore = 0;
  const opt = makeOptimizer(optimizer);
  if (fs.existsSync(lastPath)) {
    const last = await loadModelFile(lastPath);
    const mia = last.mia as { key: RunKey; history: EpochRecord[]; best?: EpochRecord; trainSeconds: number };
    if (!mia?.key || keyDiff(key, mia.key).length > 0) {
      last.model.dispose();
      throw mismatch(lastPath, mia?.key ?? ({} as RunKey));
    }
    model = last.model;
    await restoreOptimizer(opt, last.extraArrays);
    history = mia.history;
    best = mia.best;
    trainSecondsBefore = mia.trainSeconds;
    log(`[train] ${taskName}: resuming ${runDir} after epoch ${history.length}/${epochs}`);
  } else {
    if (weights) {
      if ((data.task.preprocess ?? "none") !== "none") throw new Error(`train ${taskName}: the task puts '${data.task.preprocess}' preprocessing in its model, but the ${weights.id} weights expect their own (${weights.preprocess}); train it from scratch.`);
      const p = pretrainedModel(weights, [data.size, data.size, data.channels], classes, seed);
      model = p.model;
      log(`[train] ${taskName}: ${weights.id} weights from ${p.file}: ${p.report.loaded.length} layers (${p.report.values.toLocaleString("en")} values); new: ${p.report.notInFile.join(", ") || "none"}; ${weights.preprocess} preprocessing inside the model`);
    } else {
      model = buildModel(modelName, [data.size, data.size, data.channels], classes, seed, { preprocess: data.task.preprocess });
    }
  }

  const engine = await createEngine(model, { workers: options.workers, pool: options.pool });
  // The batch a step really takes: a batch larger than the training set is the whole set.
  const memory = stepMemory(model, Math.min(batchSize, trainSplit.n), { shards: engine.shards, wasm: tf.getBackend() === "wasm" });
  if (memory.problem) {
    await engine.close();
    model.dispose();
    opt.dispose();
    throw new Error(
      `train ${taskName} (${modelName} at ${data.size}x${data.size}x${data.channels}): ${memory.problem}. The largest batch that fits is about ${memory.largestBatch}: use batchSize ${memory.largestBatch} or less (CLI --batch ${memory.largestBatch})` +
        `${tf.getBackend() === "wasm" ? ", or more workers (--workers / MIA_WORKERS) to split the batch further" : ""}. Nothing was trained or written.`,
    );
  }
  const weightsPerClass = classWeightsFor(trainSplit.labels, classes, classWeights);
  const stepsPerEpoch = Math.max(1, Math.floor(trainSplit.n / batchSize) + (trainSplit.n % batchSize >= batchSize / 2 ? 1 : 0));
  const totalSteps = epochs * stepsPerEpoch;
  const sinceBest = () => (best ? history.length - best.epoch : 0);
  let stoppedEarly = history.length < epochs && patience > 0 && sinceBest() >= patience;
  try {
    log(`[train] ${taskName}: ${modelName} on ${trainSplit.n} images (${data.size}x${data.size}x${data.channels}, ${classes} classes), ${epochs} epochs of ${stepsPerEpoch} steps, batch ${batchSize}, ${optimizer.kind} lr ${optimizer.lr}, ${engine.description}`);
    const bar = options.quiet ? undefined : makeProgress(totalSteps, `train ${taskName}`);
    for (let epoch = history.length; epoch < epochs && !stoppedEarly; epoch++) {
      const t0 = Date.now();
      const order = shuffled(Array.from({ length: trainSplit.n }, (_, i) => i), seed * 100_003 + epoch);
      const batches: number[][] = [];
      for (let s = 0; s < stepsPerEpoch; s++) batches.push(order.slice(s * batchSize, s === stepsPerEpoch - 1 ? order.length : (s + 1) * batchSize));
      const makeBatch = (s: number) => {
        const { x, y } = trainSplit.toTensors(batches[s]);
        const xa = augment ? augmentBatch(x, augment, (seed * 7_919 + epoch) * 10_007 + s) : x;
        if (xa !== x) x.dispose();
        const w = Float32Array.from(batches[s], (i) => weightsPerClass[trainSplit.labels[i]]);
        return { x: xa, y, w };
      };
      let lossSum = 0;
      let next = makeBatch(0);
      for (let s = 0; s < stepsPerEpoch; s++) {
        const step = epoch * stepsPerEpoch + s;
        const lr = learningRateAt(optimizer, step, totalSteps);
        setLearningRate(opt, lr);
        const cur = next;
        // The workers start on this batch while the main thread prepares the next one.
        const pending = engine.trainGradients(cur.x, cur.y, cur.w, step);
        if (s + 1 < stepsPerEpoch) next = makeBatch(s + 1);
        const { grads, loss } = await pending;
        if (!Number.isFinite(loss)) {
          const kept = history.length > 0 ? `the last good epoch (${history.length}) is kept in ${lastPath}${best ? `, the best (${best.epoch}) in ${bestPath}` : ""}` : "no epoch had finished, nothing was saved";
          throw new Error(`train ${taskName}: the loss became ${loss} at epoch ${epoch + 1}, step ${s + 1}; training stopped and ${kept}. Lower the learning rate (optimizer: { lr } / --lr) and retrain with force: true / --force.`);
        }
        tf.dispose([cur.x, cur.y]);
        addWeightDecay(grads, model.trainableWeights, optimizer.weightDecay ?? 0);
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
        await engine.sync();
        lossSum += loss;
        const prev = history[history.length - 1];
        bar?.update(step + 1, `epoch ${epoch + 1}/${epochs}, loss ${(lossSum / (s + 1)).toFixed(3)}${prev ? `, last val acc ${prev.valAccuracy.toFixed(3)} auc ${prev.valAuc.toFixed(3)}` : ""}`);
      }
      const trainTime = (Date.now() - t0) / 1000;
      const val = evaluateLogits(await predictSplit(engine, valSplit), valSplit.labels, data.classNames, trainSplit.labels);
      const record: EpochRecord = {
        epoch: epoch + 1,
        lr: learningRateAt(optimizer, (epoch + 1) * stepsPerEpoch - 1, totalSteps),
        trainLoss: lossSum / stepsPerEpoch,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        valAuc: val.auc,
        seconds: (Date.now() - t0) / 1000,
        imagesPerSec: trainSplit.n / trainTime,
      };
      history.push(record);
      if (better(monitor, record, best)) {
        best = record;
        await saveModelFile(model, runDir, "best", { mia: { key, epoch: record.epoch } });
      }
      trainSecondsBefore += record.seconds;
      stoppedEarly = patience > 0 && sinceBest() >= patience && epoch + 1 < epochs;
      await saveModelFile(model, runDir, "last", { mia: { key, history, best, trainSeconds: trainSecondsBefore }, extraArrays: await optimizerState(opt) });
      if (options.quiet !== true && !bar) log(`[train] epoch ${record.epoch}: loss ${record.trainLoss.toFixed(3)}, val acc ${record.valAccuracy.toFixed(3)}, auc ${record.valAuc.toFixed(3)}`);
      await options.onEpoch?.(record, history, model);
    }
    bar?.finish(`${history.length} epochs${stoppedEarly ? " (stopped early)" : ""}, best epoch ${best?.epoch} (val ${monitor} ${best ? monitorValue(monitor, best).toFixed(3) : "n/a"})`);

    // Keep the best validation epoch.
    const bestSaved = await loadModelFile(bestPath);
    model.setWeights(bestSaved.model.getWeights());
    bestSaved.model.dispose();
    await engine.sync();
    const val = evaluateLogits(await predictSplit(engine, valSplit), valSplit.labels, data.classNames, trainSplit.labels);
    const test = evaluateLogits(await predictSplit(engine, testSplit), testSplit.labels, data.classNames, trainSplit.labels);
    const trainSeconds = trainSecondsBefore;
    // Training throughput (validation passes excluded), over every epoch of the run.
    const imagesPerSec = (history.length * trainSplit.n) / history.reduce((s, r) => s + trainSplit.n / r.imagesPerSec, 0);
    const result = {
      history,
      bestEpoch: best!.epoch,
      stoppedEarly,
      val,
      test,
      trainSeconds,
      imagesPerSec,
      engine: engine.description,
      classNames: data.classNames,
      trainCount: trainSplit.n,
      testAvailable: data.available.test.reduce((a, b) => a + b, 0),
      testData: idsHash("test", testSplit.ids),
    };
    await saveModelFile(model, runDir, "model", { mia: { key, result, savedAt: new Date().toISOString() } });
    for (const f of ["last", "best"]) {
      fs.rmSync(path.join(runDir, `${f}.json`), { force: true });
      for (const b of fs.readdirSync(runDir)) if (b.startsWith(`${f}.`) && b.endsWith(".bin")) fs.rmSync(path.join(runDir, b), { force: true });
    }
    log(`[train] ${taskName}: test accuracy ${(100 * test.accuracy).toFixed(1)}% (majority class ${(100 * test.majority.accuracy).toFixed(1)}%), AUC ${test.auc.toFixed(3)}; saved ${finalPath}`);
    return { ...result, model, key, runDir, reused: false };
  } finally {
    await engine.close();
    opt.dispose();
  }
}

function monitorValue(m: Monitor, r: EpochRecord): number {
  return m === "loss" ? r.valLoss : m === "auc" ? r.valAuc : r.valAccuracy;
}

/**
 * The trained model of a task, without training: for notebooks after the training one. Clear
 * error when it is missing.
 */
/** The error for a task whose model is not trained yet, naming the commands that train it. */
export function noTrainedModel(task: string, profile: string, file?: string): Error {
  return new Error(
    `No trained '${task}' model for profile ${profile}${file ? ` at ${file}` : ""}. Train it first: run notebooks/02-training.ipynb (make run), or: npm run mia -- train --task ${task} --profile ${profile}. ` +
      `Trained it with train --out DIR? Point here at DIR: --models DIR on the command line, or MIA_MODELS_DIR=DIR.`,
  );
}

export async function loadTrained(task: string, options: { profile?: Profile | ProfileName; model?: string; out?: string } = {}): Promise<{ model: tf.LayersModel; key: RunKey; result: Omit<TrainResult, "model" | "runDir" | "reused" | "key">; savedAt: string }> {
  const profile = typeof options.profile === "object" ? options.profile : resolveProfile(options.profile);
  const dir = runDirectory(options.out ?? modelsRoot(), { profile: profile.name, task, model: options.model ?? profile.model });
  const file = path.join(dir, "model.json");
  if (!fs.existsSync(file)) {
    throw noTrainedModel(task, profile.name, file);
  }
  const saved = await loadModelFile(file);
  const mia = saved.mia as { key: RunKey; result: Omit<TrainResult, "model" | "runDir" | "reused" | "key">; savedAt: string } | undefined;
  const problem = !mia?.key || !mia.result ? "it has no run record of this project's train()" : identityProblem(mia.key, { task, profile: profile.name, model: options.model ?? profile.model }, saved.model);
  if (problem) {
    saved.model.dispose();
    throw notThisModel(dir, task, profile.name, problem);
  }
  return { model: saved.model, key: mia!.key, result: mia!.result, savedAt: mia!.savedAt };
}

function notThisModel(dir: string, task: string, profile: string, problem: string): Error {
  return new Error(`The model in ${dir} cannot be used as ${task}'s: ${problem}. Retrain it: npm run mia -- train --task ${task} --profile ${profile} --force (or delete ${dir}).`);
}

/**
 * Why a saved model is not the one asked for (a folder copied from another task or profile, a
 * hand-edited model.json), or undefined. The run record must name the task, profile and model
 * the folder stands for, and the network must take the recorded input and give one output per class.
 */
export function identityProblem(key: RunKey, expected: { task: string; profile: string; model: string }, model?: tf.LayersModel): string | undefined {
  for (const k of ["task", "profile", "model"] as const) {
    if (key[k] !== expected[k]) return `it was trained as ${k} '${key[k]}', not '${expected[k]}' (copied or moved from another folder?)`;
  }
  if (!model) return undefined;
  const [, h, w, c] = model.inputs[0].shape;
  if (h !== key.imageSize || w !== key.imageSize || c !== key.channels) return `its network takes ${h}x${w}x${c} inputs but its run record says ${key.imageSize}x${key.imageSize}x${key.channels}`;
  const units = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (units !== key.classNames.length) return `its network has ${units} outputs but its run record names ${key.classNames.length} classes (${key.classNames.join(", ")})`;
  return undefined;
}

/**
 * The saved run record of a task's trained model (settings, learning curves, test metrics)
 * without loading its weights; undefined when the model has not been trained.
 */
export function trainedRecord(task: string, options: { profile?: Profile | ProfileName; model?: string; out?: string } = {}): { key: RunKey; result: Omit<TrainResult, "model" | "runDir" | "reused" | "key">; savedAt: string; file: string } | undefined {
  const profile = typeof options.profile === "object" ? options.profile : resolveProfile(options.profile);
  const file = path.join(runDirectory(options.out ?? modelsRoot(), { profile: profile.name, task, model: options.model ?? profile.model }), "model.json");
  if (!fs.existsSync(file)) return undefined;
  let json: { mia?: { key: RunKey; result: Omit<TrainResult, "model" | "runDir" | "reused" | "key">; savedAt: string } };
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): retrain with --force, or delete it.`);
  }
  if (!json.mia?.key || !json.mia.result) throw new Error(`${file} holds a model without this project's run record (not trained by train()).`);
  const problem = identityProblem(json.mia.key, { task, profile: profile.name, model: options.model ?? profile.model });
  if (problem) throw notThisModel(path.dirname(file), task, profile.name, problem);
  return { ...json.mia, file };
}
