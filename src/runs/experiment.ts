/**
 * One task on one profile, resolved once: the object the notebooks and `mia study` hand around
 * instead of a task name and a profile name. It owns the folders of its artifacts (the trained
 * model, the attack sweeps and adversarial sets, their deep features) and runs each stage of the
 * study on them through the stage's own writer and reader:
 *
 *   const cxr = mia.runs.experiment("cxr", profile);
 *   await cxr.train();                         // or reuse: data/models/<profile>/cxr/<model>/
 *   const sweep = await cxr.attack();          // data/results/<profile>/cxr/<model>/
 *   const det = await cxr.detect({ leaky: true });
 *
 * Folders: config/paths.ts decides every root (and the variable that moves it).
 */
import { checkWhole, resolveProfile, runFolder, modelsRoot, resultsRoot, type Profile, type ProfileName } from "../config";
import { resolveTask, type TaskSpec } from "../data";
import { adversarialDir, attackTask, type TaskAttackOptions, type TaskAttackResult } from "../attacks";
import { featuresDir, taskFeatures, type SavedFeatures } from "../features";
import { detectTask, type DetectOptions, type TaskDetection } from "../detect";
import { loadTrained, noTrainedModel, train, trainedRecord, type TrainOptions, type TrainResult } from "../train";
import { farBelowGate, gateStatus, type GateResult } from "../gates";

/** Options a stage takes, less what the experiment already fixed (task, profile, model). */
type Stage<O> = Omit<O, "profile" | "model">;

export interface ExperimentOptions {
  /** The architecture (default: the profile's). */
  readonly model?: string;
  /** The training seed: 0 (default) is the main model, k > 0 a replicate named `<model>@s<k>`. */
  readonly seed?: number;
}

/** The run name of seed k of an architecture: the architecture itself for seed 0, else `<model>@s<k>`. */
export function replicateName(model: string, seed: number): string {
  return seed === 0 ? model : `${model}${model.includes("@") ? "" : "@"}s${seed}`;
}

export class Experiment {
  readonly task: TaskSpec;
  readonly profile: Profile;
  /** The model's name: the architecture (default: the profile's), `@s<seed>` for a replicate seed. */
  readonly model: string;
  /** The training seed (0: the main model; k > 0: a replicate, see Profile.seeds). */
  readonly seed: number;

  constructor(task: string | TaskSpec, profile?: Profile | ProfileName, options: ExperimentOptions = {}) {
    this.task = resolveTask(task);
    this.profile = typeof profile === "object" ? profile : resolveProfile(profile);
    this.seed = options.seed ?? 0;
    checkWhole(this.seed, "An experiment's seed", 0);
    this.model = replicateName(options.model ?? this.profile.model, this.seed);
  }

  /** The trained model's folder (model.json, weights, run record, checkpoints). */
  get modelDir(): string {
    return runFolder(modelsRoot(), this.profile.name, this.task.name, this.model);
  }

  /** The attack sweeps' folder; adversarial sets and features live below it. */
  get resultsDir(): string {
    return runFolder(resultsRoot(), this.profile.name, this.task.name, this.model);
  }

  /** One attack's saved adversarial set at eps (/255). */
  adversarialDir(attack: string, eps = 1): string {
    return adversarialDir(resultsRoot(), { profile: this.profile.name, task: this.task.name, model: this.model, attack, eps });
  }

  /** The deep features of that set. */
  featuresDir(attack: string, eps = 1): string {
    return featuresDir(this.adversarialDir(attack, eps));
  }

  /** Trains the classifier, or reuses the finished run in modelDir. */
  train(o: Omit<Stage<TrainOptions>, "seed"> = {}): Promise<TrainResult> {
    return train(this.task, { ...o, profile: this.profile, model: this.model, seed: this.seed });
  }

  /** The saved run record (test metrics, settings), or undefined when not trained. */
  record(): ReturnType<typeof trainedRecord> {
    return trainedRecord(this.task.name, { profile: this.profile, model: this.model });
  }

  /**
   * The saved run record, or an error naming what trains this model: for a replicate seed,
   * notebook 02 (which trains profile.seeds seeds of every task that can pass its gate).
   */
  requireTrained(): NonNullable<ReturnType<typeof trainedRecord>> {
    const rec = this.record();
    if (rec) return rec;
    if (this.seed === 0) throw noTrainedModel(this.task.name, this.profile.name);
    throw new Error(
      `Seed ${this.seed} of ${this.task.name} (${this.model}) is not trained on the ${this.profile.name} profile: run notebooks/02-training.ipynb first, which trains profile.seeds = ${this.profile.seeds} seeds per task (or train this one: mia.runs.experiment("${this.task.name}", "${this.profile.name}", { seed: ${this.seed} }).train()).`,
    );
  }

  /** This model's quality gate, from its run record (no weights loaded); throws as requireTrained when untrained. */
  gate(): GateResult {
    return gateStatus(this.task.name, this.requireTrained().result);
  }

  /** The trained model, loaded and checked (the caller disposes it). */
  loadModel(): ReturnType<typeof loadTrained> {
    return loadTrained(this.task.name, { profile: this.profile, model: this.model });
  }

  /** The L-infinity attacks over the profile's eps grids (cached sweeps reused), sets saved at 1/255. */
  attack(o: Stage<TaskAttackOptions> = {}): Promise<TaskAttackResult> {
    return attackTask(this.task.name, { ...o, profile: this.profile, model: this.model });
  }

  /** Deep features of the saved adversarial sets (cached). */
  features(o: Stage<Parameters<typeof taskFeatures>[1]>): Promise<SavedFeatures[]> {
    return taskFeatures(this.task.name, { ...o, profile: this.profile, model: this.model });
  }

  /** The detectors on the saved sets: AUC with intervals per attack and detector. */
  detect(o: Stage<DetectOptions> = {}): Promise<TaskDetection> {
    return detectTask(this.task.name, { ...o, profile: this.profile, model: this.model });
  }
}

/** `new Experiment(task, profile, options)`: one task on one profile, resolved once. */
export function experiment(task: string | TaskSpec, profile?: Profile | ProfileName, options: ExperimentOptions = {}): Experiment {
  return new Experiment(task, profile, options);
}

/**
 * The task's experiments for seeds 0 .. profile.seeds - 1 (seed 0 first: the main model). Where
 * seed 0 is measured far below its gate (`mainGate`, gates.farBelowGate: by more than
 * RESEED_MARGIN), only seed 0: another seed would not pass either, so replicates would cost
 * training and attacks and change no verdict. A near miss, or a model whose gate could not be
 * checked (a test subset), still gets its replicates: a verdict may rest on those that pass.
 */
export function replicates(task: string | TaskSpec, profile?: Profile | ProfileName, options: Omit<ExperimentOptions, "seed"> & { mainGate?: GateResult } = {}): Experiment[] {
  const p = typeof profile === "object" ? profile : resolveProfile(profile);
  const { mainGate, ...o } = options;
  return Array.from({ length: mainGate && farBelowGate(mainGate) ? 1 : p.seeds }, (_, seed) => new Experiment(task, p, { ...o, seed }));
}
