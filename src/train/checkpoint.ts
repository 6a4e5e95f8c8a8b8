/**
 * Models on disk in tfjs' own layout, since pure tfjs has no `file://` handler in Node:
 * `<name>.json` (tfjs model.json: topology + weightsManifest) beside one `<name>.<hash>.bin`.
 * tf.loadLayersModel reads the same files over http, and `loadModelFile` reads a user's own
 * tfjs model (several shards allowed).
 *
 * Writes are atomic the way a reader needs: the weights go to a new content-named file first,
 * the JSON that names them is renamed into place last, then stale weight files are removed. A
 * crash at any point leaves either the old or the new model, never a mix.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import { writeFileAtomic } from "../config/io";

export type NamedArrays = Array<{ name: string; data: Float32Array; shape: number[] }>;

const writeAtomic = (file: string, data: string | Uint8Array): void => writeFileAtomic(file, data, "Free space or make the folder writable, or save elsewhere (train: out / --out DIR, or MIA_MODELS_DIR).");

/**
 * Writes `<dir>/<name>.json` + `<name>.<hash>.bin`. `extra` is merged into the JSON (tfjs ignores
 * unknown keys; we keep run metadata under "mia"). Extra named float arrays (optimizer state)
 * are appended to the same .bin and listed under mia.extraSpecs.
 */
export async function saveModelFile(model: tf.LayersModel, dir: string, name: string, extra: { mia?: object; extraArrays?: NamedArrays } = {}): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  const a = saved!;
  const modelBytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
  const extraArrays = extra.extraArrays ?? [];
  const extraBytes = extraArrays.reduce((s, e) => s + e.data.byteLength, 0);
  const bytes = new Uint8Array(modelBytes.byteLength + extraBytes);
  bytes.set(modelBytes, 0);
  let offset = modelBytes.byteLength;
  for (const e of extraArrays) {
    bytes.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), offset);
    offset += e.data.byteLength;
  }
  const bin = `${name}.${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}.bin`;
  const json = {
    format: a.format ?? "layers-model",
    generatedBy: a.generatedBy,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [bin], weights: a.weightSpecs }],
    mia: { ...extra.mia, extraSpecs: extraArrays.map((e) => ({ name: e.name, shape: e.shape, dtype: "float32" })), weightBytes: modelBytes.byteLength },
  };
  writeAtomic(path.join(dir, bin), bytes);
  writeAtomic(path.join(dir, `${name}.json`), JSON.stringify(json));
  for (const f of fs.readdirSync(dir)) if (f.startsWith(`${name}.`) && f.endsWith(".bin") && f !== bin) fs.rmSync(path.join(dir, f), { force: true });
  return path.join(dir, `${name}.json`);
}

export interface LoadedModelFile {
  readonly model: tf.LayersModel;
  /** Our run metadata (absent for a model saved elsewhere). */
  readonly mia?: Record<string, unknown>;
  readonly extraArrays: NamedArrays;
}

/** Reads a tfjs model.json (ours or anyone's) and its weight files; clear errors for damaged files. */
export async function loadModelFile(jsonPath: string): Promise<LoadedModelFile> {
  const fix = `Delete ${path.dirname(jsonPath)} (or retrain with force: true / --force) to start over.`;
  if (!fs.existsSync(jsonPath)) throw new Error(`No model at ${jsonPath}.`);
  let json: tf.io.ModelJSON & { mia?: Record<string, unknown> & { extraSpecs?: Array<{ name: string; shape: number[] }>; weightBytes?: number } };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (e) {
    throw new Error(`${jsonPath} is not valid JSON (${(e as Error).message}). ${fix}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${jsonPath} is not a tfjs layers model (no modelTopology / weightsManifest). ${fix}`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    for (const p of g.paths) {
      const f = path.join(path.dirname(jsonPath), p);
      if (!fs.existsSync(f)) throw new Error(`Weights file ${f} named by ${jsonPath} is missing. ${fix}`);
      parts.push(fs.readFileSync(f));
    }
  }
  const all = Buffer.concat(parts);
  // Our weight files are named by the SHA-256 of their bytes: a changed byte is a damaged file.
  const named = json.weightsManifest.length === 1 && json.weightsManifest[0].paths.length === 1 ? OUR_BIN.exec(json.weightsManifest[0].paths[0]) : null;
  if (named) {
    const digest = createHash("sha256").update(all).digest("hex");
    if (!digest.startsWith(named[1])) throw new Error(`Weights file ${path.join(path.dirname(jsonPath), json.weightsManifest[0].paths[0])} does not match the checksum in its name (SHA-256 ${digest.slice(0, 12)}...): it was changed or damaged after saving. ${fix}`);
  }
  const modelBytes = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (BYTES_PER[w.dtype] ?? 4), 0);
  const extraSpecs = json.mia?.extraSpecs ?? [];
  const extraBytes = extraSpecs.reduce((s, e) => s + 4 * e.shape.reduce((a, b) => a * b, 1), 0);
  if (all.byteLength !== modelBytes + extraBytes) {
    throw new Error(`Weights of ${jsonPath} are damaged: ${all.byteLength} bytes on disk, the manifest needs ${modelBytes + extraBytes}. ${fix}`);
  }
  const buffer = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const bad = nonFiniteWeight(specs, buffer);
  if (bad) throw new Error(`Weights of ${jsonPath} are not finite: '${bad.name}' holds ${bad.value} (${bad.count.toLocaleString("en")} of its values). A model trained into NaN or Inf cannot be attacked or judged. ${fix}`);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: buffer.slice(0, modelBytes) }));
  } catch (e) {
    throw new Error(`Could not rebuild the model in ${jsonPath}: ${(e as Error).message}. ${fix}`);
  }
  const extraArrays: NamedArrays = [];
  let offset = modelBytes;
  for (const e of extraSpecs) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    extraArrays.push({ name: e.name, shape: e.shape, data: new Float32Array(buffer.slice(offset, offset + 4 * n)) });
    offset += 4 * n;
  }
  return { model, mia: json.mia, extraArrays };
}

/** Bytes per value of the dtypes a weights manifest may hold. */
const BYTES_PER: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1 };

/** `<name>.<12 hex>.bin`: a weight file written by saveModelFile (the hex is its SHA-256 prefix). */
const OUR_BIN = /^[^/\\]+\.([0-9a-f]{12})\.bin$/;

/** The first float32 weight holding a NaN or an infinity, with the count of such values in it. */
function nonFiniteWeight(specs: readonly tf.io.WeightsManifestEntry[], buffer: ArrayBuffer): { name: string; value: number; count: number } | undefined {
  let offset = 0;
  for (const w of specs) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if ((w.dtype ?? "float32") === "float32") {
      const v = offset % 4 === 0 ? new Float32Array(buffer, offset, n) : new Float32Array(buffer.slice(offset, offset + 4 * n));
      let count = 0;
      let first = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(v[i])) continue;
        if (count === 0) first = v[i];
        count++;
      }
      if (count > 0) return { name: w.name, value: first, count };
    }
    offset += n * (BYTES_PER[w.dtype] ?? 4);
  }
  return undefined;
}

/**
 * Adam's running bias-correction powers (beta1^(t+1), beta2^(t+1)). tfjs keeps them as products
 * updated every step but does not save them: its setWeights recomputes them with pow, which
 * differs from the product in the last bits, so a resumed run would drift from an uninterrupted
 * one. They travel under these names after tfjs' own arrays.
 */
const ADAM_POWERS = ["mia/accBeta1", "mia/accBeta2"] as const;
type AdamPowers = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

/** Optimizer state as named arrays (tfjs' getWeights: the iteration count first, then slots; then Adam's powers). */
export async function optimizerState(opt: tf.Optimizer): Promise<NamedArrays> {
  const ws = await opt.getWeights();
  const out: NamedArrays = await Promise.all(ws.map(async (w) => ({ name: w.name, shape: w.tensor.shape, data: Float32Array.from(await w.tensor.data()) })));
  const adam = opt as unknown as AdamPowers;
  if (opt instanceof tf.AdamOptimizer && adam.accBeta1 && adam.accBeta2) {
    for (const [name, v] of [[ADAM_POWERS[0], adam.accBeta1], [ADAM_POWERS[1], adam.accBeta2]] as const) out.push({ name, shape: [], data: Float32Array.from(await v.data()) });
  }
  return out;
}

export async function restoreOptimizer(opt: tf.Optimizer, state: NamedArrays): Promise<void> {
  if (state.length === 0) return;
  const own = state.filter((s) => !(ADAM_POWERS as readonly string[]).includes(s.name));
  const named = own.map((s, i) => ({ name: s.name, tensor: i === 0 ? tf.scalar(s.data[0], "int32") : tf.tensor(s.data, s.shape) }));
  await opt.setWeights(named);
  // setWeights makes variables of these (sharing their data); our handles can go.
  tf.dispose(named.map((n) => n.tensor));
  const adam = opt as unknown as AdamPowers;
  const powers = ADAM_POWERS.map((name) => state.find((s) => s.name === name));
  if (opt instanceof tf.AdamOptimizer && adam.accBeta1 && adam.accBeta2 && powers[0] && powers[1]) {
    tf.tidy(() => {
      adam.accBeta1!.assign(tf.scalar(powers[0]!.data[0]));
      adam.accBeta2!.assign(tf.scalar(powers[1]!.data[0]));
    });
  }
}
