/**
 * Several wasm workers used as one device. Batches are split into contiguous shards, one per
 * worker; input gradients come back concatenated, weight gradients averaged (data parallelism).
 * Losses are summed in the workers and divided by the whole batch here, so results equal the
 * single-thread mean loss's gradients (exactly for input gradients and BN-free models; with
 * batch norm in training mode each worker normalises its own shard, as data-parallel PyTorch
 * does without SyncBatchNorm).
 */
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { tf } from "../tf";
import type { Envelope, LossKind, Request, Response } from "./protocol";

type Ok = Extract<Response, { ok: true }>;

class Channel {
  private next = 0;
  private pending = new Map<number, { resolve: (r: Ok) => void; reject: (e: Error) => void }>();
  constructor(readonly worker: Worker) {
    worker.on("message", (m: Envelope<Response>) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.body.ok) p.resolve(m.body);
      else p.reject(new Error(`wasm worker: ${m.body.error}`));
    });
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", (code) => code !== 0 && this.failAll(new Error(`wasm worker exited with code ${code}`)));
  }
  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
  send(body: Request): Promise<Ok> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, body } satisfies Envelope<Request>);
    });
  }
}

/** Contiguous shard boundaries of n items over k workers (sizes differ by at most one). */
export function shardBounds(n: number, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0, start = 0; i < k; i++) {
    const size = Math.floor(n / k) + (i < n % k ? 1 : 0);
    if (size > 0) out.push([start, start + size]);
    start += size;
  }
  return out;
}

let keys = 0;

export interface PoolModel {
  readonly key: string;
  readonly model: tf.LayersModel;
}

/** Modules every worker loads before its first model: the ones that register custom layers for
 *  modelFromJSON. A higher floor (models/) adds itself here, so the pool never imports it. */
const workerModules = new Set<string>();
export function registerWorkerModule(file: string): void {
  workerModules.add(file);
}

export class WasmPool {
  private constructor(private readonly channels: Channel[]) {}

  get size(): number {
    return this.channels.length;
  }

  /** Starts `n` workers (default: one per core), each with the wasm backend and this project's kernels. */
  static async create(n = os.availableParallelism()): Promise<WasmPool> {
    if (!(n >= 1)) throw new Error(`WasmPool needs at least one worker, got ${n}`);
    const file = path.join(__dirname, "worker.js");
    // workerData.index: a stable per-pool index (threadIds keep growing over a process), for seeds.
    const channels = Array.from({ length: n }, (_, index) => new Channel(new Worker(file, { workerData: { index, modules: [...workerModules] } })));
    const pool = new WasmPool(channels);
    try {
      await Promise.all(channels.map((c) => c.send({ type: "init" })));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private static weightsOf(m: tf.LayersModel): Float32Array[] {
    return m.weights.map((w) => w.read().dataSync() as Float32Array);
  }

  /** Sends a replica of the model (topology and current weights) to every worker. */
  async loadModel(model: tf.LayersModel): Promise<PoolModel> {
    const key = `m${keys++}`;
    const topology = model.toJSON(null, false) as object;
    const weights = WasmPool.weightsOf(model);
    await Promise.all(this.channels.map((c) => c.send({ type: "loadModel", key, topology, weights })));
    return { key, model };
  }

  /** Copies the main model's current weights to the replicas (after an optimizer step). */
  async syncWeights(pm: PoolModel): Promise<void> {
    const weights = WasmPool.weightsOf(pm.model);
    await Promise.all(this.channels.map((c) => c.send({ type: "setWeights", key: pm.key, weights })));
  }

  /** Splits a batch into contiguous shards, one request per worker, and waits for the answers. */
  private async scatter(
    x: tf.Tensor4D,
    labels: tf.Tensor1D | null,
    request: (shard: { x: Float32Array; shape: number[]; labels: Int32Array; a: number; b: number }) => Request,
  ) {
    const n = x.shape[0];
    const per = x.size / n;
    const xs = x.dataSync() as Float32Array;
    const ys = labels ? Int32Array.from(labels.dataSync()) : new Int32Array(n);
    const bounds = shardBounds(n, this.size);
    const parts = await Promise.all(bounds.map(([a, b], i) => this.channels[i].send(request({ x: xs.slice(a * per, b * per), shape: [b - a, ...x.shape.slice(1)], labels: ys.slice(a, b), a, b }))));
    return { n, per, bounds, parts };
  }

  /**
   * Inference-mode outputs for a batch, sharded over the workers: the logits, or the named
   * layers' outputs in order (e.g. ["feature", "logits"]). Returned as plain arrays with shapes.
   */
  async predict(pm: PoolModel, x: tf.Tensor4D, layers?: string[]): Promise<Array<{ data: Float32Array; shape: number[] }>> {
    const { n, parts } = await this.scatter(x, null, ({ x: xs, shape }) => ({ type: "predict", key: pm.key, x: xs, shape, layers }));
    return parts[0].outputs!.map((_, k) => {
      const rowShape = parts[0].shapes![k].slice(1);
      const per = rowShape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n * per);
      let offset = 0;
      for (const p of parts) {
        data.set(p.outputs![k], offset);
        offset += p.outputs![k].length;
      }
      return { data, shape: [n, ...rowShape] };
    });
  }

  /** Gradient of the mean loss over the batch w.r.t. the input images, and that mean loss. */
  async inputGradient(pm: PoolModel, x: tf.Tensor4D, labels: tf.Tensor1D, loss: LossKind = "ce", kappa?: number, coef?: Float32Array): Promise<{ grad: tf.Tensor4D; loss: number }> {
    const k = coef ? coef.length / x.shape[0] : 0;
    const { n, per, bounds, parts } = await this.scatter(x, labels, ({ a, b, ...shard }) => ({ type: "inputGrad", key: pm.key, ...shard, loss, kappa, coef: coef?.slice(a * k, b * k) }));
    const grad = new Float32Array(x.size);
    parts.forEach((p, i) => grad.set(p.grad!, bounds[i][0] * per));
    for (let j = 0; j < grad.length; j++) grad[j] /= n;
    return { grad: tf.tensor4d(grad, x.shape), loss: parts.reduce((s, p) => s + p.loss!, 0) / n };
  }

  /**
   * Gradients of the mean training loss w.r.t. the main model's trainable weights (keyed by
   * variable name, ready for optimizer.applyGradients) and the mean loss. The main model's
   * batch-norm moving statistics become the shard-size-weighted average of the replicas'.
   */
  async trainGradients(pm: PoolModel, x: tf.Tensor4D, labels: tf.Tensor1D, sampleWeights?: Float32Array, step?: number): Promise<{ grads: tf.NamedTensorMap; loss: number }> {
    const { n, bounds, parts } = await this.scatter(x, labels, ({ a, b, ...shard }) => ({ type: "trainGrad", key: pm.key, ...shard, weights: sampleWeights?.slice(a, b), step }));
    const vars = pm.model.trainableWeights;
    const grads: tf.NamedTensorMap = {};
    vars.forEach((w, k) => {
      const sum = new Float32Array(parts[0].grads![k].length);
      for (const p of parts) {
        const g = p.grads![k];
        for (let j = 0; j < sum.length; j++) sum[j] += g[j];
      }
      for (let j = 0; j < sum.length; j++) sum[j] /= n;
      grads[(w.read() as tf.Variable).name] = tf.tensor(sum, w.shape as number[]);
    });
    // Moving statistics: weighted by shard size.
    pm.model.nonTrainableWeights.forEach((w, k) => {
      const avg = new Float32Array(parts[0].state![k].length);
      parts.forEach((p, i) => {
        const f = (bounds[i][1] - bounds[i][0]) / n;
        const s = p.state![k];
        for (let j = 0; j < avg.length; j++) avg[j] += f * s[j];
      });
      const t = tf.tensor(avg, w.shape as number[]);
      w.write(t);
      t.dispose();
    });
    return { grads, loss: parts.reduce((s, p) => s + p.loss!, 0) / n };
  }

  async close(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.worker.terminate()));
  }
}
