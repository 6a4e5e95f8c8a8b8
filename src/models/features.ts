/**
 * Named access to what a model computes on the way to its logits: the stage outputs the paper
 * shows (stage-3 and stage-5 maps), the 128-d deep feature the detectors read, and the logits.
 */
import { tf } from "../backend/tf";
import { FEATURE_LAYER, LOGITS_LAYER } from "./head";

/** Stage number (1 = stem, 2.. = residual/conv stages) -> name of the layer that ends it. */
export function stageOutputs(model: tf.LayersModel): Map<number, string> {
  const out = new Map<number, { block: number; name: string }>();
  for (const l of model.layers) {
    const m = /^conv(\d+)_block(\d+)_out$/.exec(l.name);
    if (!m) continue;
    const s = Number(m[1]);
    const b = Number(m[2]);
    if (!out.has(s) || out.get(s)!.block < b) out.set(s, { block: b, name: l.name });
  }
  const stages = new Map<number, string>();
  if (model.layers.some((l) => l.name === "conv1_relu")) stages.set(1, "conv1_relu");
  for (const [s, v] of [...out.entries()].sort((a, b) => a[0] - b[0])) stages.set(s, v.name);
  return stages;
}

/** The layer name for a stage number or an explicit layer name; a clear error otherwise. */
export function resolveLayer(model: tf.LayersModel, layer: number | string): string {
  if (typeof layer === "number") {
    const name = stageOutputs(model).get(layer);
    if (!name) throw new Error(`Model ${model.name} has no stage ${layer}; stages: ${[...stageOutputs(model).keys()].join(", ")}`);
    return name;
  }
  if (!model.layers.some((l) => l.name === layer)) throw new Error(`Model ${model.name} has no layer '${layer}'`);
  return layer;
}

/**
 * A model with the same weights whose outputs are the named layers (stage numbers or layer
 * names), in order. Dispose it with `dispose()` only if you also want the weights gone: it shares
 * them with `model`, so usually just drop it.
 */
export function intermediateModel(model: tf.LayersModel, layers: ReadonlyArray<number | string>): tf.LayersModel {
  const outputs = layers.map((l) => model.getLayer(resolveLayer(model, l)).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs });
}

/** Deep features (the paper's 128-d Dense output) and logits in one pass. */
export function featureModel(model: tf.LayersModel): tf.LayersModel {
  if (!model.layers.some((l) => l.name === FEATURE_LAYER)) throw new Error(`Model ${model.name} has no '${FEATURE_LAYER}' layer (the paper's 128-d head); build it with the paper head`);
  return intermediateModel(model, [FEATURE_LAYER, LOGITS_LAYER]);
}
