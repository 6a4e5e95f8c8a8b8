/**
 * Memory of a training step, estimated from the model and the batch before the first step, so
 * that a batch too large is refused with the largest one that fits instead of a wasm abort
 * ("Aborted(). Build with -sASSERTIONS") or a machine swapping.
 *
 * Calibration (resnet20-s2 at 64x64x1, wasm, one worker, 2026-12-03): the forward pass writes
 * 2.72 MB of activations per image, and the wasm heap after one gradient step grew by 9.5 MB per
 * image (915 MB at batch 100, 1,821 at 200, 3,721 at 400): about 3.5 times the forward
 * activations (activations kept for the backward pass, their gradients, and temporaries).
 */
import * as os from "node:os";
import { tf } from "../backend/tf";

/** Heap bytes per image of a training step, as a multiple of the forward activations. */
export const STEP_ACTIVATION_FACTOR = 3.5;
/** A wasm instance addresses at most 4 GiB (wasm32); each worker is one instance. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Share of the machine's memory a run may plan to use. */
const RAM_SHARE = 0.8;

/** Floats of every layer's output, per image (the forward pass's activations). */
export function activationFloatsPerImage(model: tf.LayersModel): number {
  let floats = 0;
  for (const layer of model.layers) {
    const out = layer.outputShape as tf.Shape | tf.Shape[];
    const shapes = Array.isArray(out[0]) ? (out as tf.Shape[]) : [out as tf.Shape];
    for (const s of shapes) floats += s.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  return floats;
}

export interface StepMemory {
  /** Estimated bytes of one shard's step (per worker), and of the whole batch over all workers. */
  readonly perShard: number;
  readonly total: number;
  /** The largest batch within both limits. */
  readonly largestBatch: number;
  /** Why the batch does not fit; undefined when it does. */
  readonly problem?: string;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/**
 * The estimate for `batch` images split into `shards` parts. The per-shard limit is the wasm heap
 * (on the wasm backend); the total limit is 80% of the machine's memory.
 */
export function stepMemory(model: tf.LayersModel, batch: number, o: { shards: number; wasm: boolean; machineBytes?: number }): StepMemory {
  const perImage = 4 * STEP_ACTIVATION_FACTOR * activationFloatsPerImage(model);
  // Weights, their gradients and two Adam moments, plus 64 MB for the runtime and the input batch.
  const fixed = 4 * 4 * model.countParams() + 64 * 2 ** 20;
  const shard = Math.ceil(batch / o.shards);
  const perShard = fixed + shard * perImage;
  const total = o.shards * fixed + batch * perImage;
  const machine = RAM_SHARE * (o.machineBytes ?? os.totalmem());
  const byHeap = o.wasm ? Math.floor((WASM_HEAP_BYTES - fixed) / perImage) * o.shards : Infinity;
  const byRam = Math.floor((machine - o.shards * fixed) / perImage);
  const largestBatch = Math.max(0, Math.min(byHeap, byRam));
  let problem: string | undefined;
  if (o.wasm && perShard > WASM_HEAP_BYTES) {
    problem = `a training step with batch ${batch} needs about ${gib(perShard)} per wasm worker (${shard} images x ${(perImage / 2 ** 20).toFixed(1)} MB of activations and gradients each, over ${o.shards} worker${o.shards > 1 ? "s" : ""}), but a wasm worker can address at most 4 GiB`;
  } else if (total > machine) {
    problem = `a training step with batch ${batch} needs about ${gib(total)} (${(perImage / 2 ** 20).toFixed(1)} MB per image), more than 80% of this machine's ${gib(o.machineBytes ?? os.totalmem())}`;
  }
  return { perShard, total, largestBatch, problem };
}
