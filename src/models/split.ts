/**
 * Running a functional LayersModel in pieces. `tf.model` can only cut a graph at its inputs, so
 * "the activation at layer L as a function of x" is easy (intermediateModel) but "the logits as a
 * function of the activation at L" is not; Grad-CAM needs the second to differentiate with respect
 * to the activation. Here the graph is executed node by node, as tfjs-layers' own executor does:
 * a symbolic tensor's value is either fed or computed by applying its source layer (inference
 * mode) to the values of that layer's inbound node's inputs.
 */
import { tf } from "../backend/tf";

type Node = tf.layers.Layer["inboundNodes"][number];

/** The node that produced a symbolic tensor (a layer applied once per node). */
const producer = (t: tf.SymbolicTensor): Node => t.sourceLayer.inboundNodes[t.nodeIndex];
const isInput = (t: tf.SymbolicTensor) => t.sourceLayer.getClassName() === "InputLayer";

/**
 * Concrete values of `fetches` given concrete values for some symbolic tensors of `model`
 * (inference mode: dropout off, batch norm on its moving statistics). Only the nodes the fetches
 * need are run; a fed tensor cuts the graph there. Throws when a fetch depends on a model input
 * that was not fed (the feeds do not separate it from the inputs). Intermediates are disposed;
 * the caller owns the returned tensors.
 */
export function executeGraph(model: tf.LayersModel, feeds: ReadonlyArray<readonly [tf.SymbolicTensor, tf.Tensor]>, fetches: readonly tf.SymbolicTensor[]): tf.Tensor[] {
  // Topological order of the needed nodes: post-order depth-first search from the fetches.
  const fed = new Set(feeds.map(([s]) => s.id));
  const order: Node[] = [];
  const seen = new Set<number>();
  const visit = (t: tf.SymbolicTensor) => {
    if (fed.has(t.id)) return;
    if (isInput(t)) throw new Error(`Model ${model.name}: '${t.name}' needs the model input '${t.sourceLayer.name}', which was not fed`);
    const node = producer(t);
    if (seen.has(node.id)) return;
    seen.add(node.id);
    node.inputTensors.forEach(visit);
    order.push(node);
  };
  fetches.forEach(visit);

  return tf.tidy(() => {
    const values = new Map<number, tf.Tensor>(feeds.map(([s, v]) => [s.id, v]));
    for (const node of order) {
      const inputs = node.inputTensors.map((s) => values.get(s.id)!);
      const out = node.outboundLayer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      node.outputTensors.forEach((s, i) => values.set(s.id, outs[i]));
    }
    // A fetch that was fed comes back as a copy, so the caller may dispose every result.
    return fetches.map((s) => (fed.has(s.id) ? tf.clone(values.get(s.id)!) : values.get(s.id)!));
  });
}

/** The (single) output of the named layer, with a clear error for unknown names or multi-output layers. */
export function layerTensor(model: tf.LayersModel, layer: string): tf.SymbolicTensor {
  const l = model.layers.find((l) => l.name === layer);
  if (!l) throw new Error(`Model ${model.name} has no layer '${layer}'`);
  const out = l.output;
  if (Array.isArray(out)) throw new Error(`Layer '${layer}' has ${out.length} outputs; pick a single-output layer`);
  return out;
}

function modelInput(model: tf.LayersModel): tf.SymbolicTensor {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Error(`Model ${model.name} must have one input and one output to be split (has ${model.inputs.length} and ${model.outputs.length})`);
  return model.inputs[0];
}

/** The activation at the output of `layer` for the input batch `x` (inference mode). */
export function runTo(model: tf.LayersModel, x: tf.Tensor, layer: string): tf.Tensor {
  return executeGraph(model, [[modelInput(model), x]], [layerTensor(model, layer)])[0];
}

/**
 * The model output (logits) computed from `activation` at the output of `layer`. If some path to
 * the output bypasses `layer` (a skip connection over it), that path needs the input: pass `x`,
 * and it is computed from `x` while `activation` replaces only what flows through `layer` (so a
 * gradient with respect to `activation` is the partial derivative, as Grad-CAM wants).
 */
export function runFrom(model: tf.LayersModel, layer: string, activation: tf.Tensor, x?: tf.Tensor): tf.Tensor {
  const feeds: Array<[tf.SymbolicTensor, tf.Tensor]> = [[layerTensor(model, layer), activation]];
  if (x) feeds.push([modelInput(model), x]);
  try {
    return executeGraph(model, feeds, [model.outputs[0]])[0];
  } catch (e) {
    if (!x && e instanceof Error && e.message.includes("not fed")) throw new Error(`Layer '${layer}' does not separate model ${model.name}'s output from its input (a path bypasses it); pass x to runFrom`);
    throw e;
  }
}
