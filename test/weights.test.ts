/**
 * Pretrained weights: Keras .h5 files written by Debian's h5py in Keras' exact layout, read with
 * jsfive and put onto src/models' Keras-topology ResNet-50 by layer name; files for another
 * architecture, truncated and non-HDF5 files refused with clear errors; the fetch through the
 * verified downloader on a loopback server; the caffe preprocessing in closed form.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../src/backend";
import { buildModel, CAFFE_BGR_MEAN, CaffePreprocess } from "../src/models";
import { PROFILES } from "../src/config";
import { trainSettings, PAPER_FINETUNE, pretrainedEntry } from "../src/train";
import { applyKerasWeights, fetchWeights, pretrainedModel, readKerasH5, weightsEntry, type WeightsEntry } from "../src/weights";

const PY = "/usr/bin/python3";
const WRITER = path.resolve(__dirname, "..", "..", "test", "support", "keras_h5.py");
const hasH5py = spawnSync(PY, ["-c", "import h5py"]).status === 0;
const skip = hasH5py ? false : "Debian's python3-h5py is not installed (make setup installs it as root)";
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mia-weights-"));

type LayerSpec = { name: string; weights: Array<{ name: string; shape: number[] }> };
function writeH5(file: string, layers: LayerSpec[], truncate?: number): void {
  const r = spawnSync(PY, [WRITER, file], { input: JSON.stringify({ layers, truncate: truncate ?? null }), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}
/** The closed form keras_h5.py writes. */
const expected = (layer: number, weight: number, n: number) => Float32Array.from({ length: n }, (_, i) => ((7 * layer + 3 * weight + i) % 251) / 251 - 0.5);

/** Keras Applications' ResNet-50 (include_top=False) layers, spelled out from keras/src/applications/resnet.py. */
function kerasResnet50Layers(): LayerSpec[] {
  const conv = (name: string, k: number, cin: number, cout: number): LayerSpec => ({ name, weights: [{ name: "kernel", shape: [k, k, cin, cout] }, { name: "bias", shape: [cout] }] });
  const bn = (name: string, c: number): LayerSpec => ({ name, weights: ["gamma", "beta", "moving_mean", "moving_variance"].map((w) => ({ name: w, shape: [c] })) });
  const none = (name: string): LayerSpec => ({ name, weights: [] });
  const out: LayerSpec[] = [none("input_1"), none("conv1_pad"), conv("conv1_conv", 7, 3, 64), bn("conv1_bn", 64), none("conv1_relu"), none("pool1_pad"), none("pool1_pool")];
  let cin = 64;
  [[2, 64, 3], [3, 128, 4], [4, 256, 6], [5, 512, 3]].forEach(([s, f, blocks]) => {
    for (let b = 1; b <= blocks; b++) {
      const n = `conv${s}_block${b}`;
      if (b === 1) out.push(conv(`${n}_0_conv`, 1, cin, 4 * f));
      out.push(conv(`${n}_1_conv`, 1, cin, f), bn(`${n}_1_bn`, f), none(`${n}_1_relu`), conv(`${n}_2_conv`, 3, f, f), bn(`${n}_2_bn`, f), none(`${n}_2_relu`), conv(`${n}_3_conv`, 1, f, 4 * f));
      if (b === 1) out.push(bn(`${n}_0_bn`, 4 * f));
      out.push(bn(`${n}_3_bn`, 4 * f), none(`${n}_add`), none(`${n}_out`));
      cin = 4 * f;
    }
  });
  return out;
}

before(async () => {
  await initBackend();
});

const fullDir = tmp();

test("a Keras ResNet-50 notop file (h5py, Keras' layout) loads onto resnet50 by layer name, every value in place", { skip }, () => {
  const file = path.join(fullDir, weightsEntry("resnet50-imagenet").file);
  const layers = kerasResnet50Layers();
  // 23,587,712 values: Keras' own count for ResNet50(include_top=False).
  assert.equal(layers.flatMap((l) => l.weights).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0), 23_587_712);
  writeH5(file, layers);
  const w = readKerasH5(file);
  assert.equal(w.kerasVersion, "2.2.4");
  assert.equal(w.layers.size, 106, "53 convolutions and 53 batch norms carry weights");
  const { model, report } = pretrainedModel(weightsEntry("resnet50-imagenet"), [64, 64, 1], 2, 0, { file });
  try {
    assert.equal(report.values, 23_587_712);
    assert.deepEqual([...report.notInFile], ["feature", "logits"], "the paper's head stays new");
    assert.deepEqual(report.unused, [], "every weighted layer of the file is used");
    // Spot-check values, weight by weight: the file's layer index and weight index decide them.
    const index = new Map(layers.map((l, i) => [l.name, i]));
    for (const name of ["conv1_conv", "conv1_bn", "conv2_block1_0_conv", "conv3_block4_2_bn", "conv5_block3_3_conv"]) {
      const layer = model.getLayer(name);
      const spec = layers[index.get(name)!];
      layer.weights.forEach((v) => {
        const wi = spec.weights.findIndex((s) => s.name === v.originalName.split("/").pop());
        const got = v.read().dataSync();
        const want = expected(index.get(name)!, wi, got.length);
        for (let i = 0; i < got.length; i += Math.max(1, Math.floor(got.length / 50))) assert.equal(got[i], want[i], `${v.originalName}[${i}]`);
      });
    }
    // Caffe preprocessing inside, and a grey (1-channel) input repeated to RGB before it.
    assert.equal(model.getLayer("preprocess").getClassName(), "MiaCaffePreprocess");
    const y = model.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 2]);
    y.dispose();
  } finally {
    model.dispose();
  }
});

test("a file for another architecture, a truncated file and a non-HDF5 file are refused with clear errors", { skip }, () => {
  const dir = tmp();
  const vgg = path.join(dir, "vgg16_notop.h5");
  writeH5(vgg, [{ name: "input_1", weights: [] }, { name: "block1_conv1", weights: [{ name: "kernel", shape: [3, 3, 3, 64] }, { name: "bias", shape: [64] }] }, { name: "block1_conv2", weights: [{ name: "kernel", shape: [3, 3, 64, 64] }, { name: "bias", shape: [64] }] }]);
  const model = buildModel("resnet50", [32, 32, 3], 2, 0, { preprocess: "caffe" });
  const before = model.getLayer("conv1_conv").getWeights()[0].dataSync().slice(0, 4);
  assert.throws(() => applyKerasWeights(model, readKerasH5(vgg)), /does not fit this model: 106 of its layers have no weights in the file \(e\.g\. conv1_conv, conv1_bn.*the file's layers are block1_conv1, block1_conv2\. Is it the weights file of another architecture\?/s);
  assert.deepEqual(model.getLayer("conv1_conv").getWeights()[0].dataSync().slice(0, 4), before, "nothing changed");

  // Right names, wrong shapes (a ResNet-50 file onto a model with other widths).
  const narrow = path.join(dir, "narrow.h5");
  writeH5(narrow, kerasResnet50Layers().map((l) => (l.name === "conv1_conv" ? { name: l.name, weights: [{ name: "kernel", shape: [7, 7, 3, 32] }, { name: "bias", shape: [32] }] } : l)));
  assert.throws(() => applyKerasWeights(model, readKerasH5(narrow)), /conv1_conv\/kernel: shape \[7,7,3,32\] in the file, \[7,7,3,64\] in the model/);
  model.dispose();

  const full = path.join(dir, "full.h5");
  writeH5(full, kerasResnet50Layers().slice(0, 30));
  const size = fs.statSync(full).size;
  const cut = path.join(dir, "cut.h5");
  fs.copyFileSync(full, cut);
  fs.truncateSync(cut, Math.floor(size / 2));
  assert.throws(() => readKerasH5(cut), new RegExp(`cut short: it holds ${Math.floor(size / 2).toLocaleString("en")} of the ${size.toLocaleString("en")} bytes its header declares.*Fetch it again`));
  const junk = path.join(dir, "junk.h5");
  fs.writeFileSync(junk, "<html>404 not found</html>");
  assert.throws(() => readKerasH5(junk), /not an HDF5 file/);
  assert.throws(() => readKerasH5(path.join(dir, "absent.h5")), /does not exist/);
  const plain = path.join(dir, "plain.h5");
  const r = spawnSync(PY, ["-c", `import h5py, numpy as np\nwith h5py.File("${plain}", "w") as f: f.create_dataset("x", data=np.zeros(3))`]);
  assert.equal(r.status, 0);
  assert.throws(() => readKerasH5(plain), /HDF5 but not a Keras weights file: it has no 'layer_names' attribute/);
});

test("fetchWeights: verified download into the weights folder (loopback server), reuse, wrong checksum leaves nothing", async () => {
  const body = crypto.randomBytes(50_000);
  const server = http.createServer((req, res) => {
    if (req.url === "/w.h5") {
      res.writeHead(200, { "content-length": body.length });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w.h5`;
  try {
    const root = tmp();
    const entry: WeightsEntry = { ...weightsEntry("resnet50-imagenet"), url, md5: crypto.createHash("md5").update(body).digest("hex") };
    const got = await fetchWeights(entry, { root, quiet: true });
    assert.equal(got.reused, false);
    assert.deepEqual(fs.readFileSync(path.join(root, entry.file)), body);
    assert.equal((await fetchWeights(entry, { root, quiet: true })).reused, true, "a verified file is not fetched again");
    const other = tmp();
    await assert.rejects(fetchWeights({ ...entry, md5: "0".repeat(32) }, { root: other, quiet: true, retries: 0 }), /MD5|checksum/i);
    assert.deepEqual(fs.readdirSync(other).filter((f) => !f.endsWith(".part")), [], "nothing that looks valid is left");
    await assert.rejects(fetchWeights({ ...entry, url: url.replace("w.h5", "gone.h5") }, { root: tmp(), quiet: true, retries: 0 }), /HTTP 404[\s\S]*by hand[\s\S]*MD5/);
  } finally {
    server.close();
  }
});

test("caffe preprocessing: [0, 1] RGB -> 0-255 BGR minus the ImageNet means; grey repeated to 3 channels", () => {
  const layer = new CaffePreprocess();
  const rgb = tf.tensor4d([0.1, 0.5, 0.9], [1, 1, 1, 3]);
  const out = (layer.apply(rgb) as tf.Tensor).dataSync();
  const want = [0.9 * 255 - CAFFE_BGR_MEAN[0], 0.5 * 255 - CAFFE_BGR_MEAN[1], 0.1 * 255 - CAFFE_BGR_MEAN[2]];
  want.forEach((w, i) => assert.ok(Math.abs(out[i] - w) < 1e-3, `${out[i]} vs ${w}`));
  const grey = (layer.apply(tf.tensor4d([0.2], [1, 1, 1, 1])) as tf.Tensor).dataSync();
  CAFFE_BGR_MEAN.forEach((m, i) => assert.ok(Math.abs(grey[i] - (51 - m)) < 1e-3));
  assert.deepEqual(layer.computeOutputShape([null, 8, 8, 1]), [null, 8, 8, 3]);
});

test("--pretrained imagenet: resnet50 with the paper's fine-tuning recipe unless told otherwise; clear errors", () => {
  const p = PROFILES.smoke;
  const s = trainSettings("cxr", p, { pretrained: "imagenet" });
  assert.equal(s.modelName, "resnet50");
  assert.equal(s.weights!.id, "resnet50-imagenet");
  assert.deepEqual(s.optimizer, PAPER_FINETUNE.optimizer);
  assert.equal(s.batchSize, 32);
  assert.equal(trainSettings("cxr", p, { pretrained: "imagenet", optimizer: { lr: 1e-3 } }).optimizer.lr, 1e-3);
  assert.equal(trainSettings("cxr", p).weights, undefined);
  assert.throws(() => pretrainedEntry("imagenet", "resnet20"), /No ImageNet weights for 'resnet20'/);
  assert.throws(() => pretrainedEntry("resnet50-imagenet", "resnet18"), /weights are for resnet50, not resnet18/);
  assert.throws(() => pretrainedEntry("vgg-imagenet", undefined), /Unknown weights 'vgg-imagenet'. Known: resnet50-imagenet/);
});

test("mia train --pretrained imagenet fine-tunes ResNet-50 from the weights file (smoke data, one epoch)", { skip }, () => {
  const file = path.join(fullDir, weightsEntry("resnet50-imagenet").file);
  if (!fs.existsSync(file)) writeH5(file, kerasResnet50Layers());
  const out = tmp();
  const cli = path.resolve(__dirname, "..", "src", "cli", "main.js");
  const env = { ...process.env, MIA_WEIGHTS_DIR: fullDir, MIA_MODELS_DIR: out, MIA_WORKERS: "2" };
  const r = spawnSync(process.execPath, [cli, "train", "--task", "cxr", "--pretrained", "imagenet", "--profile", "smoke", "--epochs", "1", "--json"], { encoding: "utf8", env, timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resnet50-imagenet weights from .*: 106 layers \(23,587,712 values\); new: feature, logits; caffe preprocessing inside the model/);
  const j = JSON.parse(r.stdout) as { model: string; runDir: string };
  assert.equal(j.model, "resnet50");
  const saved = JSON.parse(fs.readFileSync(path.join(j.runDir, "model.json"), "utf8")) as { mia: { key: { pretrained: string; preprocess: string; optimizer: { kind: string; lr: number }; batchSize: number } } };
  assert.deepEqual([saved.mia.key.pretrained, saved.mia.key.preprocess, saved.mia.key.optimizer.kind, saved.mia.key.optimizer.lr, saved.mia.key.batchSize], ["resnet50-imagenet", "caffe", "sgd", 1e-4, 32]);
  const missing = spawnSync(process.execPath, [cli, "train", "--task", "cxr", "--pretrained", "imagenet", "--profile", "smoke"], { encoding: "utf8", env: { ...env, MIA_WEIGHTS_DIR: tmp() } });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /weights are not at .*mia -- weights --fetch resnet50-imagenet.*MD5 4d473c1dd8becc155b73f8504c6f6626/s);
});
