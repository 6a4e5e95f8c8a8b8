/**
 * Named architectures. Profiles (src/config) name one; users can name any of:
 * - `resnet-tiny` (smoke), `resnet-bench` (issue #4's benchmark net, PyTorch-style linear head),
 *   `resnet18`, `resnet50` (ImageNet topologies; resnet50 is Keras-applications' ResNet50);
 * - `resnet<6n+2>[-w<W>][-s<S>]`: He et al.'s CIFAR ResNets of n BasicBlocks per stage, base
 *   width W (16), stem stride S (1). `resnet20-s2` at 64x64 costs what ResNet-20 costs at 32x32.
 * - `cnn-w<W>-d<D>`: the plain CNN family of the capacity sweeps.
 * - `<name>@<tag>`: the architecture `<name>` trained in a run folder of its own (the tag names
 *   the variant, e.g. the input-size experiment's `resnet20-s2@px128`).
 * All but resnet-bench carry the paper's head (see head.ts).
 */
import type { tf } from "../backend/tf";
import type { HeadKind } from "./head";
import { resnet, type ResNetSpec } from "./resnet";
import { plainCnn } from "./plain";
import type { Preprocess } from "./preprocess";

export type Arch =
  | ({ readonly family: "resnet"; readonly description: string } & Omit<ResNetSpec, "inputShape" | "classes" | "seed">)
  | { readonly family: "cnn"; readonly description: string; readonly width: number; readonly depth: number; readonly head?: HeadKind };

export const ARCHITECTURES: Readonly<Record<string, Arch>> = Object.freeze({
  "resnet-tiny": { family: "resnet", description: "smoke profile: the smallest net with every layer type", stem: 8, stages: [8, 16], blocks: 1 },
  resnet20: { family: "resnet", description: "He et al.'s CIFAR ResNet-20 (3 stages x 3 BasicBlocks, 16/32/64)", stem: 16, stages: [16, 32, 64], blocks: 3 },
  "resnet20-s2": {
    family: "resnet",
    description: "ResNet-20 with a stride-2 stem: the cpu profile's net for 64x64 inputs",
    stem: { filters: 16, kernel: 3, stride: 2, pool: false },
    stages: [16, 32, 64],
    blocks: 3,
  },
  "resnet-bench": { family: "resnet", description: "issue #4's benchmark net (1.23M parameters, linear head)", stem: 32, stages: [32, 64, 128, 256], blocks: 1, head: "linear" },
  resnet18: { family: "resnet", description: "ResNet-18 (ImageNet topology)", stem: { filters: 64, kernel: 7, stride: 2, pool: true }, stages: [64, 128, 256, 512], blocks: [2, 2, 2, 2] },
  resnet50: {
    family: "resnet",
    description: "ResNet-50 with Keras-applications' topology: the paper's model",
    stem: { filters: 64, kernel: 7, stride: 2, pool: true },
    stages: [64, 128, 256, 512],
    blocks: [3, 4, 6, 3],
    block: "bottleneck",
    keras: true,
  },
});

const PATTERNS = "resnet<6n+2>[-w<width>][-s<stem stride>], cnn-w<width>-d<depth>";

function parse(name: string): Arch | undefined {
  let m = /^resnet(\d+)(?:-w(\d+))?(?:-s(\d+))?$/.exec(name);
  if (m && (Number(m[1]) - 2) % 6 === 0 && Number(m[1]) >= 8) {
    const n = (Number(m[1]) - 2) / 6;
    const w = m[2] ? Number(m[2]) : 16;
    const s = m[3] ? Number(m[3]) : 1;
    if (w >= 1 && s >= 1 && s <= 4) return { family: "resnet", description: `CIFAR ResNet-${m[1]}, width ${w}, stem stride ${s}`, stem: { filters: w, kernel: 3, stride: s, pool: false }, stages: [w, 2 * w, 4 * w], blocks: n };
  }
  m = /^cnn-w(\d+)-d(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 1 && Number(m[2]) >= 1) return { family: "cnn", description: `plain CNN, width ${m[1]}, depth ${m[2]}`, width: Number(m[1]), depth: Number(m[2]) };
  return undefined;
}

/** The architecture part of a model name (`resnet20-s2@px128` -> `resnet20-s2`). */
export function baseModelName(name: string): string {
  const at = name.indexOf("@");
  if (at < 0) return name;
  if (!/^[\w.-]+$/.test(name.slice(at + 1))) throw new Error(`Model '${name}': the tag after '@' must be letters, digits, '.', '_' or '-' (e.g. ${name.slice(0, at)}@px128)`);
  return name.slice(0, at);
}

export function architecture(name: string): Arch {
  const base = baseModelName(name);
  const a = ARCHITECTURES[base] ?? parse(base);
  if (a === undefined) throw new Error(`Unknown model '${name}'. Known: ${Object.keys(ARCHITECTURES).join(", ")}; or ${PATTERNS}; any of them may carry a run tag, <name>@<tag>.`);
  return a;
}

export function buildModel(name: string, inputShape: readonly [number, number, number], classes: number, seed = 0, options: { preprocess?: Preprocess } = {}): tf.LayersModel {
  const a = architecture(name);
  if (!(Number.isInteger(classes) && classes >= 2)) throw new Error(`A classifier needs at least 2 classes, got ${classes}`);
  const preprocess = options.preprocess ?? "none";
  if (a.family === "cnn") return plainCnn({ inputShape, classes, width: a.width, depth: a.depth, head: a.head, seed, preprocess });
  const { family: _f, description: _d, ...spec } = a;
  return resnet({ ...spec, inputShape, classes, seed, preprocess });
}
