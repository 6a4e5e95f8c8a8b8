/**
 * The paper profile's dry run on a CPU: its model (ResNet-50, Keras topology) and input (224x224)
 * on real chest X-rays at the paper-dry sizes, through the CLI a GPU run uses: train, then PGD at
 * the paper's 1/255. What breaks at 224 px or with 23.5M parameters (decoding, memory, the worker
 * pool, the attack) breaks here before anyone spends GPU time on `paper`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");

test("paper-dry: mia train and mia attack run the paper's ResNet-50 at 224x224 on the wasm backend", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mia-paper-dry-"));
  const env = { ...process.env, MIA_MODELS_DIR: path.join(dir, "models"), MIA_RESULTS_DIR: path.join(dir, "results"), MIA_CACHE_DIR: path.join(dir, "cache"), MIA_BACKEND: "wasm" };
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, "--profile", "paper-dry", "--json"], { encoding: "utf8", env, timeout: 600_000 });
  const t = run(["train", "--task", "cxr"]);
  assert.equal(t.status, 0, t.stderr);
  const trained = JSON.parse(t.stdout) as { reused: boolean; epochs: number; runDir: string; test: { n: number } };
  assert.equal(trained.reused, false);
  assert.equal(trained.epochs, 1);
  assert.match(trained.runDir, /paper-dry[\\/]cxr[\\/]resnet50$/);
  assert.match(t.stderr, /resnet50 on \d+ images \(224x224x1, 2 classes\)/);
  const a = run(["attack", "--task", "cxr", "--attack", "pgd", "--eps", "1", "--n", "4"]);
  assert.equal(a.status, 0, a.stderr);
  const r = JSON.parse(a.stdout) as { n: number; eps: number; maxLinf255: number; saved: string };
  assert.equal(r.eps, 1);
  assert.ok(r.n >= 1 && r.n <= 4, `attacked ${r.n} images`);
  assert.ok(r.maxLinf255 <= 1 + 1e-3, `PGD stays in the 1/255 ball: ${r.maxLinf255}/255`);
  assert.ok(fs.existsSync(path.join(r.saved, "x_adv.npy")));
  fs.rmSync(dir, { recursive: true, force: true });
});
