/** Gate status of the trained models of a profile, read from their run records (no weights loaded). */
import type { Profile, ProfileName } from "../config";
import { noTrainedModel, trainedRecord } from "../train/trainer";
import { gateStatus, type GateResult } from "./gate";

/**
 * The gate of every task's trained model, printed one line each (unless quiet). A task without a
 * trained model is an error naming the command that trains it, as loadTrained's is.
 */
export function gatesOf(tasks: readonly string[], options: { profile: Profile | ProfileName; model?: string; out?: string; quiet?: boolean }): Record<string, GateResult> {
  const out: Record<string, GateResult> = {};
  for (const t of tasks) {
    const rec = trainedRecord(t, options);
    const profileName = typeof options.profile === "object" ? options.profile.name : options.profile;
    if (!rec) throw noTrainedModel(t, profileName);
    out[t] = gateStatus(t, rec.result);
  }
  if (!options.quiet) console.log(Object.values(out).map((g) => g.summary.replace(/; reference .*$/, "")).join("\n"));
  return out;
}
