/** Messages between the main thread and the wasm worker threads (see pool.ts / worker.ts). */

/**
 * Losses whose input gradient the workers compute, summed over the examples:
 * - "ce": softmax cross-entropy with the labels;
 * - "cw": the Carlini-Wagner margin min(max_{j != y} z_j - z_y, kappa) (maximised by CW attacks);
 * - "linear": sum_k coef[i, k] z_k, any fixed combination of logits (DeepFool's z_k - z_y).
 */
export type LossKind = "ce" | "cw" | "linear";

export type Request =
  | { type: "init" }
  | { type: "loadModel"; key: string; topology: object; weights: Float32Array[] }
  | { type: "setWeights"; key: string; weights: Float32Array[] }
  /** Gradient of the summed loss over the shard w.r.t. the input (attacks, saliency). */
  | { type: "inputGrad"; key: string; x: Float32Array; shape: number[]; labels: Int32Array; loss: LossKind; kappa?: number; coef?: Float32Array }
  /** Gradients of the summed training loss w.r.t. the trainable weights, BN in training mode. */
  /** `step`: the training step, which keys the Dropout masks (backend/step). */
  | { type: "trainGrad"; key: string; x: Float32Array; shape: number[]; labels: Int32Array; weights?: Float32Array; step?: number }
  /** Inference-mode outputs: the logits, or the named layers' outputs (features, stage maps). */
  | { type: "predict"; key: string; x: Float32Array; shape: number[]; layers?: string[] };

export type Response =
  | { ok: true; backend?: string; grad?: Float32Array; loss?: number; grads?: Float32Array[]; state?: Float32Array[]; outputs?: Float32Array[]; shapes?: number[][] }
  | { ok: false; error: string };

export interface Envelope<T> {
  id: number;
  body: T;
}
