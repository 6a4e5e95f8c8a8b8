/**
 * Keras weight files (.h5, the `save_weights` / Keras Applications layout) read with jsfive and
 * put onto a tfjs model by layer name.
 *
 * The layout: the root's `layer_names` attribute lists every layer; the group of each layer has a
 * `weight_names` attribute (e.g. `conv1_conv/kernel:0`, `conv1_conv/bias:0`) naming datasets
 * under it; the attribute strings are fixed-length and NUL-padded. Keras stores convolution
 * kernels as [kh, kw, cin, cout] and dense kernels as [in, out], as tfjs does, and batch norm as
 * gamma, beta, moving_mean, moving_variance.
 */
import * as fs from "node:fs";
import * as hdf5 from "jsfive";
import { tf } from "../backend/tf";

export interface KerasTensor {
  /** The weight's own name without the layer prefix and ":0", e.g. "kernel", "moving_mean". */
  readonly name: string;
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface KerasWeights {
  readonly file: string;
  /** Layer name -> its weights, in the file's order; layers without weights are left out. */
  readonly layers: ReadonlyMap<string, readonly KerasTensor[]>;
  readonly kerasVersion?: string;
  readonly backend?: string;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The end-of-file address an HDF5 superblock declares (versions 0-3), or undefined. */
function declaredEnd(bytes: Uint8Array): number | undefined {
  if (bytes.length < 48) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  const offsetSize = version <= 1 ? bytes[13] : bytes[9];
  if (offsetSize !== 8 && offsetSize !== 4) return undefined;
  const at = version <= 1 ? 24 + (version === 1 ? 4 : 0) + 2 * offsetSize : 12 + 2 * offsetSize;
  if (at + offsetSize > bytes.length) return undefined;
  return offsetSize === 8 ? Number(dv.getBigUint64(at, true)) : dv.getUint32(at, true);
}

const clean = (s: unknown): string => String(s).replace(/\0+$/, "");
const strings = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(clean) : [clean(v)]);

/** Reads every layer's weights. Clear errors for a file that is not HDF5, is cut short, or is not in Keras' layout. */
export function readKerasH5(file: string): KerasWeights {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist.`);
  const bytes = fs.readFileSync(file);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error(`${file} is not an HDF5 file (no HDF5 signature): a Keras weights file (.h5) is needed.`);
  const end = declaredEnd(bytes);
  if (end !== undefined && bytes.length < end) throw new Error(`${file} is cut short: it holds ${bytes.length.toLocaleString("en")} of the ${end.toLocaleString("en")} bytes its header declares (an interrupted download?). Fetch it again.`);
  let root: hdf5.File;
  try {
    root = new hdf5.File(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, file);
  } catch (e) {
    throw new Error(`${file} could not be read as HDF5 (${(e as Error).message}): the file is damaged or incomplete. Fetch it again.`);
  }
  // Keras writes weight files at the root; full-model files keep them under model_weights.
  let top: hdf5.Group = root;
  if (root.attrs.layer_names === undefined && root.keys.includes("model_weights")) top = root.get("model_weights") as hdf5.Group;
  if (top.attrs.layer_names === undefined) throw new Error(`${file} is HDF5 but not a Keras weights file: it has no 'layer_names' attribute (groups: ${root.keys.slice(0, 8).join(", ")}).`);
  const layers = new Map<string, KerasTensor[]>();
  for (const layer of strings(top.attrs.layer_names)) {
    let g: hdf5.Group;
    try {
      g = top.get(layer) as hdf5.Group;
    } catch (e) {
      throw new Error(`${file}: layer '${layer}' is listed in layer_names but cannot be read (${(e as Error).message}); the file is damaged.`);
    }
    const names = strings(g?.attrs?.weight_names);
    if (names.length === 0) continue;
    const tensors = names.map((wn) => {
      let d: hdf5.Dataset;
      try {
        d = g.get(wn) as hdf5.Dataset;
        if (!d || d.value === undefined) throw new Error("missing");
      } catch (e) {
        throw new Error(`${file}: weight '${layer}/${wn}' cannot be read (${(e as Error).message}); the file is damaged or incomplete.`);
      }
      const data = d.value instanceof Float32Array ? d.value : Float32Array.from(d.value);
      const shape = [...d.shape];
      if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${file}: weight '${layer}/${wn}' holds ${data.length} values for shape [${shape}]; the file is damaged.`);
      const base = wn.split("/").pop()!.replace(/:\d+$/, "");
      return { name: base, shape, data };
    });
    layers.set(layer, tensors);
  }
  return { file, layers, kerasVersion: top.attrs.keras_version === undefined ? undefined : clean(top.attrs.keras_version), backend: top.attrs.backend === undefined ? undefined : clean(top.attrs.backend) };
}

export interface LoadReport {
  /** Model layers that received weights from the file. */
  readonly loaded: readonly string[];
  /** Model layers with weights that the file does not have (e.g. the new classifier head). */
  readonly notInFile: readonly string[];
  /** Layers of the file that the model does not have. */
  readonly unused: readonly string[];
  readonly values: number;
}

/**
 * Copies `weights` onto the model's layers of the same name, weight by weight (matched by name:
 * kernel, bias, gamma, beta, moving_mean, moving_variance). Shapes must agree exactly. Layers
 * listed in `allowMissing` (default: the paper's head, `feature` and `logits`) may be absent from
 * the file; any other model layer with weights missing from the file is an error, so a file for
 * another architecture is refused before anything is changed.
 */
export function applyKerasWeights(model: tf.LayersModel, weights: KerasWeights, options: { allowMissing?: readonly string[] } = {}): LoadReport {
  const allowMissing = new Set(options.allowMissing ?? ["feature", "logits"]);
  const plan: Array<{ variable: tf.LayerVariable; tensor: KerasTensor; layer: string }> = [];
  const loaded: string[] = [];
  const notInFile: string[] = [];
  const missing: string[] = [];
  const problems: string[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const found = weights.layers.get(layer.name);
    if (!found) {
      (allowMissing.has(layer.name) ? notInFile : missing).push(layer.name);
      continue;
    }
    for (const v of layer.weights) {
      const base = v.originalName.split("/").pop()!.replace(/_\d+$/, "");
      const t = found.find((w) => w.name === base);
      if (!t) problems.push(`${layer.name}/${base}: not in the file (it has ${found.map((w) => w.name).join(", ")})`);
      else if (t.shape.join("x") !== v.shape.join("x")) problems.push(`${layer.name}/${base}: shape [${t.shape}] in the file, [${v.shape}] in the model`);
      else plan.push({ variable: v, tensor: t, layer: layer.name });
    }
    loaded.push(layer.name);
  }
  const names = [...weights.layers.keys()];
  if (missing.length > 0) {
    const sample = names.slice(0, 6).join(", ");
    throw new Error(`${weights.file} does not fit this model: ${missing.length} of its layers have no weights in the file (e.g. ${missing.slice(0, 4).join(", ")}); the file's layers are ${sample}${names.length > 6 ? ", ..." : ""}. Is it the weights file of another architecture?`);
  }
  if (problems.length > 0) throw new Error(`${weights.file} does not fit this model:\n  ${problems.slice(0, 8).join("\n  ")}${problems.length > 8 ? `\n  ... and ${problems.length - 8} more` : ""}`);
  for (const { variable, tensor } of plan) {
    const t = tf.tensor(tensor.data, tensor.shape);
    variable.write(t);
    t.dispose();
  }
  const modelLayers = new Set(model.layers.map((l) => l.name));
  return { loaded, notInFile, unused: names.filter((n) => !modelLayers.has(n)), values: plan.reduce((s, p) => s + p.tensor.data.length, 0) };
}
