/**
 * Where training and inference run. With the wasm backend: a pool of worker threads (one per
 * core), each with a replica of the model, batches sharded and gradients averaged
 * (src/backend/parallel). With any other backend (tfjs-node, cpu) or one worker: the main
 * thread. Both give the gradients of the same weighted mean loss.
 */
import * as os from "node:os";
import { tf } from "./tf";
import { WasmPool, type LossKind, type PoolModel } from "./parallel";
import { lossSum } from "./parallel/loss";
import { withTrainingStep } from "./step";
import { checkWhole } from "../config/check";

export interface Engine {
  readonly description: string;
  /** How many parts a batch is split into (one per worker; 1 on the main thread). */
  readonly shards: number;
  /** The main-thread model (weights live here; workers hold replicas). */
  readonly model: tf.LayersModel;
  /**
   * Gradients of sum_i w_i CE_i / n w.r.t. the trainable weights (BN in training mode), and that
   * loss. `step` (the training step) keys the Dropout masks, so a resumed run repeats exactly.
   */
  trainGradients(x: tf.Tensor4D, y: tf.Tensor1D, sampleWeights?: Float32Array, step?: number): Promise<{ grads: tf.NamedTensorMap; loss: number }>;
  /**
   * Gradient w.r.t. the input of the mean over the batch of a loss on the logits (inference
   * mode), and that mean: attacks and saliency. `coef` (n x classes) is for the "linear" loss.
   */
  inputGradient(x: tf.Tensor4D, y: tf.Tensor1D, loss?: LossKind, kappa?: number, coef?: Float32Array): Promise<{ grad: tf.Tensor4D; loss: number }>;
  /** Call after the optimizer changed the main model's weights. */
  sync(): Promise<void>;
  /** Inference-mode outputs of the named layers (default: the model output, i.e. logits). */
  predict(x: tf.Tensor4D, layers?: string[]): Promise<Array<{ data: Float32Array; shape: number[] }>>;
  close(): Promise<void>;
}

class LocalEngine implements Engine {
  private views = new Map<string, tf.LayersModel>();
  constructor(readonly model: tf.LayersModel) {}
  readonly shards = 1;
  get description() {
    return `main thread (${tf.getBackend()})`;
  }
  async trainGradients(x: tf.Tensor4D, y: tf.Tensor1D, sampleWeights?: Float32Array, step?: number) {
    const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const n = x.shape[0];
    const { value, grads } = withTrainingStep(step, () => tf.tidy(() => {
      const w = sampleWeights ? tf.tensor1d(sampleWeights) : undefined;
      return tf.variableGrads(() => {
        const logits = this.model.apply(x, { training: true }) as tf.Tensor;
        const sum = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]!), logits, w, 0, tf.Reduction.SUM);
        return tf.div(sum, n) as tf.Scalar;
      }, vars);
    }));
    const loss = (await value.data())[0];
    value.dispose();
    return { grads, loss };
  }
  async inputGradient(x: tf.Tensor4D, y: tf.Tensor1D, loss: LossKind = "ce", kappa?: number, coef?: Float32Array) {
    const n = x.shape[0];
    const { value, grad } = tf.tidy(() => {
      const c = coef ? tf.tensor2d(coef, [n, coef.length / n]) : undefined;
      return tf.valueAndGrad((inp: tf.Tensor) => tf.div(lossSum(this.model.apply(inp, { training: false }) as tf.Tensor, y, loss, kappa, undefined, c), n) as tf.Scalar)(x);
    });
    const v = (await value.data())[0];
    value.dispose();
    return { grad: grad as tf.Tensor4D, loss: v };
  }
  async sync() {}
  async predict(x: tf.Tensor4D, layers?: string[]) {
    const key = (layers ?? []).join(",");
    let m = this.model;
    if (layers && layers.length > 0) {
      if (!this.views.has(key)) this.views.set(key, tf.model({ inputs: this.model.inputs, outputs: layers.map((l) => this.model.getLayer(l).output as tf.SymbolicTensor) }));
      m = this.views.get(key)!;
    }
    const ys = tf.tidy(() => {
      const y = m.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
      return Array.isArray(y) ? y : [y];
    });
    const out = await Promise.all(ys.map(async (y) => ({ data: (await y.data()) as Float32Array, shape: y.shape })));
    tf.dispose(ys);
    return out;
  }
  async close() {}
}

class PoolEngine implements Engine {
  constructor(private readonly pool: WasmPool, private readonly pm: PoolModel, private readonly ownsPool: boolean) {}
  get model() {
    return this.pm.model;
  }
  get description() {
    return `${this.pool.size} wasm worker threads`;
  }
  get shards() {
    return this.pool.size;
  }
  async trainGradients(x: tf.Tensor4D, y: tf.Tensor1D, sampleWeights?: Float32Array, step?: number) {
    const { grads, loss } = await this.pool.trainGradients(this.pm, x, y, sampleWeights, step);
    return { grads, loss };
  }
  inputGradient(x: tf.Tensor4D, y: tf.Tensor1D, loss: LossKind = "ce", kappa?: number, coef?: Float32Array) {
    return this.pool.inputGradient(this.pm, x, y, loss, kappa, coef);
  }
  sync() {
    return this.pool.syncWeights(this.pm);
  }
  predict(x: tf.Tensor4D, layers?: string[]) {
    return this.pool.predict(this.pm, x, layers);
  }
  async close() {
    if (this.ownsPool) await this.pool.close();
  }
}

export interface EngineOptions {
  /** Worker threads for the wasm backend (default: MIA_WORKERS, else one per core; 1 = main thread). */
  readonly workers?: number;
  /** Reuse a running pool (it stays open on close). */
  readonly pool?: WasmPool;
}

export function defaultWorkers(env: NodeJS.ProcessEnv = process.env): number {
  if (env.MIA_WORKERS !== undefined && env.MIA_WORKERS !== "") {
    const n = Number(env.MIA_WORKERS);
    return checkWhole(n, "MIA_WORKERS", 1, `'${env.MIA_WORKERS}'`);
  }
  return os.availableParallelism();
}

/** An engine for `model`: the worker pool on wasm with more than one worker, else the main thread. */
export async function createEngine(model: tf.LayersModel, options: EngineOptions = {}): Promise<Engine> {
  const workers = options.workers ?? defaultWorkers();
  if (tf.getBackend() !== "wasm" || (workers <= 1 && !options.pool)) return new LocalEngine(model);
  const pool = options.pool ?? (await WasmPool.create(workers));
  const pm = await pool.loadModel(model);
  return new PoolEngine(pool, pm, !options.pool);
}

/** Runs fn with an engine for `model` (createEngine) and closes the engine after, also when fn throws. */
export async function withEngine<T>(model: tf.LayersModel, fn: (e: Engine) => Promise<T>, options: EngineOptions = {}): Promise<T> {
  const e = await createEngine(model, options);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}
