/**
 * Run profiles: the one place that says how big every experiment is.
 *
 * - `smoke`: CI. Tiny subsets, one short epoch, a few eps points; each notebook in seconds.
 *   Numbers it prints prove the pipeline runs, not the science.
 * - `cpu`: the default for `make run`. Sized so that every notebook finishes on a 2-core
 *   machine with the wasm backend (small inputs, small ResNets, subsets of each dataset).
 * - `paper`: the paper's settings (224x224 inputs, ResNet-50, full grids). Meant for a GPU
 *   with `@tensorflow/tfjs-node-gpu`.
 *
 * Later capabilities (data, training, attacks, detection) read their sizes from here; add
 * a field here rather than a constant in a notebook.
 */

export const PROFILE_NAMES = ["smoke", "cpu", "paper"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** eps grids in /255 pixel units, as the paper quotes them. */
export interface EpsGrids {
  readonly fgsm: readonly number[];
  readonly bim: readonly number[];
  readonly pgd: readonly number[];
  readonly cw: readonly number[];
}

export interface Profile {
  readonly name: ProfileName;
  readonly description: string;
  /** Square input side in pixels (images are resized to imageSize x imageSize). */
  readonly imageSize: number;
  /** Default classifier architecture for the medical tasks and the natural comparator. */
  readonly model: string;
  /** At most this many training images per class; null = all. */
  readonly trainPerClass: number | null;
  /** At most this many test images per class; null = all. */
  readonly testPerClass: number | null;
  /** Per-task exceptions to trainPerClass (e.g. fewer CIFAR-10 images per class on a CPU). */
  readonly trainPerClassFor?: Readonly<Record<string, number | null>>;
  readonly epochs: number;
  /** Early stopping: epochs without a better validation score before training stops. */
  readonly patience: number;
  readonly batchSize: number;
  /** The tasks the notebooks train and attack: the paper's three binary medical tasks, the
   *  natural-image comparator, and the multi-class tasks of the "more classes" experiment. */
  readonly tasks: Readonly<{ medical: readonly string[]; natural: readonly string[]; multiclass: readonly string[] }>;
  /** Correctly classified test images attacked per task in an eps sweep. */
  readonly attackImages: number;
  /** Attack iterations for BIM / PGD / CW-Linf (paper: 20). */
  readonly attackSteps: number;
  readonly epsGrid: EpsGrids;
  /** The budgets (/255) of the per-attack summary table: the paper's 1/255, the natural-image
   *  convention 8/255, and points around them. */
  readonly reportEps: readonly number[];
  /** Per-cell timeout, in seconds, used by the notebook runner. */
  readonly cellTimeoutSec: number;
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  // Integer stepping avoids 0.30000000000000004-style grid points.
  const n = Math.round((to - from) / step);
  for (let i = 0; i <= n; i++) out.push(Number((from + i * step).toFixed(6)));
  return out;
};

/** The eps grids of the authors' scripts (PAPER.md). */
const PAPER_EPS: EpsGrids = {
  fgsm: [0.1, 0.3, 0.5, 0.7, 0.9, ...range(1, 10, 1)],
  bim: range(0.1, 1.0, 0.1),
  pgd: range(0.1, 1.0, 0.1),
  cw: [0.1, 0.3, 0.5, 0.7, 0.9, 1],
};

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  smoke: Object.freeze({
    name: "smoke",
    description: "CI: tiny subsets, one short epoch, seconds per notebook",
    imageSize: 32,
    model: "resnet-tiny",
    trainPerClass: 32,
    testPerClass: 16,
    epochs: 1,
    patience: 0,
    tasks: Object.freeze({ medical: ["cxr", "dr", "derm"], natural: ["cifar10"], multiclass: ["cxr3", "derm-3"] }),
    batchSize: 16,
    attackImages: 16,
    attackSteps: 5,
    reportEps: Object.freeze([0.5, 1, 2, 8]),
    epsGrid: Object.freeze({ fgsm: [0.5, 1, 4], bim: [0.5, 1], pgd: [0.5, 1], cw: [0.5, 1] }),
    cellTimeoutSec: 300,
  }),
  cpu: Object.freeze({
    name: "cpu",
    description: "default: sized to finish on a 2-core machine (wasm backend)",
    imageSize: 64,
    model: "resnet20-s2",
    trainPerClass: 1000,
    // Ten classes at 1000 would be half of the CPU budget on its own.
    trainPerClassFor: Object.freeze({ cifar10: 500 }),
    testPerClass: 200,
    epochs: 8,
    patience: 3,
    tasks: Object.freeze({ medical: ["cxr", "dr", "derm"], natural: ["cifar10"], multiclass: ["cxr3", "derm-3", "derm-5", "derm-7"] }),
    batchSize: 64,
    attackImages: 200,
    attackSteps: 20,
    reportEps: Object.freeze([0.5, 1, 2, 8]),
    epsGrid: Object.freeze({
      fgsm: [0.3, 0.5, 1, 2, 4, 8],
      bim: [0.1, 0.3, 0.5, 0.7, 1.0],
      pgd: [0.1, 0.3, 0.5, 0.7, 1.0],
      cw: [0.1, 0.3, 0.5, 0.7, 1.0],
    }),
    // Training several tasks in one cell takes most of an hour on 2 cores.
    cellTimeoutSec: 7200,
  }),
  paper: Object.freeze({
    name: "paper",
    description: "the paper's settings: 224x224, ResNet-50, full eps grids (for a GPU)",
    imageSize: 224,
    model: "resnet50",
    trainPerClass: null,
    testPerClass: null,
    epochs: 100,
    patience: 10,
    tasks: Object.freeze({ medical: ["cxr", "dr", "derm"], natural: ["cifar10"], multiclass: ["cxr3", "derm-2", "derm-3", "derm-4", "derm-5", "derm-6", "derm-7"] }),
    batchSize: 32,
    attackImages: 1000,
    attackSteps: 20,
    reportEps: Object.freeze([0.5, 1, 2, 8]),
    epsGrid: PAPER_EPS,
    cellTimeoutSec: 6 * 3600,
  }),
});

export const DEFAULT_PROFILE: ProfileName = "cpu";

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/**
 * The profile to use: the argument if given, else `MIA_PROFILE`, else `cpu`.
 * An unknown name is an error that lists the valid ones (never a silent fallback).
 */
export function resolveProfile(name?: string, env: NodeJS.ProcessEnv = process.env): Profile {
  const requested = (name ?? env.MIA_PROFILE ?? "").trim();
  if (requested === "") return PROFILES[DEFAULT_PROFILE];
  const key = requested.toLowerCase();
  if (!isProfileName(key)) {
    const from = name === undefined ? " (from MIA_PROFILE)" : "";
    throw new Error(
      `Unknown profile '${requested}'${from}. Choose one of: ${PROFILE_NAMES.join(", ")} ` +
        `(e.g. MIA_PROFILE=smoke make run).`,
    );
  }
  return PROFILES[key];
}
