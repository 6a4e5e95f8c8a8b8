/**
 * `make bench`: this project's wasm backend against PyTorch CPU on the same ResNets (the 1.23M
 * benchmark network and the cpu profile's ResNet-20), batch 64, at 32x32 and 64x64: a training
 * step and a PGD-20 attack, in images/s, on XNNPACK alone and with the oneDNN addon (where built),
 * with the ratio. Stock tfjs-backend-wasm and the pure-JS cpu backend are printed for reference.
 * A webgpu column where a hardware WebGPU adapter exists (else a note says why not).
 * Each measurement runs in its own process. Results also go to build/bench/compare.json.
 *   node dist/bench/compare.js [--models resnet-bench,resnet20-s2] [--sizes 32,64] [--seconds 15] [--no-cpu] [--no-stock]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { nativeStatus } from "../src/backend/wasm-kernels/native";

const ROOT = path.resolve(__dirname, "..", "..");
const { values: v } = parseArgs({
  options: {
    sizes: { type: "string", default: "32,64" },
    models: { type: "string", default: "resnet-bench,resnet20-s2" },
    seconds: { type: "string", default: "15" },
    threads: { type: "string", default: String(Math.min(2, os.availableParallelism())) },
    "no-cpu": { type: "boolean" },
    "no-stock": { type: "boolean" },
  },
});

interface Row {
  backend: string;
  model?: string;
  size: number;
  batch: number;
  what: string;
  imgPerSec?: number;
  error?: string;
  adapter?: string;
}

function run(cmd: string, args: string[], timeoutS: number, env: NodeJS.ProcessEnv = {}): Row[] {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: timeoutS * 1000, env: { ...process.env, ...env } });
  const rows = (r.stdout ?? "")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Row);
  if (rows.length === 0) {
    const why = r.error ? `${r.error.message}` : (r.stderr ?? "").trim().split("\n").slice(-1)[0] || `exit ${r.status}`;
    return [{ backend: args.join(" "), size: 0, batch: 0, what: "?", error: why }];
  }
  return rows;
}

const fmt = (r?: Row) => (r === undefined ? "—" : r.error ? "fails" : r.imgPerSec!.toFixed(r.imgPerSec! < 1 ? 3 : 1));

function main(): void {
  const sizes = v.sizes!.split(",").map(Number);
  const secs = v.seconds!;
  const all: Row[] = [];
  const torch = fs.existsSync("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
  const native = nativeStatus();
  console.log(`bench compare: ${os.cpus()[0]?.model ?? "cpu"}, ${os.availableParallelism()} cores; PyTorch threads ${v.threads}; batch 64; ${secs}s per measurement; oneDNN addon: ${native.detail}`);
  const models = v.models!.split(",");
  for (const model of models)
    for (const size of sizes) {
      const common = ["--size", String(size), "--seconds", secs, "--model", model];
      process.stdout.write(`  ${model} ${size}x${size}: pytorch…`);
      if (torch) all.push(...run("/usr/bin/python3", ["bench/torch_ref.py", ...common, "--threads", v.threads!], 900).map((r) => ({ ...r, backend: "pytorch" })));
      // XNNPACK only (MIA_NATIVE=0), then with the oneDNN addon where it is built.
      for (const [name, env] of [["wasm", { MIA_NATIVE: "0" }], ...(native.available ? [["wasm+oneDNN", {}]] : [])] as Array<[string, NodeJS.ProcessEnv]>) {
        process.stdout.write(` ${name}…`);
        all.push(...run(process.execPath, ["dist/bench/train-step.js", "--backend", "wasm", ...common], 900, env));
        if (Number(v.threads) > 1) {
          process.stdout.write(` ${name} x${v.threads} workers…`);
          all.push(...run(process.execPath, ["dist/bench/train-step.js", "--backend", "wasm", "--workers", v.threads!, ...common], 900, env));
        }
      }
      process.stdout.write(" webgpu…");
      all.push(...run(process.execPath, ["dist/bench/train-step.js", "--backend", "webgpu", ...common], 900));
      if (!v["no-stock"]) {
        process.stdout.write(" stock wasm…");
        all.push(...run(process.execPath, ["dist/bench/train-step.js", "--backend", "wasm-stock", ...common, "--warmup", "0"], 900));
      }
      process.stdout.write("\n");
    }
  if (!v["no-cpu"]) {
    // The pure-JS backend needs ~100 s for one batch-8 step at 32x32: one step, batch 4, no warm-up.
    process.stdout.write("  cpu backend (32x32, batch 4, one step)…\n");
    all.push(...run(process.execPath, ["dist/bench/train-step.js", "--backend", "cpu", "--model", models[0], "--size", "32", "--batch", "4", "--seconds", "1", "--warmup", "0", "--what", "train"], 900));
  }
  if (!torch) console.log("  (PyTorch not found: install Debian's python3-torch for the reference column)");

  const find = (backend: string, model: string, size: number, what: string) => all.find((r) => r.backend === backend && r.model === model && r.size === size && r.what === what);
  const n = v.threads!;
  const cols: Array<[string, string]> = [["wasm", "XNNPACK 1t"], [`wasm-x${n}`, `XNNPACK x${n}w`], ["wasm+onednn", "+oneDNN 1t"], [`wasm+onednn-x${n}`, `+oneDNN x${n}w`]];
  console.log(`\n  model         size   step      PyTorch(${n}t) ${cols.map(([, h]) => h.padStart(14)).join(" ")}   ratio   stock wasm   cpu backend       webgpu   (images/s)`);
  for (const model of models)
    for (const size of sizes)
      for (const what of ["train", "pgd20"]) {
        const t = find("pytorch", model, size, what);
        const ours = cols.map(([b]) => find(b, model, size, what));
        const best = ours.filter((r) => r?.imgPerSec).sort((a, b) => b!.imgPerSec! - a!.imgPerSec!)[0];
        const ratio = t?.imgPerSec && best?.imgPerSec ? (best.imgPerSec / t.imgPerSec).toFixed(3) : "—";
        const cpu = find("cpu", model, size, what);
        console.log(`  ${model.padEnd(13)} ${`${size}x${size}`.padEnd(6)} ${what.padEnd(8)} ${fmt(t).padStart(12)} ${ours.map((r) => fmt(r).padStart(14)).join(" ")} ${ratio.padStart(7)} ${fmt(find("wasm-stock", model, size, what)).padStart(12)} ${(cpu ? `${fmt(cpu)} (b${cpu.batch})` : "—").padStart(13)} ${fmt(find("webgpu", model, size, what)).padStart(12)}`);
      }
  console.log("  ratio = the faster of this project's wasm columns / PyTorch");
  const gpu = all.find((r) => r.backend === "webgpu" && r.adapter);
  if (gpu) console.log(`  webgpu adapter: ${gpu.adapter}`);
  for (const r of all.filter((r) => r.error)) console.log(`  note: ${r.backend} ${r.size}x${r.size} ${r.what}: ${r.error}`);
  const out = path.join(ROOT, "build", "bench");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "compare.json"), JSON.stringify(all, null, 2));
  console.log(`\n  (details: build/bench/compare.json; a profile of the steps: node dist/bench/profile.js --size 64)`);
}

main();
