/**
 * A compute worker: its own tfjs + wasm backend (with this project's kernels and gradients) and
 * replicas of the models the main thread sends. Node cannot start wasm's own threads, so
 * parallelism comes from several of these, each on its own core.
 */
import { parentPort, workerData } from "node:worker_threads";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tf";
import { registerWasmKernels } from "../wasm-kernels";
import { registerGradients } from "../gradients";
import type { Envelope, Request, Response } from "./protocol";
import { lossSum } from "./loss";
import { withTrainingStep } from "../step";

// The modules that register custom layers for modelFromJSON (models/ adds itself: registerWorkerModule).
for (const m of (workerData as { modules?: string[] } | null)?.modules ?? []) require(m);

const models = new Map<string, tf.LayersModel>();
/** Sub-models exposing named layers, per model key and layer list (they share the model's weights). */
const views = new Map<string, tf.LayersModel>();

function view(key: string, layers: string[]): tf.LayersModel {
  const id = `${key}|${layers.join(",")}`;
  let v = views.get(id);
  if (!v) {
    const m = model(key);
    v = tf.model({ inputs: m.inputs, outputs: layers.map((l) => m.getLayer(l).output as tf.SymbolicTensor) });
    views.set(id, v);
  }
  return v;
}

function model(key: string): tf.LayersModel {
  const m = models.get(key);
  if (!m) throw new Error(`worker has no model '${key}'`);
  return m;
}

function setAll(m: tf.LayersModel, weights: Float32Array[]): void {
  const ws = m.weights;
  if (ws.length !== weights.length) throw new Error(`model has ${ws.length} weights, got ${weights.length}`);
  // setWeights copies into the variables; the temporaries must go, or each sync leaks a model.
  tf.tidy(() => m.setWeights(ws.map((w, i) => tf.tensor(weights[i], w.shape as number[]))));
}

async function handle(req: Request): Promise<Response> {
  switch (req.type) {
    case "init":
      await tf.setBackend("wasm");
      registerWasmKernels();
      registerGradients();
      return { ok: true, backend: tf.getBackend() };
    case "loadModel": {
      const m = await tf.models.modelFromJSON(req.topology as tf.io.ModelJSON["modelTopology"] as never);
      setAll(m, req.weights);
      models.get(req.key)?.dispose();
      models.set(req.key, m);
      for (const id of views.keys()) if (id.startsWith(`${req.key}|`)) views.delete(id);
      return { ok: true };
    }
    case "setWeights":
      setAll(model(req.key), req.weights);
      return { ok: true };
    case "inputGrad": {
      const m = model(req.key);
      // tidy returns tensors only: it walks whatever it returns, element by element for arrays.
      const { value, grad } = tf.tidy(() => {
        const x = tf.tensor(req.x, req.shape);
        const y = tf.tensor1d(req.labels, "int32");
        const coef = req.coef ? tf.tensor(req.coef, [req.shape[0], req.coef.length / req.shape[0]]) : undefined;
        return tf.valueAndGrad((inp: tf.Tensor) => lossSum(m.apply(inp, { training: false }) as tf.Tensor, y, req.loss, req.kappa, undefined, coef))(x);
      });
      const out = { grad: grad.dataSync() as Float32Array, loss: value.dataSync()[0] };
      tf.dispose([value, grad]);
      return { ok: true, grad: out.grad, loss: out.loss };
    }
    case "trainGrad": {
      const m = model(req.key);
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = withTrainingStep(req.step, () =>
        tf.tidy(() => {
          const x = tf.tensor(req.x, req.shape);
          const y = tf.tensor1d(req.labels, "int32");
          const w = req.weights ? tf.tensor1d(req.weights) : undefined;
          return tf.variableGrads(() => lossSum(m.apply(x, { training: true }) as tf.Tensor, y, "ce", 0, w), vars);
        }),
      );
      const out = { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
      tf.dispose([value, ...Object.values(grads)]);
      // Batch-norm moving statistics after this shard's update.
      const state = m.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array);
      return { ok: true, loss: out.loss, grads: out.grads, state };
    }
    case "predict": {
      const v = req.layers && req.layers.length > 0 ? view(req.key, req.layers) : model(req.key);
      const ys = tf.tidy(() => {
        const y = v.apply(tf.tensor(req.x, req.shape), { training: false }) as tf.Tensor | tf.Tensor[];
        return Array.isArray(y) ? y : [y];
      });
      const outputs = ys.map((y) => y.dataSync() as Float32Array);
      const shapes = ys.map((y) => y.shape);
      tf.dispose(ys);
      return { ok: true, outputs, shapes };
    }
  }
}

parentPort!.on("message", async (msg: Envelope<Request>) => {
  let body: Response;
  try {
    body = await handle(msg.body);
  } catch (err) {
    body = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage({ id: msg.id, body });
});
