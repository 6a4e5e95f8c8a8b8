/**
 * The landscape's second ("black-box") model: the same architecture as the attacked one, trained
 * from another seed on its own run directory. Only its gradient direction is used, so on a CPU
 * profile it is trained on a per-class subset (`explain.blackBoxTrainPerClass`) for
 * `explain.blackBoxEpochs`; its test metrics are returned with it so that a notebook can print them.
 */
import * as path from "node:path";
import { resolveProfile, type Profile, type ProfileName } from "../config";
import { modelsRoot, train, type TrainOptions, type TrainResult } from "./trainer";

export interface BlackBoxOptions extends Pick<TrainOptions, "workers" | "pool" | "quiet" | "force"> {
  readonly profile?: Profile | ProfileName;
  /** Default 1 (the attacked model is seed 0's). */
  readonly seed?: number;
}

/** Where black-box runs live: beside the main models, never over them (and a subset's runs apart
 *  from whole-data ones, so that a change of plan retrains rather than meeting another run). */
export function blackBoxRoot(profile: Profile): string {
  const perClass = profile.explain.blackBoxTrainPerClass;
  return path.join(modelsRoot(), perClass === null ? "black-box" : `black-box-${perClass}-per-class`);
}

/** The profile the black-box model trains under: the main one with the explain plan's subset. */
export function blackBoxProfile(profile: Profile): Profile {
  const perClass = profile.explain.blackBoxTrainPerClass;
  return perClass === null ? profile : { ...profile, trainPerClass: perClass, trainPerClassFor: {} };
}

export async function trainBlackBox(task: string, o: BlackBoxOptions = {}): Promise<TrainResult> {
  const profile = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  return train(task, { profile: blackBoxProfile(profile), seed: o.seed ?? 1, epochs: profile.explain.blackBoxEpochs, out: blackBoxRoot(profile), workers: o.workers, pool: o.pool, quiet: o.quiet, force: o.force });
}
