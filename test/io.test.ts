/** Output writes name the path and the fix, leave no temporaries, and unwritable folders are found before any work. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CacheKey, codeFiles, filesHash, ioError, jsonCacheFile, readJsonCache, requireWritable, writeFileAtomic, writeJsonCache } from "../src/config";
import { customTask } from "../src/data";
import { train } from "../src/train";
import sharp from "sharp";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

test("writeFileAtomic: replaces a file whole; on failure names the path, gives the hint and leaves no temporary", () => {
  const dir = tmp("mia-io-");
  const file = path.join(dir, "sub", "a.json");
  writeFileAtomic(file, "one");
  writeFileAtomic(file, "two");
  assert.equal(fs.readFileSync(file, "utf8"), "two");
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ["a.json"]);

  // The rename fails (a non-empty folder is in the way): the temporary is removed.
  const blocked = path.join(dir, "blocked");
  fs.mkdirSync(path.join(blocked, "inside"), { recursive: true });
  assert.throws(() => writeFileAtomic(blocked, "x", "Set MIA_RESULTS_DIR."), (e: Error) => {
    assert.match(e.message, new RegExp(`^Cannot write ${blocked.replace(/[/\\.]/g, "\\$&")} \\((EISDIR|ENOTEMPTY|EEXIST|EPERM): .*\\)\\. Set MIA_RESULTS_DIR\\.$`));
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir).sort(), ["blocked", "sub"], "no .tmp-* left behind");

  // A path through a file: the folder cannot be made.
  const plain = path.join(dir, "plain");
  fs.writeFileSync(plain, "x");
  assert.throws(() => writeFileAtomic(path.join(plain, "b.npy"), "x"), /Cannot write .*plain\/b\.npy \((ENOTDIR: a part of the path is a file, not a folder|EEXIST: a file is in the way)\)/);
  // Codes a test cannot provoke as root read the same way.
  assert.equal(ioError(Object.assign(new Error("x"), { code: "ENOSPC" }), "/d/f.bin", "Free space.").message, "Cannot write /d/f.bin (ENOSPC: no space left on the device). Free space.");
  assert.equal(ioError(Object.assign(new Error("x"), { code: "EACCES" }), "/d").message, "Cannot write /d (EACCES: permission denied).");
  assert.throws(() => requireWritable(path.join(plain, "runs"), "Choose another --out DIR."), /Cannot write .*plain\/runs \((ENOTDIR|EEXIST).*\)\. Choose another --out DIR\./);
  const ok = path.join(dir, "fresh", "runs");
  requireWritable(ok);
  assert.ok(!fs.existsSync(path.join(dir, "fresh")), "the check leaves nothing: probe and the folders it made are removed");
  fs.mkdirSync(ok, { recursive: true });
  requireWritable(ok);
  assert.deepEqual(fs.readdirSync(ok), [], "an existing folder is kept, without the probe");
});

test("json cache: round trip, refused or cut-short entries read as absent, an unwritable cache warns once and loses nothing; code hashes follow the files", () => {
  const dir = tmp("mia-jcache-");
  const key = "0123456789abcdef";
  assert.equal(readJsonCache("tsne", key, { dir }), undefined);
  assert.equal(writeJsonCache("tsne", key, { a: [1, 0.1 + 0.2] }, { dir }), true);
  assert.deepEqual(readJsonCache("tsne", key, { dir }), { a: [1, 0.1 + 0.2] }, "numbers round-trip exactly");
  assert.equal(readJsonCache("tsne", key, { dir, valid: (v) => Array.isArray((v as { b?: unknown }).b) }), undefined, "the caller's check refuses an older layout");
  fs.writeFileSync(jsonCacheFile("tsne", key, dir), '{"a": [1');
  assert.equal(readJsonCache("tsne", key, { dir }), undefined, "a write cut short");
  assert.throws(() => jsonCacheFile("../x", key, dir), /kind must be a lower-case folder name/);
  assert.throws(() => jsonCacheFile("tsne", "../../etc", dir), /key must be a hex digest/);
  // A file where the kind's folder should be: not written, one warning, the caller goes on.
  fs.writeFileSync(path.join(dir, "landscape"), "in the way");
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    assert.equal(writeJsonCache("landscape", key, 1, { dir }), false);
    assert.equal(writeJsonCache("landscape", key, 2, { dir }), false);
  } finally {
    console.error = orig;
  }
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^\[landscape\] results not cached \(Cannot write .*\); set MIA_CACHE_DIR/);
  // Code hashes: every .js/.ts below a folder (no .d.ts), and a change to one changes the hash.
  const code = path.join(dir, "code");
  fs.mkdirSync(path.join(code, "sub"), { recursive: true });
  for (const f of ["a.js", "sub/b.js", "c.d.ts", "d.map"]) fs.writeFileSync(path.join(code, f), f);
  assert.deepEqual(codeFiles(code).map((f) => path.relative(code, f)), ["a.js", path.join("sub", "b.js")]);
  const before = filesHash(codeFiles(code));
  assert.equal(filesHash([...codeFiles(code), path.join(code, "absent.js")]), before, "absent files are skipped");
  fs.writeFileSync(path.join(code, "sub", "b.js"), "changed");
  assert.notEqual(filesHash(codeFiles(code)), before);
});

test("CacheKey: equal inputs give equal keys; a changed value, shape, header, label or model order gives another", async () => {
  const t = (shape: number[], v: number[]) => ({ shape, data: async () => Float32Array.from(v) });
  const model = (...ws: ReturnType<typeof t>[]) => ({ getWeights: () => ws });
  const a = model(t([2, 2], [1, 2, 3, 4]), t([1], [5]));
  const b = model(t([4], [1, 2, 3, 4]), t([1], [5])); // the same bytes in another shape
  const key = async (header: unknown, models: ReturnType<typeof model>[], x = t([2], [0.5, 0.25]), label = "x") => {
    const k = await new CacheKey(header).weights(...models);
    return (await k.text(label).tensor(x)).digest();
  };
  const base = await key({ v: 1 }, [a, b]);
  assert.match(base, /^[0-9a-f]{32}$/);
  assert.equal(await key({ v: 1 }, [model(t([2, 2], [1, 2, 3, 4]), t([1], [5])), b]), base, "equal inputs, equal keys");
  const others = [
    await key({ v: 2 }, [a, b]),
    await key({ v: 1 }, [b, a]),
    await key({ v: 1 }, [a, a]),
    await key({ v: 1 }, [a, b], t([2], [0.5, 0.2500001])),
    await key({ v: 1 }, [a, b], t([1, 2], [0.5, 0.25])),
    await key({ v: 1 }, [a, b], undefined, "y"),
  ];
  assert.equal(new Set([base, ...others]).size, 1 + others.length, "each change gives its own key");
  // Typed arrays that view part of a buffer hash only their own bytes.
  const whole = new Float32Array([9, 1, 2, 9]);
  assert.equal(new CacheKey(0).array([2], whole.subarray(1, 3)).digest(), new CacheKey(0).array([2], Float32Array.from([1, 2])).digest());
});

test("train refuses an unwritable models folder before the first epoch, naming it and the fix", async () => {
  const dir = tmp("mia-io-train-");
  for (const split of ["train", "test"]) {
    for (const cls of ["a", "b"]) {
      for (let k = 0; k < (split === "train" ? 20 : 2); k++) {
        const f = path.join(dir, "data", split, cls, `${k}.png`);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: (cls === "a" ? 20 : 150) + k, g: 0, b: 0 } } }).png().toFile(f);
      }
    }
  }
  const plain = path.join(dir, "not-a-folder");
  fs.writeFileSync(plain, "x");
  const epochs: number[] = [];
  await assert.rejects(
    train(customTask({ name: "io", source: { kind: "imagefolder", dir: path.join(dir, "data") } }), { profile: "smoke", out: plain, quiet: true, onEpoch: (r) => void epochs.push(r.epoch) }),
    /Cannot write .*not-a-folder.* \((ENOTDIR|EEXIST).*\)\. Make it writable, or save elsewhere: .*--out DIR, or set MIA_MODELS_DIR/,
  );
  assert.deepEqual(epochs, [], "no epoch was computed");
});
