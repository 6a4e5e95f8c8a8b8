/**
 * Data benchmark: decode + resize a whole dataset cold (empty cache) and again from the cache.
 * Usage: node dist/bench/data.js [task=cxr] [size=64]
 * Prints images/s for each pass and the process's peak resident memory.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadTask } from "../src/data";

async function main(): Promise<void> {
  const task = process.argv[2] ?? "cxr";
  const size = Number(process.argv[3] ?? 64);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "mia-bench-cache-"));
  process.env.MIA_CACHE_DIR = cache;
  const all = { train: null, val: null, test: null };
  try {
    const pass = async (label: string) => {
      const t0 = process.hrtime.bigint();
      const d = await loadTask(task, { size, perClass: all, quiet: true });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const n = Object.values(d.splits).reduce((a, sp) => a + sp!.n, 0);
      const cached = Object.values(d.fromCache).every(Boolean);
      console.log(`${label.padEnd(11)} ${task} ${n} images at ${size}x${size}x${d.channels}: ${s.toFixed(2)} s, ${(n / s).toFixed(0)} images/s${cached ? " (from cache)" : ""}; skipped ${d.skipped.length}`);
    };
    console.log(`bench data: ${os.cpus().length} cores, node ${process.versions.node}, cache in ${cache}`);
    await pass("cold");
    await pass("from cache");
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
