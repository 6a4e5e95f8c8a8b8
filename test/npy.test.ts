import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import fsRaw = require("node:fs"); // the module object itself, so the test can wrap readSync
import * as os from "node:os";
import * as path from "node:path";
import { NpzFile, parseNpy, readNpz, writeNpy, type NpyArray } from "../src/data/npy";
import { makeZip, type ZipIn } from "./support/zip";

// ---------------------------------------------------------------------------
// helpers

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "npy-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
let tmpCount = 0;
function tmpFile(bytes: Uint8Array, ext = ".npz"): string {
  const p = path.join(tmp, `f${tmpCount++}${ext}`);
  fs.writeFileSync(p, bytes);
  return p;
}

/** A .npy file with a hand-written header dict (padded with `pad` spaces). */
function npyBytes(dict: string, data: Uint8Array, opts: { version?: number; pad?: number } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const header = Buffer.from(dict + " ".repeat(opts.pad ?? 0) + "\n", version === 3 ? "utf8" : "latin1");
  const prefix = version === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true); else dv.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// Deterministic sample data shaped like MedMNIST.
const imgs = Uint8Array.from({ length: 4 * 28 * 28 * 3 }, (_, k) => (k * 37 + 11) % 256);
const labs = Uint8Array.from([0, 3, 4, 1]);
function medEntries(): ZipIn[] {
  return [
    { name: "train_images.npy", data: writeNpy({ dtype: "uint8", shape: [4, 28, 28, 3], data: imgs }), method: 0 },
    { name: "train_labels.npy", data: writeNpy({ dtype: "uint8", shape: [4, 1], data: labs }), method: 8 },
  ];
}

function checkMed(f: NpzFile): void {
  assert.deepEqual(f.keys(), ["train_images", "train_labels"]);
  assert.ok(f.has("train_images"));
  assert.ok(!f.has("train_images.npy"));
  const a = f.get("train_images");
  assert.equal(a.dtype, "uint8");
  assert.deepEqual(a.shape, [4, 28, 28, 3]);
  assert.ok(a.data instanceof Uint8Array);
  assert.deepEqual(Array.from(a.data as Uint8Array), Array.from(imgs));
  const l = f.get("train_labels");
  assert.deepEqual(l.shape, [4, 1]);
  assert.deepEqual(Array.from(l.data as Uint8Array), [0, 3, 4, 1]);
}

// ---------------------------------------------------------------------------
// 1. round trips

test("writeNpy -> parseNpy round trips dtypes and shapes", () => {
  const cases: { dtype: NpyArray["dtype"]; shape: number[]; data: ArrayLike<number> | BigInt64Array | BigUint64Array }[] = [
    { dtype: "float32", shape: [], data: [3.5] },
    { dtype: "float64", shape: [5], data: [0, -1.25, Math.PI, 1e300, -0] },
    { dtype: "uint8", shape: [2, 3, 2, 2], data: Array.from({ length: 24 }, (_, k) => k * 10) },
    { dtype: "int8", shape: [4], data: [-128, -1, 0, 127] },
    { dtype: "uint16", shape: [3], data: [0, 1, 65535] },
    { dtype: "int16", shape: [1, 3], data: [-32768, 5, 32767] },
    { dtype: "uint32", shape: [2], data: [0, 4294967295] },
    { dtype: "int32", shape: [2, 1], data: [-2147483648, 2147483647] },
    { dtype: "bool", shape: [2, 2], data: [1, 0, 0, 1] },
    { dtype: "int64", shape: [3], data: BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 62n + 7n]) },
    { dtype: "uint64", shape: [2], data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
    { dtype: "float32", shape: [0, 3], data: [] },
  ];
  for (const c of cases) {
    const bytes = writeNpy(c);
    const a = parseNpy(bytes, "rt");
    assert.equal(a.dtype, c.dtype, c.dtype);
    assert.deepEqual(a.shape, c.shape, `${c.dtype} shape`);
    assert.equal(a.fortranOrder, false);
    const want = c.dtype === "float32" ? Array.from(Float32Array.from(c.data as ArrayLike<number>)) : Array.from(c.data as ArrayLike<unknown>);
    assert.deepEqual(Array.from(a.data as ArrayLike<unknown>), want, `${c.dtype} values`);
  }
  // Header byte-identical to numpy's np.save (captured from numpy 2.4): v1.0, data at a 64-byte boundary.
  const b = writeNpy({ dtype: "float64", shape: [2], data: [1, 2] });
  const numpyHeader = (dict: string, total: number) =>
    Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, total - 10, 0]), Buffer.from(dict.padEnd(total - 11) + "\n")]);
  assert.deepEqual(Buffer.from(b.subarray(0, 128)), numpyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 128));
  assert.equal(b.length, 144);
  const img = writeNpy({ dtype: "uint8", shape: [4, 28, 28, 3], data: new Uint8Array(9408) });
  assert.equal(img.length, 9536);
  assert.deepEqual(Buffer.from(img.subarray(0, 128)), numpyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 28, 28, 3), }", 128));
  const sc = writeNpy({ dtype: "bool", shape: [2], data: [1, 0] });
  assert.deepEqual(Buffer.from(sc), Buffer.concat([numpyHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 128), Buffer.from([1, 0])]));
  assert.equal(parseNpy(b).data.constructor, Float64Array);
  assert.ok(parseNpy(writeNpy({ dtype: "int64", shape: [1], data: [5] })).data instanceof BigInt64Array);
});

test("writeNpy refuses values that would silently wrap, and wrong lengths", () => {
  assert.throws(() => writeNpy({ dtype: "uint8", shape: [2], data: [1, 256] }), /256 at index 1 is not a valid uint8/);
  assert.throws(() => writeNpy({ dtype: "int16", shape: [1], data: [0.5] }), /not a valid int16/);
  assert.throws(() => writeNpy({ dtype: "uint8", shape: [2, 2], data: [1, 2, 3] }), /needs 4 values but data has 3/);
});

// ---------------------------------------------------------------------------
// 2. hand-built headers

test("parseNpy: version 2.0 and 3.0 headers", () => {
  const data = bytesOf(Float32Array.from([1.5, -2, 3]));
  const v2 = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, { version: 2, pad: 1 }));
  assert.deepEqual(v2.shape, [3]);
  assert.deepEqual(Array.from(v2.data as Float32Array), [1.5, -2, 3]);
  const v3 = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, { version: 3, pad: 1 }));
  assert.deepEqual(Array.from(v3.data as Float32Array), [1.5, -2, 3]);
  assert.throws(() => parseNpy(npyBytes("{}", data, { version: 4 }), "x.npy"), /x\.npy: unsupported \.npy format version 4\.0/);
});

test("parseNpy: header dict variants parse without eval", () => {
  const one = bytesOf(Int32Array.from([42]));
  const s = parseNpy(npyBytes("{'descr':'<i4','fortran_order':False,'shape':()}", one, { pad: 3 }));
  assert.deepEqual(s.shape, []);
  assert.equal((s.data as Int32Array)[0], 42);
  const d = parseNpy(npyBytes(`{ "shape" : ( 1 , ) , "fortran_order" : False , "descr" : "<i4" }`, one, { pad: 0 }));
  assert.deepEqual(d.shape, [1]);
  const py2 = parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1L, 1L), }", one));
  assert.deepEqual(py2.shape, [1, 1]);
  assert.throws(() => parseNpy(npyBytes("{'descr': '<i4', 'shape': (1,)}", one), "h.npy"), /h\.npy: .*lacks/);
  assert.throws(() => parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)", one), "h.npy"), /cannot parse \.npy header/);
  assert.throws(() => parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}", one)), /non-negative/);
});

test("parseNpy: fortran_order True is reported", () => {
  const a = parseNpy(npyBytes("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }", bytesOf(Int16Array.from([1, 4, 2, 5, 3, 6]))));
  assert.equal(a.fortranOrder, true);
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data as Int16Array), [1, 4, 2, 5, 3, 6]);
});

test("parseNpy: misaligned data is copied into an aligned buffer", () => {
  const vals = [1.25, -7, 1e-300];
  const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
  // Header length chosen so the data offset is odd (10 + len(dict) + 1 + pad).
  const pad = (10 + dict.length + 1) % 2 === 0 ? 1 : 0;
  const bytes = npyBytes(dict, bytesOf(Float64Array.from(vals)), { pad });
  assert.equal((10 + dict.length + 1 + pad) % 8 !== 0, true);
  const a = parseNpy(bytes);
  assert.deepEqual(Array.from(a.data as Float64Array), vals);
  assert.equal(a.data.byteOffset % 8, 0);
  // Aligned within the file but the input view itself sits at an odd offset.
  const good = writeNpy({ dtype: "float32", shape: [2], data: [0.5, 8] });
  const host = new Uint8Array(good.length + 3);
  host.set(good, 3);
  const b = parseNpy(host.subarray(3));
  assert.deepEqual(Array.from(b.data as Float32Array), [0.5, 8]);
  assert.equal(b.data.byteOffset % 4, 0);
});

test("parseNpy: big-endian, object, unsupported dtypes and bad magic are rejected clearly", () => {
  const z = new Uint8Array(8);
  assert.throws(
    () => parseNpy(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", z), "be.npy"),
    /be\.npy: big-endian dtype '>f4' is not supported; re-save it with arr\.astype\('<f4'\)/,
  );
  // One-byte types have no byte order, so '>u1' is fine.
  assert.deepEqual(parseNpy(npyBytes("{'descr': '>u1', 'fortran_order': False, 'shape': (8,), }", z)).shape, [8]);
  assert.throws(
    () => parseNpy(npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", z), "obj.npy"),
    /obj\.npy: .*'\|O'.*pickled object array.*not supported/,
  );
  assert.throws(() => parseNpy(npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", z)), /unsupported dtype '<c8'/);
  assert.throws(() => parseNpy(npyBytes("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }", z)), /structured dtype/);
  const bad = writeNpy({ dtype: "uint8", shape: [1], data: [1] });
  bad[1] = 0x58;
  assert.throws(() => parseNpy(bad, "m.npy"), /m\.npy: not a \.npy array \(bad magic/);
  assert.throws(() => parseNpy(new Uint8Array(3), "tiny"), /bad magic/);
});

test("parseNpy: data size must match shape * itemsize", () => {
  const full = writeNpy({ dtype: "int32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
  assert.throws(
    () => parseNpy(full.subarray(0, full.length - 4), "short.npy"),
    /short\.npy: data is shorter than the header says: shape \(2, 3\) int32 needs 24 bytes but 20 are present \(file truncated/,
  );
  const long = new Uint8Array(full.length + 2);
  long.set(full);
  assert.throws(() => parseNpy(long, "long.npy"), /long\.npy: data is longer than the header says/);
});

// ---------------------------------------------------------------------------
// 3. npz files

test("NpzFile reads stored and deflated entries", () => {
  const p = tmpFile(makeZip(medEntries()));
  const f = NpzFile.open(p);
  try {
    assert.equal(f.path, p);
    checkMed(f);
  } finally {
    f.close();
  }
  assert.throws(() => f.get("train_labels"), /closed/);
  const all = readNpz(p);
  assert.deepEqual(Object.keys(all).sort(), ["train_images", "train_labels"]);
  assert.deepEqual(Array.from(readNpz(p, ["train_labels"]).train_labels!.data as Uint8Array), [0, 3, 4, 1]);
});

test("NpzFile reads ZIP64 archives (zip64 extra fields and end-of-central-directory record)", () => {
  const bytes = makeZip(medEntries(), true);
  // Sanity check on the fixture: the 32-bit fields really are saturated.
  const dv = new DataView(bytes.buffer);
  const eocd = bytes.length - 22;
  assert.equal(dv.getUint32(eocd, true), 0x06054b50);
  assert.equal(dv.getUint32(eocd + 16, true), 0xffffffff);
  assert.equal(dv.getUint32(eocd - 20, true), 0x07064b50);
  const f = NpzFile.open(tmpFile(bytes));
  try {
    checkMed(f);
  } finally {
    f.close();
  }
});

// ---------------------------------------------------------------------------
// 4. corrupt inputs

test("npz: a truncated file says it looks truncated", () => {
  const bytes = makeZip(medEntries());
  const p = tmpFile(bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.throws(() => NpzFile.open(p), (e: Error) => {
    assert.ok(e.message.includes(p), e.message);
    assert.match(e.message, /truncated/);
    assert.match(e.message, /re-download/);
    return true;
  });
  // Central directory intact but an entry claims more bytes than the file has.
  const lie = Buffer.from(makeZip(medEntries()));
  const cdStart = lie.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  lie.writeUInt32LE(lie.length * 2, cdStart + 20);
  const f = NpzFile.open(tmpFile(lie));
  try {
    assert.throws(() => f.get("train_images"), /entry 'train_images\.npy' runs past the end of the file; the file looks truncated.*re-download/);
  } finally {
    f.close();
  }
});

test("npz: corrupted compressed data gives a CRC/inflate error naming the entry", () => {
  const entries = medEntries();
  const labels = writeNpy({ dtype: "uint8", shape: [400, 1], data: Array.from({ length: 400 }, (_, k) => k % 5) });
  entries[1] = { name: "train_labels.npy", data: labels, method: 8 };
  const bytes = makeZip(entries);
  const dv = new DataView(bytes.buffer);
  // Second local header: find it via the central directory offset of entry 2.
  const cdOff = dv.getUint32(bytes.length - 22 + 16, true);
  const cd2 = cdOff + 46 + "train_images.npy".length;
  const lh = dv.getUint32(cd2 + 42, true);
  const dataStart = lh + 30 + dv.getUint16(lh + 26, true) + dv.getUint16(lh + 28, true);
  const csize = dv.getUint32(cd2 + 20, true);
  for (const at of [0.3, 0.5, 0.8]) {
    const bad = new Uint8Array(bytes);
    bad[dataStart + Math.floor(csize * at)]! ^= 0x55;
    const f = NpzFile.open(tmpFile(bad));
    try {
      assert.deepEqual(Array.from(f.get("train_images").data as Uint8Array), Array.from(imgs)); // untouched entry still reads
      assert.throws(() => f.get("train_labels"), (e: Error) => {
        assert.match(e.message, /entry 'train_labels\.npy'/);
        assert.match(e.message, /CRC-32 mismatch|cannot inflate|size is/);
        assert.match(e.message, /corrupt/);
        return true;
      });
    } finally {
      f.close();
    }
  }
  // A flipped byte in a stored entry is caught by the CRC.
  const stored = new Uint8Array(bytes);
  stored[30 + "train_images.npy".length + 200]! ^= 1;
  const g = NpzFile.open(tmpFile(stored));
  try {
    assert.throws(() => g.get("train_images"), /entry 'train_images\.npy': CRC-32 mismatch/);
  } finally {
    g.close();
  }
});

test("npz: a missing key lists the keys that are present", () => {
  const p = tmpFile(makeZip(medEntries()));
  const f = NpzFile.open(p);
  try {
    assert.throws(() => f.get("val_images"), /no array 'val_images' in this \.npz; it has: train_images, train_labels/);
  } finally {
    f.close();
  }
  assert.throws(() => readNpz(p, ["train_images", "test_labels"]), /missing array\(s\) 'test_labels'; it has: train_images, train_labels/);
});

test("npz: non-zip inputs and unsupported compression are rejected clearly", () => {
  const junk = tmpFile(Uint8Array.from({ length: 5000 }, (_, k) => (k * 7919) % 251), ".bin");
  assert.throws(() => NpzFile.open(junk), new RegExp(`${junk.replace(/[\\.]/g, "\\$&")} is not an \\.npz \\(zip\\) file`));
  const empty = tmpFile(new Uint8Array(0), ".bin");
  assert.throws(() => NpzFile.open(empty), /is not an \.npz \(zip\) file/);
  const npy = tmpFile(writeNpy({ dtype: "uint8", shape: [3], data: [1, 2, 3] }), ".npy");
  assert.throws(() => NpzFile.open(npy), /is not an \.npz \(zip\) file; it is a single \.npy array/);
  // Method 12 (bzip2) in the central directory.
  const b = Buffer.from(makeZip(medEntries()));
  const cdStart = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  b.writeUInt16LE(12, cdStart + 10);
  const f = NpzFile.open(tmpFile(b));
  try {
    assert.throws(() => f.get("train_images"), /entry 'train_images\.npy' uses zip compression method 12/);
  } finally {
    f.close();
  }
});

// ---------------------------------------------------------------------------
// 5. the real MedMNIST file

test("official retinamnist.npz reads lazily with the expected contents", () => {
  const p = path.resolve(__dirname, "../../../shared/data/medmnist/retinamnist.npz");
  if (!fs.existsSync(p)) assert.fail(`MedMNIST fixture missing: ${p} (place the official retinamnist.npz there)`);
  const size = fs.statSync(p).size;

  // Opening and reading one small array must not read the whole file.
  let bytesRead = 0;
  let calls = 0;
  const origRead = fsRaw.readSync;
  fsRaw.readSync = ((...args: unknown[]) => {
    const n = (origRead as (...a: unknown[]) => number)(...args);
    calls++;
    bytesRead += n;
    return n;
  }) as typeof fsRaw.readSync;
  let f: NpzFile;
  try {
    f = NpzFile.open(p);
    assert.equal(f.get("train_labels").data.length, 1080);
  } finally {
    fsRaw.readSync = origRead;
  }
  assert.ok(calls > 0, "reader goes through fs.readSync");
  assert.ok(bytesRead < 100_000 && bytesRead < size / 10, `read ${bytesRead} of ${size} bytes for one label array`);

  try {
    assert.deepEqual([...f.keys()].sort(), ["test_images", "test_labels", "train_images", "train_labels", "val_images", "val_labels"]);
    for (const [split, n] of [["train", 1080], ["val", 120], ["test", 400]] as const) {
      const im = f.get(`${split}_images`);
      assert.equal(im.dtype, "uint8");
      assert.deepEqual(im.shape, [n, 28, 28, 3]);
      assert.equal(im.fortranOrder, false);
      let max = 0;
      let min = 255;
      for (const v of im.data as Uint8Array) { if (v > max) max = v; if (v < min) min = v; }
      assert.ok(max > 200, `${split} max pixel ${max}`);
      assert.ok(min < 50, `${split} min pixel ${min}`);
      const lb = f.get(`${split}_labels`);
      assert.equal(lb.dtype, "uint8");
      assert.deepEqual(lb.shape, [n, 1]);
      const hist = [0, 0, 0, 0, 0];
      for (const v of lb.data as Uint8Array) {
        assert.ok(v <= 4, `${split} label ${v} out of 0..4`);
        hist[v]!++;
      }
      assert.equal(hist.reduce((a, b) => a + b, 0), n);
      if (split === "train") assert.ok(hist.every((c) => c > 0), `train histogram ${hist}`);
    }
  } finally {
    f.close();
  }
});
