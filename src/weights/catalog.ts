/**
 * Pretrained weights this project knows how to fetch and load, and where they live on disk.
 * `MIA_WEIGHTS_DIR` moves the folder (default data/weights/, gitignored).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Preprocess } from "../models/preprocess";
import { weightsRoot } from "../config/paths";

export interface WeightsEntry {
  readonly id: string;
  /** The architecture (src/models registry name) the weights are for. */
  readonly arch: string;
  readonly file: string;
  readonly url: string;
  readonly md5: string;
  /** The input preprocessing the weights were trained with (put inside the model). */
  readonly preprocess: Preprocess;
  readonly description: string;
  /** Where the URL and checksum come from. */
  readonly source: string;
}

export const WEIGHTS: readonly WeightsEntry[] = [
  {
    id: "resnet50-imagenet",
    arch: "resnet50",
    file: "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    url: "https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    md5: "4d473c1dd8becc155b73f8504c6f6626",
    preprocess: "caffe",
    description: "Keras Applications' ResNet-50, ImageNet-1k, without the classifier (include_top=False): the paper's starting point",
    source: "Keras, keras/src/applications/resnet.py: BASE_WEIGHTS_PATH + resnet50 notop file name, WEIGHTS_HASHES['resnet50'][1] (MD5, as keras.utils.get_file checks it)",
  },
];

export function weightsEntry(id: string): WeightsEntry {
  const e = WEIGHTS.find((w) => w.id === id);
  if (!e) throw new Error(`Unknown weights '${id}'. Known: ${WEIGHTS.map((w) => w.id).join(", ")}.`);
  return e;
}

export { weightsRoot };

export function weightsPath(entry: WeightsEntry, root: string = weightsRoot()): string {
  return path.join(root, entry.file);
}

/** The instructions for a machine without network access to the weights' host. */
export function manualWeights(entry: WeightsEntry, root: string = weightsRoot()): string {
  return `download ${entry.url} by hand (browser, curl or wget) and put it at ${weightsPath(entry, root)} (MD5 ${entry.md5}), or run 'mia weights --fetch ${entry.id}' where the host is reachable`;
}

/** The local file of `entry`, or an error saying how to get it. Its checksum is checked when fetched, and its layout when loaded. */
export function requireWeights(entry: WeightsEntry, root: string = weightsRoot()): string {
  const file = weightsPath(entry, root);
  if (!fs.existsSync(file)) throw new Error(`The ${entry.id} weights are not at ${file}. Fetch them: npm run mia -- weights --fetch ${entry.id}; without network, ${manualWeights(entry, root)}.`);
  return file;
}
