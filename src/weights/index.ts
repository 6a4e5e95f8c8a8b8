/**
 * Pretrained weights: the catalog (Keras Applications' ImageNet ResNet-50), a verified, resumable
 * fetch through src/data's downloader, and Keras .h5 files read with jsfive and put onto
 * src/models' Keras-topology networks by layer name.
 */
import * as fs from "node:fs";
import { download, hashFile, type DownloadResult } from "../data/fetch";
import { buildModel } from "../models/registry";
import type { tf } from "../backend/tf";
import { manualWeights, requireWeights, weightsPath, weightsRoot, type WeightsEntry } from "./catalog";
import { applyKerasWeights, readKerasH5, type LoadReport } from "./keras-h5";

export * from "./catalog";
export * from "./keras-h5";

/**
 * Downloads the entry's file into the weights folder, MD5-checked and renamed into place only
 * when it matches (a cut download resumes). `url` fetches from a mirror instead of the entry's URL.
 */
export async function fetchWeights(entry: WeightsEntry, options: { root?: string; url?: string; quiet?: boolean; retries?: number; retryDelayMs?: number } = {}): Promise<DownloadResult & { reused: boolean }> {
  const root = options.root ?? weightsRoot();
  const dest = weightsPath(entry, root);
  fs.mkdirSync(root, { recursive: true });
  if (fs.existsSync(dest)) {
    const h = await hashFile(dest);
    if (h.md5 === entry.md5) return { path: dest, bytes: h.bytes, md5: h.md5, sha256: h.sha256, resumed: false, requests: 0, reused: true };
    throw new Error(`${dest} exists but its MD5 is ${h.md5}, not ${entry.md5}: delete it and fetch again.`);
  }
  const r = await download(options.url ?? entry.url, dest, { md5: entry.md5, quiet: options.quiet, manual: manualWeights(entry, root), retries: options.retries, retryDelayMs: options.retryDelayMs, label: entry.file });
  return { ...r, reused: false };
}

/**
 * The entry's architecture with `classes` outputs and the paper's head, its trunk loaded from the
 * weights file (the head stays freshly initialised), the weights' preprocessing inside the model.
 */
export function pretrainedModel(entry: WeightsEntry, inputShape: readonly [number, number, number], classes: number, seed = 0, options: { root?: string; file?: string } = {}): { model: tf.LayersModel; report: LoadReport; file: string } {
  const file = options.file ?? requireWeights(entry, options.root);
  const weights = readKerasH5(file);
  const model = buildModel(entry.arch, inputShape, classes, seed, { preprocess: entry.preprocess });
  try {
    return { model, report: applyKerasWeights(model, weights), file };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
