/**
 * A short training run with the paper profile's model, input and recipe on whatever backend is
 * selected (MIA_BACKEND=webgpu on a GPU machine): a synthetic two-class task (dark vs bright
 * noise, 64x64 grey, test/support/synthetic.ts; resized to the profile's size as every task is),
 * the real trainer, a few epochs.
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
import { train } from "../src/train";
import { syntheticNpz } from "../test/support/synthetic";

const { values: v } = parseArgs({ options: { train: { type: "string", default: "512" }, epochs: { type: "string", default: "2" }, profile: { type: "string", default: "paper" } } });

async function main(): Promise<void> {
  const info = await initBackend();
  const profile = resolveProfile(v.profile);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-device-train-"));
  const file = path.join(dir, "synthetic.npz");
  syntheticNpz(file, { side: 64, train: Number(v.train), eval: Math.max(32, Number(v.train) / 8) });
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
