/**
 * The training step in progress, for layers whose randomness must depend on the step alone
 * (Dropout, src/models/dropout.ts): a resumed run then draws what an uninterrupted one would,
 * whatever this process computed before. The engines set it around each training pass, on the
 * main thread and in every pool worker.
 */
import { checkWhole } from "../config/check";

let current: number | undefined;

/** The step set by the innermost `withTrainingStep`, else undefined. */
export function trainingStep(): number | undefined {
  return current;
}

/** Runs `f` (one training forward and backward pass, synchronous) with `step` as the training step. */
export function withTrainingStep<T>(step: number | undefined, f: () => T): T {
  if (step === undefined) return f();
  checkWhole(step, "The training step", 0);
  const before = current;
  current = step;
  try {
    return f();
  } finally {
    current = before;
  }
}
