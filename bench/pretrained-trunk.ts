/**
 * Issue 15, item 3 (offline arm): is the MobileNetV2 that the npm package nsfwjs ships (a Keras
 * MobileNetV2, 224x224, 8-bit quantised; by the issue's account blocks 0-10 carry Keras' ImageNet
 * weights and the upper blocks were fine-tuned for nsfwjs' own task) a useful pretrained trunk for
 * dr, cxr and derm? Frozen-trunk linear probes: global-average-pooled block_10 (96-d, the
 * ImageNet blocks) and out_relu (1280-d, the whole trunk) features of every image, an
 * L2-regularised logistic regression per task (penalty chosen on the validation split), test AUC
 * on the task's whole test split, beside the from-scratch models.
 *
 *   npm install --no-save nsfwjs@4.4.0   (not a dependency of the project)
 *   node dist/bench/pretrained-trunk.js [--tasks dr,cxr,derm] [--size 224] [--scale unit|signed] [--features 96,1280] [--limit N]
 *   (--features 96 fits only the block_10 probe: the 1280-d one is slow, Newton's method in JavaScript)
 *
 * Prints one JSON line per (task, feature, scale) and appends them to bench/results/pretrained-trunk.jsonl.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { initBackend, tf } from "../src/backend";
import { PROFILES } from "../src/config";
import { loadTask, type SplitData } from "../src/data";
import { REPO_ROOT } from "../src/data/root";
import { LogisticRegression } from "../src/detect/logistic";
import { rocAuc } from "../src/train/metrics";

const { values: v } = parseArgs({ options: { tasks: { type: "string", default: "dr,cxr,derm" }, size: { type: "string", default: "224" }, scale: { type: "string", default: "unit,signed" }, limit: { type: "string" }, batch: { type: "string", default: "32" }, features: { type: "string", default: "96,1280" } } });

function nsfwjsDir(): string {
  for (const base of [path.join(REPO_ROOT, "node_modules"), ...(require.resolve.paths("nsfwjs") ?? [])]) {
    const d = path.join(base, "nsfwjs", "dist", "models", "mobilenet_v2");
    if (fs.existsSync(path.join(d, "model.min.js"))) return d;
  }
  throw new Error("nsfwjs is not installed: npm install --no-save nsfwjs@4.4.0");
}

async function loadMobileNet(): Promise<tf.LayersModel> {
  const dir = nsfwjsDir();
  // The package wraps model.json and the base64 weight shard in browserify modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const json = require(path.join(dir, "model.min.js")) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shard = require(path.join(dir, "group1-shard1of1.min.js")) as string;
  const bytes = Buffer.from(shard, "base64");
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }));
}

async function features(trunk: tf.LayersModel, split: SplitData, scale: "unit" | "signed", batch: number, limit?: number): Promise<{ f96: Float32Array; f1280: Float32Array; labels: Int32Array; n: number }> {
  const n = Math.min(split.n, limit ?? Infinity);
  // With a limit, images evenly spaced over the split (it is sorted by id, not by class).
  const pickIdx = (k: number) => Math.floor((k * split.n) / n);
  const f96 = new Float32Array(n * 96);
  const f1280 = new Float32Array(n * 1280);
  const t0 = Date.now();
  for (let i = 0; i < n; i += batch) {
    const idx = Array.from({ length: Math.min(batch, n - i) }, (_, k) => pickIdx(i + k));
    const { x, y } = split.toTensors(idx);
    y.dispose();
    const [a, b] = tf.tidy(() => {
      const inp = scale === "signed" ? tf.sub(tf.mul(x, 2), 1) : x;
      const [m10, top] = trunk.predict(inp) as tf.Tensor[];
      return [tf.mean(m10, [1, 2]), tf.mean(top, [1, 2])];
    });
    f96.set(await a.data(), i * 96);
    f1280.set(await b.data(), i * 1280);
    tf.dispose([x, a, b]);
    if ((i / batch) % 20 === 0) process.stderr.write(`  ${split.name}: ${i + idx.length}/${n} (${((i + idx.length) / ((Date.now() - t0) / 1000)).toFixed(1)} images/s)\n`);
  }
  return { f96, f1280, labels: Int32Array.from({ length: n }, (_, k) => split.labels[pickIdx(k)]), n };
}

function probe(train: { x: Float32Array; y: Int32Array; d: number }, val: { x: Float32Array; y: Int32Array }, test: { x: Float32Array; y: Int32Array }) {
  let best = { l2: NaN, val: -1, test: NaN };
  for (const l2 of [0.1, 1, 10, 100, 1000]) {
    const lr = new LogisticRegression({ l2, scale: "zscore", maxIter: 50 }).fit({ x: train.x, n: train.y.length, d: train.d }, train.y);
    const va = rocAuc(Array.from(val.y, (c) => c === 1), lr.decisionFunction({ x: val.x, n: val.y.length, d: train.d }));
    if (va > best.val) best = { l2, val: va, test: rocAuc(Array.from(test.y, (c) => c === 1), lr.decisionFunction({ x: test.x, n: test.y.length, d: train.d })) };
  }
  return best;
}

async function main(): Promise<void> {
  const info = await initBackend();
  const size = Number(v.size);
  const limit = v.limit ? Number(v.limit) : undefined;
  const mnet = await loadMobileNet();
  const trunk = tf.model({ inputs: mnet.inputs, outputs: [mnet.getLayer("block_10_project_BN").output as tf.SymbolicTensor, mnet.getLayer("out_relu").output as tf.SymbolicTensor] });
  const out = path.join(REPO_ROOT, "bench", "results", "pretrained-trunk.jsonl");
  for (const task of v.tasks!.split(",")) {
    const profile = { ...PROFILES.cpu, imageSize: size, trainPerClass: null, testPerClass: null, trainPerClassFor: {} };
    const data = await loadTask(task, { profile, channels: 3 });
    if (data.classNames.length !== 2) throw new Error(`${task}: the probe is binary`);
    for (const scale of v.scale!.split(",") as Array<"unit" | "signed">) {
      const t0 = Date.now();
      const f = { train: await features(trunk, data.splits.train!, scale, Number(v.batch), limit), val: await features(trunk, data.splits.val!, scale, Number(v.batch), limit), test: await features(trunk, data.splits.test!, scale, Number(v.batch), limit) };
      const seconds = (Date.now() - t0) / 1000;
      const wanted = v.features!.split(",").map(Number);
      for (const [name, d] of ([["block_10 (ImageNet blocks), 96-d", 96], ["out_relu (whole trunk), 1280-d", 1280]] as const).filter(([, k]) => wanted.includes(k))) {
        const pick = (s: keyof typeof f) => ({ x: d === 96 ? f[s].f96 : f[s].f1280, y: f[s].labels });
        const r = probe({ ...pick("train"), d }, pick("val"), pick("test"));
        const row = { date: new Date().toISOString().slice(0, 10), task, size, scale, feature: name, trainImages: f.train.n, testImages: f.test.n, l2: r.l2, valAuc: Number(r.val.toFixed(4)), testAuc: Number(r.test.toFixed(4)), featureSeconds: Math.round(seconds), backend: `${info.backend}${info.detail ? ` (${info.detail})` : ""}` };
        console.log(JSON.stringify(row));
        if (limit === undefined) fs.appendFileSync(out, JSON.stringify(row) + "\n");
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
