/**
 * What bounds the wasm path: GFLOP/s of one 3x3 convolution (batch 64, 32x32, 64->64 channels,
 * the bulk of a ResNet step) in tfjs-wasm/XNNPACK on one thread, versus PyTorch (oneDNN) on one
 * and two threads via bench/torch_conv.py when available.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend/tf";

const N = 64, H = 32, C = 64, K = 3;
const flops = 2 * N * H * H * C * C * K * K;

async function main(): Promise<void> {
  await tf.setBackend("wasm");
  const x = tf.randomUniform([N, H, H, C]) as tf.Tensor4D;
  const f = tf.randomUniform([K, K, C, C]) as tf.Tensor4D;
  tf.conv2d(x, f, 1, "same").dispose();
  const runs = 10;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const y = tf.conv2d(x, f, 1, "same");
    y.dataSync();
    y.dispose();
  }
  const s = (performance.now() - t0) / 1000 / runs;
  console.log(`conv 3x3 ${N}x${H}x${H}x${C}->${C}: ${(flops / 1e9).toFixed(2)} GFLOP`);
  console.log(`  tfjs wasm (XNNPACK, 128-bit SIMD, 1 thread): ${(s * 1000).toFixed(1)} ms = ${(flops / s / 1e9).toFixed(1)} GFLOP/s`);
  const r = spawnSync("/usr/bin/python3", [path.join(__dirname, "..", "..", "bench", "torch_conv.py")], { encoding: "utf8" });
  process.stdout.write(r.status === 0 ? r.stdout : "  (PyTorch not available)\n");
}
main();
