/**
 * Dropout with a fresh, reproducible mask on every training call. tfjs-layers' Dropout either
 * draws from Math.random (no seed: training never repeats) or, seeded, reuses one mask on every
 * call. Here the mask's seed is (layer seed, pool worker index, k), so a run repeats exactly and
 * pool workers do not share masks. k is the training step when the trainer names it
 * (`withTrainingStep` in backend/step), so a resumed run draws the masks an uninterrupted one would; otherwise
 * it is the layer's own call count. Registered under tfjs-layers' name: saved models load into it.
 */
import { isMainThread, workerData } from "node:worker_threads";
import { tf, tfSeed } from "../backend/tf";
import { trainingStep } from "../backend/step";
import { registerWorkerModule } from "../backend/parallel/pool";

/** 0 on the main thread, 1 + the worker's index in a WasmPool. */
const lane = isMainThread ? 0 : 1 + Number((workerData as { index?: number } | null)?.index ?? 0);

type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];

const Base = tf.layers.dropout({ rate: 0.5 }).constructor as unknown as new (args: DropoutArgs) => tf.layers.Layer;

export class Dropout extends Base {
  static className = "Dropout";
  private calls = 0;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as { rate: number; seed?: number; noiseShape?: number[] };
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || !(self.rate > 0 && self.rate < 1) || self.noiseShape != null) return super.call(inputs, kwargs);
    const seed = tfSeed(((self.seed ?? 0) * 1_000_003 + lane * 10_007 + (trainingStep() ?? this.calls++)) % 2_147_483_647);
    return tf.tidy(() => tf.dropout(input, self.rate, undefined, seed));
  }
}
tf.serialization.registerClass(Dropout as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Same arguments as tf.layers.dropout. */
export function dropout(args: DropoutArgs): tf.layers.Layer {
  return new Dropout(args);
}

// Wasm workers load this file too, so that they deserialise the layers it registers.
registerWorkerModule(__filename);
