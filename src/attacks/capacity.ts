/**
 * Over-parameterisation, measured (notebook 05, beyond the paper): a width x depth grid of plain
 * CNNs trained per task and attacked with PGD. The paper argues that networks far bigger than a
 * simple medical task needs are easier to attack; here robustness is plotted against parameter
 * count, medical tasks beside the natural one.
 */
import { resolveProfile, type CapacityPlan, type Profile, type ProfileName } from "../config";
import { clearlyBeatsMajority } from "../train/metrics";
import { train } from "../train/trainer";
import { epsAtHalf, type SweepRow } from "./sweep";
import { attackTask } from "./experiment";
import type { EngineOptions } from "../backend/engine";

/** Options of a grid of trained-and-attacked models (the capacity and input-size experiments). */
export interface ModelGridOptions<Plan, Row> extends EngineOptions {
  readonly profile?: Profile | ProfileName;
  /** Overrides of the profile's plan. */
  readonly plan?: Partial<Plan>;
  readonly quiet?: boolean;
  /** Called after each model with its row: progress for long grids. */
  readonly onRow?: (row: Row, done: number, total: number) => void;
}

export type CapacityOptions = ModelGridOptions<CapacityPlan, CapacityRow>;

export interface CapacityRow {
  readonly task: string;
  readonly model: string;
  readonly params: number;
  readonly testAccuracy: number;
  readonly testAuc: number;
  /** False when the model is not clearly better than its majority class (its robustness means nothing). */
  readonly usable: boolean;
  /** Accuracy of the attacked images before the attack, and under PGD at 1/255. */
  readonly cleanAccuracy: number;
  readonly pgdAt1: number;
  /** eps (/255) at which PGD halves the clean accuracy; null when it does not within the grid. */
  readonly epsHalf: number | null;
  readonly rows: readonly SweepRow[];
  readonly trainSeconds: number;
  readonly reused: boolean;
}

/** The profile a grid model trains under: the plan's input size, subset and epochs, one recipe for every task. */
export function capacityProfile(profile: Profile, plan: Pick<CapacityPlan, "imageSize" | "trainPerClass" | "epochs" | "attackImages"> = profile.capacity): Profile {
  return { ...profile, imageSize: plan.imageSize, trainPerClass: plan.trainPerClass, trainPerClassFor: {}, recipeFor: {}, epochs: plan.epochs, attackImages: plan.attackImages };
}

export async function capacitySweep(o: CapacityOptions = {}): Promise<CapacityRow[]> {
  const base = typeof o.profile === "object" ? o.profile : resolveProfile(o.profile);
  const plan: CapacityPlan = { ...base.capacity, ...o.plan };
  if (!plan.pgdGrid.includes(1)) throw new Error(`The capacity plan's PGD grid must contain 1 (the paper's budget, 1/255); got ${plan.pgdGrid.join(", ")}`);
  if (plan.models.length === 0 || plan.tasks.length === 0) throw new Error("The capacity plan needs at least one task and one model");
  const profile = capacityProfile(base, plan);
  const out: CapacityRow[] = [];
  const total = plan.tasks.length * plan.models.length;
  for (const task of plan.tasks) {
    for (const model of plan.models) {
      const t = await train(task, { profile, model, quiet: o.quiet, workers: o.workers, pool: o.pool });
      const params = t.model.countParams();
      t.model.dispose();
      const a = await attackTask(task, { profile, model, attacks: ["pgd"], grids: { pgd: plan.pgdGrid }, n: plan.attackImages, saveEps: null, quiet: true, workers: o.workers, pool: o.pool });
      const row: CapacityRow = {
        task,
        model,
        params,
        testAccuracy: t.test.accuracy,
        testAuc: t.test.auc,
        usable: clearlyBeatsMajority(t.test),
        cleanAccuracy: a.cleanAccuracy,
        pgdAt1: a.rows.find((r) => r.eps === 1)!.accuracy,
        epsHalf: epsAtHalf(a.rows),
        rows: a.rows,
        trainSeconds: t.trainSeconds,
        reused: t.reused,
      };
      out.push(row);
      o.onRow?.(row, out.length, total);
    }
  }
  return out;
}
