/**
 * Attack outputs on disk, for the detection work and for any other tool: NumPy .npy files
 * (clean and adversarial images as float32 NHWC in [0, 1], int32 labels and predictions) beside
 * a meta.json, in `<results root>/<profile>/<task>/<model>/adv/<attack>-eps<eps>/`. The one
 * writer (saveAdversarial) and the one reader (loadAdversarialSet) of that format are here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend/tf";
import type { Engine } from "../backend/engine";
import { readJsonFile, readNpyFile } from "../data/files";
import { writeNpy, type NpyArray } from "../data/npy";
import { predictLabels, type Attack, type LabelMode } from "./attack";
import { writeFileAtomic } from "../config/io";
import { resultsRoot, runFolder, safeSegment } from "../config/paths";

export { resultsRoot };

/** What to do when a results folder cannot be written. */
export const RESULTS_HINT = "Free space or make the folder writable, or set MIA_RESULTS_DIR to another folder.";

export function adversarialDir(root: string, k: { profile: string; task: string; model: string; attack: string; eps: number }): string {
  return path.join(runFolder(root, k.profile, k.task, k.model), "adv", `${safeSegment(k.attack)}-eps${k.eps}`);
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

export const SET_FILES = ["x_clean.npy", "x_adv.npy", "labels.npy", "pred_clean.npy", "pred_adv.npy"] as const;

/** How to recreate the set in `dir`; task, attack and eps come from the folder's name where it has the usual layout. */
export function attackFix(dir: string): string {
  // <root>/<profile>/<task>/<model>/adv/<attack>-eps<eps>
  const parts = path.resolve(dir).split(path.sep);
  const m = /^([a-z]+)-eps([\d.]+)$/i.exec(parts[parts.length - 1] ?? "");
  const usual = m && parts[parts.length - 2] === "adv" && parts.length >= 6;
  const cmd = usual
    ? `npm run mia -- attack --task ${parts[parts.length - 4]} --attack ${m![1]} --eps ${m![2]} --profile ${parts[parts.length - 5]} --model ${parts[parts.length - 3]}`
    : `npm run mia -- attack --task <task> --attack <fgsm|bim|pgd|cw> --eps <eps> --out ${dir}`;
  return `Recreate the adversarial set: run notebooks/03-attacks.ipynb, or \`${cmd}\` (it saves to ${dir})`;
}

/**
 * An adversarial set written by saveAdversarial (notebook 03 / `mia attack`), checked whole: every
 * file present and complete, shapes that agree with each other and with meta.json, labels and
 * predictions that are classes, pixels that are finite and in [0, 1].
 */
export function loadAdversarialSet(dir: string): AdversarialSet {
  const fix = attackFix(dir);
  const meta = readJsonFile(path.join(dir, "meta.json"), fix);
  const [xc, xa, y, pc, pa] = SET_FILES.map((f) => readNpyFile(path.join(dir, f), f.startsWith("x_") ? "float32" : "int32", fix));
  const n = y.shape[0];
  const same = (a: NpyArray, b: NpyArray) => a.shape.length === b.shape.length && a.shape.every((v, i) => v === b.shape[i]);
  if (xc.shape.length !== 4 || !same(xc, xa) || xc.shape[0] !== n || [pc, pa].some((a) => !same(a, y)) || y.shape.length !== 1) {
    throw new Error(`${dir}: the arrays disagree (x_clean [${xc.shape}], x_adv [${xa.shape}], labels [${y.shape}], pred_clean [${pc.shape}], pred_adv [${pa.shape}]). ${fix}`);
  }
  const metaShape = Array.isArray(meta.shape) ? (meta.shape as number[]) : undefined;
  if ((typeof meta.n === "number" && meta.n !== n) || (metaShape && (metaShape.length !== 4 || metaShape.some((v, i) => v !== xc.shape[i])))) {
    throw new Error(`${dir}: meta.json says ${meta.n} images of shape [${metaShape}], the arrays hold [${xc.shape}]. ${fix}`);
  }
  const classes = Array.isArray(meta.classNames) ? meta.classNames.length : undefined;
  for (const [name, a] of [["labels", y], ["pred_clean", pc], ["pred_adv", pa]] as const) {
    const bad = (a.data as Int32Array).findIndex((v) => v < 0 || (classes !== undefined && v >= classes));
    if (bad >= 0) throw new Error(`${dir}: ${name}.npy[${bad}] is ${a.data[bad]}, not a class (0..${classes === undefined ? "" : classes - 1}). ${fix}`);
  }
  for (const [name, a] of [["x_clean", xc], ["x_adv", xa]] as const) {
    const bad = (a.data as Float32Array).findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new Error(`${dir}: ${name}.npy holds ${a.data[bad]} at flat index ${bad}; images are in [0, 1]. ${fix}`);
  }
  if (Array.isArray(meta.ids) && meta.ids.length !== n) throw new Error(`${dir}: meta.json lists ${meta.ids.length} ids for ${n} images. ${fix}`);
  const ids = Array.isArray(meta.ids) ? (meta.ids as string[]) : Array.from({ length: n }, (_, i) => String(i));
  return { shape: xc.shape, clean: xc.data as Float32Array, adversarial: xa.data as Float32Array, labels: y.data as Int32Array, predClean: pc.data as Int32Array, predAdv: pa.data as Int32Array, ids, meta };
}

/**
 * Whether the set saved in `dir` can be reused for `key`: it must exist, carry that key and load
 * whole. `problem` says why a set that would have been reused cannot be (the caller recomputes it).
 */
export function reusableSet(dir: string, key: string): { reuse: boolean; problem?: string } {
  if (!fs.existsSync(path.join(dir, "meta.json"))) return { reuse: false };
  try {
    // Only a set with the right key is worth reading whole.
    if (readJsonFile(path.join(dir, "meta.json"), "").key !== key) return { reuse: false };
    loadAdversarialSet(dir);
    return { reuse: true };
  } catch (e) {
    return { reuse: false, problem: (e as Error).message.replace(/ Recreate the adversarial set:.*$/s, "").trim() };
  }
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
  for (const [name, bytes] of files) writeFileAtomic(path.join(dir, name), bytes, RESULTS_HINT);
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
