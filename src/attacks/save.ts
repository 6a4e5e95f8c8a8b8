/**
 * Attack outputs on disk, for the detection work and for any other tool: NumPy .npy files
 * (clean and adversarial images as float32 NHWC in [0, 1], int32 labels and predictions) beside
 * a meta.json, in `<results root>/<profile>/<task>/<model>/adv/<attack>-eps<eps>/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { writeNpy } from "../data/npy";
import { predictLabels, type Attack, type LabelMode } from "./attack";
import { REPO_ROOT } from "../data/root";

export function resultsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MIA_RESULTS_DIR?.trim() || path.join(REPO_ROOT, "data", "results"));
}

export function adversarialDir(root: string, k: { profile: string; task: string; model: string; attack: string; eps: number }): string {
  const safe = (s: string) => s.replace(/[^\w.-]+/g, "_");
  return path.join(root, safe(k.profile), safe(k.task), safe(k.model), "adv", `${safe(k.attack)}-eps${k.eps}`);
}

export interface AdversarialSet {
  readonly shape: number[];
  readonly clean: Float32Array;
  readonly adversarial: Float32Array;
  readonly labels: Int32Array;
  readonly predClean: Int32Array;
  readonly predAdv: Int32Array;
  readonly ids: readonly string[];
  readonly meta: Record<string, unknown>;
}

/** Writes the set (each file atomically; meta.json last, so its presence means complete). */
export function saveAdversarial(dir: string, s: AdversarialSet): string[] {
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, "meta.json"), { force: true });
  const n = s.labels.length;
  const files: Array<[string, Uint8Array]> = [
    ["x_clean.npy", writeNpy({ dtype: "float32", shape: s.shape, data: s.clean })],
    ["x_adv.npy", writeNpy({ dtype: "float32", shape: s.shape, data: s.adversarial })],
    ["labels.npy", writeNpy({ dtype: "int32", shape: [n], data: s.labels })],
    ["pred_clean.npy", writeNpy({ dtype: "int32", shape: [n], data: s.predClean })],
    ["pred_adv.npy", writeNpy({ dtype: "int32", shape: [n], data: s.predAdv })],
    ["meta.json", new TextEncoder().encode(JSON.stringify({ ...s.meta, n, shape: s.shape, ids: s.ids, files: ["x_clean.npy", "x_adv.npy", "labels.npy", "pred_clean.npy", "pred_adv.npy"] }, null, 1))],
  ];
  for (const [name, bytes] of files) {
    const tmp = path.join(dir, `${name}.tmp-${process.pid}`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path.join(dir, name));
  }
  return files.map(([f]) => path.join(dir, f));
}

/**
 * Runs `attack` on x and collects what saveAdversarial writes: images, true labels, clean and
 * adversarial predictions. `predClean` may be passed when already known (one predict less).
 */
export async function collectAdversarial(
  target: Engine,
  attack: Attack,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  o: { labels: LabelMode; ids: readonly string[]; meta: Record<string, unknown>; predClean?: Int32Array },
): Promise<AdversarialSet> {
  const pcT = o.predClean ? tf.tensor1d(o.predClean, "int32") : await predictLabels(target, x);
  const adv = await attack.run(x, o.labels === "true" ? y : pcT);
  const paT = await predictLabels(target, adv);
  const set: AdversarialSet = {
    shape: x.shape,
    clean: (await x.data()) as Float32Array,
    adversarial: (await adv.data()) as Float32Array,
    labels: Int32Array.from(await y.data()),
    predClean: Int32Array.from(await pcT.data()),
    predAdv: Int32Array.from(await paT.data()),
    ids: o.ids,
    meta: o.meta,
  };
  tf.dispose([pcT, adv, paT]);
  return set;
}
