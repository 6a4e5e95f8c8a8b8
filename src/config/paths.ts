/**
 * The repository root, the one place every path of this project is built from (data/root.ts
 * for datasets and caches, plots/export.ts for figures, backend/wasm-kernels/native.ts for the
 * oneDNN addon). On the ground floor so that every floor may use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root (dist/src/config -> repo, or src/config -> repo when run from sources). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "src"))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, "..", "..", "..");
})();
