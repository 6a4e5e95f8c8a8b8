/**
 * Named architectures. The profiles (src/config) name one of these; #6 adds the paper's
 * ResNet-50 head and the capacity grid.
 */
import type { tf } from "../backend/tf";
import { resnet, type ResNetSpec } from "./resnet";

type Arch = Omit<ResNetSpec, "inputShape" | "classes" | "seed">;

export const ARCHITECTURES: Readonly<Record<string, Arch>> = Object.freeze({
  /** smoke profile: the smallest network that still has every layer type. */
  "resnet-tiny": { stem: 8, stages: [8, 16], blocks: 1 },
  /** He et al.'s CIFAR ResNet-20 (3 stages of 3 BasicBlocks, 16/32/64 filters): the cpu profile. */
  resnet20: { stem: 16, stages: [16, 32, 64], blocks: 3 },
  /** The benchmark network of issue #4 (1.23M parameters). */
  "resnet-bench": { stem: 32, stages: [32, 64, 128, 256], blocks: 1 },
});

export function architecture(name: string): Arch {
  const a = ARCHITECTURES[name];
  if (a === undefined) throw new Error(`Unknown model '${name}'. Known: ${Object.keys(ARCHITECTURES).join(", ")}.`);
  return a;
}

export function buildModel(name: string, inputShape: readonly [number, number, number], classes: number, seed = 0): tf.LayersModel {
  return resnet({ ...architecture(name), inputShape, classes, seed });
}
