/**
 * A short training run with the paper profile's model, input and recipe on whatever backend is
 * selected (MIA_BACKEND=webgpu on a GPU machine): a synthetic two-class task (dark vs bright
 * noise, 64x64 grey, resized to 224x224 as every task is), the real trainer, a few epochs.
 * Prints one JSON line: seconds per epoch, training images/s, test accuracy.
 *   node dist/bench/device-train.js [--train 512] [--epochs 2] [--profile paper]
 * Its data is written to a temporary folder: nothing to carry, no dataset needed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../src/backend";
import { resolveProfile } from "../src/config";
import { customTask, loadTask } from "../src/data";
import { writeNpy } from "../src/data/npy";
import { train } from "../src/train";
import { makeZip } from "../test/support/zip";

const { values: v } = parseArgs({ options: { train: { type: "string", default: "512" }, epochs: { type: "string", default: "2" }, profile: { type: "string", default: "paper" } } });

function syntheticNpz(file: string, nTrain: number): void {
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const side = 64;
  const entries = (["train", "val", "test"] as const).flatMap((split) => {
    const n = split === "train" ? nTrain : Math.max(32, nTrain / 8);
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const px = new Uint8Array(n * side * side);
    labels.forEach((l, i) => {
      for (let k = 0; k < side * side; k++) px[i * side * side + k] = Math.round((l ? 130 : 90) + 60 * rand());
    });
    return [
      { name: `${split}_images.npy`, data: writeNpy({ dtype: "uint8", shape: [n, side, side], data: px }), method: 0 as const },
      { name: `${split}_labels.npy`, data: writeNpy({ dtype: "uint8", shape: [n, 1], data: labels }), method: 0 as const },
    ];
  });
  fs.writeFileSync(file, makeZip(entries));
}

async function main(): Promise<void> {
  const info = await initBackend();
  const profile = resolveProfile(v.profile);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-device-train-"));
  const file = path.join(dir, "synthetic.npz");
  syntheticNpz(file, Number(v.train));
  const task = customTask({ name: "synthetic", channels: 1, source: { kind: "npz", file }, classNames: ["0", "1"] });
  const data = await loadTask(task, { size: profile.imageSize, perClass: { train: null, val: null, test: null }, cache: false, quiet: true });
  const epochs = Number(v.epochs);
  const t0 = performance.now();
  const r = await train("synthetic", { profile, data, epochs, patience: epochs, out: path.join(dir, "models"), quiet: true, workers: 1 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ what: "train-run", backend: info.id, detail: info.detail, profile: profile.name, model: profile.model, size: profile.imageSize, batch: profile.batchSize, trainImages: Number(v.train), epochs: r.history.length, seconds, secPerEpoch: r.trainSeconds / r.history.length, imgPerSec: (Number(v.train) * r.history.length) / r.trainSeconds, testAccuracy: r.test.accuracy, engine: r.engine }));
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e: Error) => {
  console.log(JSON.stringify({ what: "train-run", error: e.message.split("\n")[0] }));
  process.exitCode = 1;
});
