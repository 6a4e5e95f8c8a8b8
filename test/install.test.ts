/** Facts about the installed dependency tree that the design relies on. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../src/backend";

const ROOT = path.resolve(__dirname, "..", "..");

function findPackages(name: string, dir = path.join(ROOT, "node_modules"), found: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const sub = path.join(dir, entry.name);
    if (entry.name.startsWith("@")) {
      findPackages(name, sub, found);
      continue;
    }
    const pj = path.join(sub, "package.json");
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, "utf8")).name === name) found.push(sub);
    if (fs.existsSync(path.join(sub, "node_modules"))) findPackages(name, path.join(sub, "node_modules"), found);
  }
  return found;
}

test("exactly one @tensorflow/tfjs-core is installed (danfojs shares it through the npm override)", () => {
  const copies = findPackages("@tensorflow/tfjs-core");
  assert.deepEqual(copies.map((p) => path.relative(ROOT, p)), ["node_modules/@tensorflow/tfjs-core"]);
  // danfojs resolves the same tfjs module, so its tensors live on our backend. (Our `tf` is a
  // TypeScript import wrapper, so compare what both expose rather than the objects.)
  const dfd = require("danfojs") as { tensorflow: typeof tf };
  assert.equal(dfd.tensorflow.tensor, tf.tensor);
  assert.equal(dfd.tensorflow.Tensor, tf.Tensor);
});

test("the danfojs type shim resolves for node10 resolution (what tslab uses)", () => {
  const shim = path.join(ROOT, "node_modules", "@types", "danfojs", "index.d.ts");
  const target = /from "(danfojs\/[^"]+)"/.exec(fs.readFileSync(shim, "utf8"))![1];
  assert.ok(fs.existsSync(path.join(ROOT, "node_modules", `${target}.d.ts`)), `${target}.d.ts exists`);
});
