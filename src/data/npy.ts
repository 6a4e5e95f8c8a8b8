// Dependency-free reader for NumPy .npy / .npz files (the MedMNIST format).
// The .npz reader opens the zip lazily: only the central directory is read up
// front, and each entry is read from its offset on demand, so multi-GB
// MedMNIST files (ZIP64) do not have to fit in memory at once.

import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { constants as bufferConstants } from "node:buffer";

export type NpyDtype =
  | "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32"
  | "int64" | "uint64" | "float32" | "float64" | "bool";

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  fortranOrder: boolean;
  data:
    | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
    | BigInt64Array | BigUint64Array | Float32Array | Float64Array;
}

type TypedCtor =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Uint16ArrayConstructor | Int16ArrayConstructor
  | Uint32ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor;

interface DtypeInfo { code: string; size: number; ctor: TypedCtor; min?: number; max?: number }

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  uint8: { code: "u1", size: 1, ctor: Uint8Array, min: 0, max: 0xff },
  int8: { code: "i1", size: 1, ctor: Int8Array, min: -0x80, max: 0x7f },
  uint16: { code: "u2", size: 2, ctor: Uint16Array, min: 0, max: 0xffff },
  int16: { code: "i2", size: 2, ctor: Int16Array, min: -0x8000, max: 0x7fff },
  uint32: { code: "u4", size: 4, ctor: Uint32Array, min: 0, max: 0xffffffff },
  int32: { code: "i4", size: 4, ctor: Int32Array, min: -0x80000000, max: 0x7fffffff },
  int64: { code: "i8", size: 8, ctor: BigInt64Array },
  uint64: { code: "u8", size: 8, ctor: BigUint64Array },
  float32: { code: "f4", size: 4, ctor: Float32Array },
  float64: { code: "f8", size: 8, ctor: Float64Array },
  bool: { code: "b1", size: 1, ctor: Uint8Array, min: 0, max: 1 },
};

const BY_CODE = new Map<string, NpyDtype>(
  (Object.keys(DTYPES) as NpyDtype[]).map((d) => [DTYPES[d].code, d]),
);

// Typed arrays use host byte order; .npy data here is little-endian.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function requireLittleEndianHost(): void {
  if (!HOST_LE) throw new Error("npy: this reader only supports little-endian hosts");
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// ---------------------------------------------------------------------------
// Header dict parser: a tiny Python-literal reader (no eval).

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

function parsePyLiteral(src: string, where: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${where}: cannot parse .npy header (${msg} at position ${i}): ${JSON.stringify(src.trim())}`);
  };
  const ws = () => { while (i < src.length && /\s/.test(src[i]!)) i++; };
  const value = (): PyValue => {
    ws();
    const c = src[i];
    if (c === "{") {
      i++;
      const out: { [k: string]: PyValue } = {};
      for (;;) {
        ws();
        if (src[i] === "}") { i++; return out; }
        const k = value();
        if (typeof k !== "string") fail("dict key is not a string");
        ws();
        if (src[i] !== ":") fail("expected ':'");
        i++;
        out[k as string] = value();
        ws();
        if (src[i] === ",") i++;
        else if (src[i] !== "}") fail("expected ',' or '}'");
      }
    }
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const out: PyValue[] = [];
      for (;;) {
        ws();
        if (src[i] === close) { i++; return out; }
        out.push(value());
        ws();
        if (src[i] === ",") i++;
        else if (src[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      i++;
      let s = "";
      while (i < src.length && src[i] !== c) {
        if (src[i] === "\\") i++; // simple escapes are enough for dtype strings
        s += src[i++];
      }
      if (i >= src.length) fail("unterminated string");
      i++;
      return s;
    }
    const m = /^(True|False|None|[-+]?\d+L?)/.exec(src.slice(i));
    if (!m) return fail("unexpected token");
    i += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    return Number(m[0].replace(/L$/, "")); // Python 2 headers may write 3L
  };
  const v = value();
  ws();
  if (i !== src.length) fail("trailing characters");
  return v;
}

function fmtShape(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

// ---------------------------------------------------------------------------
// .npy

export function parseNpy(bytes: Uint8Array, name = "npy data"): NpyArray {
  requireLittleEndianHost();
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new Error(`${name}: not a .npy array (bad magic; expected the bytes \\x93NUMPY at the start)`);
  }
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) { headerLen = dv.getUint16(8, true); headerStart = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${name}: .npy header is truncated`);
    headerLen = dv.getUint32(8, true); headerStart = 12;
  } else {
    throw new Error(`${name}: unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new Error(`${name}: .npy header runs past the end of the data (file truncated?)`);
  }
  // v1/v2 headers are latin1, v3 is utf8.
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLen)
    .toString(major === 3 ? "utf8" : "latin1");
  const header = parsePyLiteral(headerText, name);
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error(`${name}: .npy header is not a dict: ${headerText.trim()}`);
  }
  const { descr, fortran_order: fortran, shape: rawShape } = header;
  if (descr === undefined || fortran === undefined || rawShape === undefined) {
    throw new Error(`${name}: .npy header lacks 'descr', 'fortran_order' or 'shape': ${headerText.trim()}`);
  }
  if (typeof descr !== "string") {
    throw new Error(`${name}: structured dtype ${JSON.stringify(descr)} is not supported (plain numeric arrays only)`);
  }
  if (typeof fortran !== "boolean") throw new Error(`${name}: 'fortran_order' is not True/False`);
  if (!Array.isArray(rawShape) || rawShape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`${name}: 'shape' is not a tuple of non-negative integers: ${JSON.stringify(rawShape)}`);
  }
  const shape = rawShape as number[];

  const order = descr[0]!;
  const code = /[<>|=]/.test(order) ? descr.slice(1) : descr;
  if (code.startsWith("O")) {
    throw new Error(`${name}: dtype '${descr}' is a pickled object array, which is not supported (save a numeric array instead)`);
  }
  const dtype = BY_CODE.get(code);
  if (!dtype) {
    throw new Error(`${name}: unsupported dtype '${descr}' (supported: ${[...BY_CODE.keys()].join(", ")}, little-endian)`);
  }
  const info = DTYPES[dtype];
  // Byte order only matters for multi-byte types; '=' is "native", i.e. little-endian on any writer numpy supports in practice.
  if (order === ">" && info.size > 1) {
    throw new Error(`${name}: big-endian dtype '${descr}' is not supported; re-save it with arr.astype('<${code}')`);
  }

  const count = shape.reduce((a, b) => a * b, 1);
  const nbytes = count * info.size;
  if (!Number.isSafeInteger(nbytes)) throw new Error(`${name}: shape ${fmtShape(shape)} is too large`);
  const have = bytes.length - dataStart;
  if (have !== nbytes) {
    throw new Error(
      `${name}: data is ${have < nbytes ? "shorter" : "longer"} than the header says: shape ${fmtShape(shape)} ` +
      `${dtype} needs ${nbytes} bytes but ${have} are present` + (have < nbytes ? " (file truncated? re-download it)" : ""),
    );
  }
  // Typed-array views must start at a multiple of the element size; copy otherwise.
  let buf = bytes.buffer;
  let off = bytes.byteOffset + dataStart;
  if (off % info.size !== 0) {
    const copy = new Uint8Array(nbytes);
    copy.set(bytes.subarray(dataStart, dataStart + nbytes));
    buf = copy.buffer;
    off = 0;
  }
  const data = new info.ctor(buf, off, count);
  return { dtype, shape: [...shape], fortranOrder: fortran, data };
}

export function writeNpy(arr: {
  dtype: NpyDtype;
  shape: number[];
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
}): Uint8Array {
  requireLittleEndianHost();
  const info = DTYPES[arr.dtype];
  if (!info) throw new Error(`writeNpy: unsupported dtype '${String(arr.dtype)}'`);
  if (arr.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`writeNpy: shape ${JSON.stringify(arr.shape)} must be non-negative integers`);
  }
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new Error(`writeNpy: shape ${fmtShape(arr.shape)} needs ${count} values but data has ${arr.data.length}`);
  }

  let typed: NpyArray["data"];
  const src = arr.data;
  if (src instanceof info.ctor && arr.dtype !== "bool") {
    typed = src as NpyArray["data"]; // already the right element type
  } else if (info.ctor === BigInt64Array || info.ctor === BigUint64Array) {
    const out = new info.ctor(count);
    for (let k = 0; k < count; k++) {
      const v = src[k]!;
      if (typeof v === "number" && !Number.isInteger(v)) throw new Error(`writeNpy: value ${v} at index ${k} is not an integer (${arr.dtype})`);
      out[k] = BigInt(v); // BigInt64Array/BigUint64Array wrap out-of-range values
    }
    typed = out;
  } else {
    if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
      throw new Error(`writeNpy: BigInt data can only be written as int64/uint64, not ${arr.dtype}`);
    }
    const nums = src as ArrayLike<number>;
    const out = new (info.ctor as Float64ArrayConstructor)(count);
    for (let k = 0; k < count; k++) {
      let v = nums[k]!;
      if (arr.dtype === "bool") v = v ? 1 : 0;
      // Refuse silent wrap-around (e.g. 256 -> 0 in uint8): clip/round first.
      else if (info.min !== undefined && !(Number.isInteger(v) && v >= info.min && v <= info.max!)) {
        throw new Error(`writeNpy: value ${v} at index ${k} is not a valid ${arr.dtype}; round and clip the data first`);
      }
      out[k] = v;
    }
    typed = out as unknown as NpyArray["data"];
  }

  // Byte-identical to numpy: room for the first axis to grow to 21 digits, then
  // spaces + '\n' so the data starts on a 64-byte boundary.
  const grow = arr.shape.length ? " ".repeat(Math.max(0, 21 - String(arr.shape[0]).length)) : "";
  const dict = `{'descr': '${info.size === 1 ? "|" : "<"}${info.code}', 'fortran_order': False, 'shape': ${fmtShape(arr.shape)}, }` + grow;
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) { version = 2; prefix = 12; total = Math.ceil((prefix + dict.length + 1) / 64) * 64; }
  const headerLen = total - prefix;
  const headerText = dict + " ".repeat(headerLen - dict.length - 1) + "\n";

  const out = new Uint8Array(total + typed.byteLength);
  out.set(MAGIC, 0);
  out[6] = version; out[7] = 0;
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, headerLen, true); else dv.setUint32(8, headerLen, true);
  out.set(Buffer.from(headerText, "latin1"), prefix);
  out.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), total);
  return out;
}

// ---------------------------------------------------------------------------
// .npz (zip) reader

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

interface ZipEntry { name: string; method: number; flags: number; crc: number; csize: number; usize: number; localOffset: number }

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// zlib.crc32 appeared in Node 20.15/22.2; fall back to a table for older 20.x.
function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === "function") return native(bytes) >>> 0;
  let c = 0xffffffff;
  for (let k = 0; k < bytes.length; k++) c = CRC_TABLE[(c ^ bytes[k]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u64(dv: DataView, off: number, what: string): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} is too large (${v})`);
  return Number(v);
}

export class NpzFile {
  readonly path: string;
  private fd: number | null;
  private readonly size: number;
  private readonly entries: Map<string, ZipEntry>;

  private constructor(path: string, fd: number, size: number, entries: Map<string, ZipEntry>) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.entries = entries;
  }

  static open(path: string): NpzFile {
    const fd = fs.openSync(path, "r");
    try {
      const size = fs.fstatSync(fd).size;
      return new NpzFile(path, fd, size, readCentralDirectory(path, fd, size));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): NpyArray {
    if (this.fd === null) throw new Error(`${this.path}: NpzFile is closed`);
    const e = this.entries.get(key);
    if (!e) {
      throw new Error(`${this.path}: no array '${key}' in this .npz; it has: ${this.keys().join(", ") || "(none)"}`);
    }
    const where = `${this.path}: entry '${e.name}'`;
    const truncated = `${where} runs past the end of the file; the file looks truncated/incomplete — re-download it`;
    if (e.flags & 1) throw new Error(`${where} is encrypted, which is not supported`);
    if (e.localOffset + 30 > this.size) throw new Error(truncated);
    const lh = readAt(this.fd, e.localOffset, 30, truncated);
    const ldv = new DataView(lh.buffer, lh.byteOffset, lh.byteLength);
    if (ldv.getUint32(0, true) !== SIG_LOCAL) throw new Error(`${where}: bad local header; the file is corrupt — re-download it`);
    const dataStart = e.localOffset + 30 + ldv.getUint16(26, true) + ldv.getUint16(28, true);
    if (dataStart + e.csize > this.size) throw new Error(truncated);
    if (e.method !== 0 && e.method !== 8) {
      throw new Error(`${where} uses zip compression method ${e.method}; only 0 (stored) and 8 (deflate) are supported — re-save with numpy.savez or savez_compressed`);
    }
    if (e.usize > bufferConstants.MAX_LENGTH || e.csize > bufferConstants.MAX_LENGTH) {
      throw new Error(`${where} is ${e.usize} bytes, more than Node can hold in one buffer (${bufferConstants.MAX_LENGTH}); use a smaller image size (e.g. 28/64/128) or split the array`);
    }
    const raw = readAt(this.fd, dataStart, e.csize, truncated);
    let bytes: Uint8Array;
    if (e.method === 0) {
      bytes = raw;
    } else {
      try {
        // maxOutputLength bounds memory if the recorded size is a lie.
        bytes = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.usize) });
      } catch (err) {
        throw new Error(`${where}: cannot inflate the compressed data (${(err as Error).message}); the file is corrupt — re-download it`);
      }
    }
    if (bytes.length !== e.usize) {
      throw new Error(`${where}: size is ${bytes.length} bytes but the zip directory says ${e.usize}; the file is corrupt — re-download it`);
    }
    const crc = crc32(bytes);
    if (crc !== e.crc) {
      throw new Error(`${where}: CRC-32 mismatch (got ${hex(crc)}, expected ${hex(e.crc)}); the file is corrupt — re-download it`);
    }
    return parseNpy(bytes, `${this.path}:${e.name}`);
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

// Reads exactly `length` bytes at `position` into a fresh (unpooled, aligned) buffer.
function readAt(fd: number, position: number, length: number, truncatedMsg: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, Math.min(length - done, 0x40000000), position + done);
    if (n === 0) throw new Error(truncatedMsg);
    done += n;
  }
  return out;
}

function readCentralDirectory(path: string, fd: number, size: number): Map<string, ZipEntry> {
  const notZip = `${path} is not an .npz (zip) file`;
  const truncated = `${path} looks truncated/incomplete (no zip end-of-central-directory record); re-download it`;
  const head = readAt(fd, 0, Math.min(4, size), truncated);
  const startsLikeZip = head.length === 4 && new DataView(head.buffer).getUint32(0, true) === SIG_LOCAL;
  const startsLikeNpy = head.length === 4 && MAGIC.slice(0, 4).every((b, k) => head[k] === b);

  // The EOCD record (22 bytes + up to 64 KiB comment) sits at the very end.
  const tailLen = Math.min(size, 22 + 0xffff);
  const tailPos = size - tailLen;
  const tail = readAt(fd, tailPos, tailLen, truncated);
  const tdv = new DataView(tail.buffer);
  let eocd = -1;
  for (let k = tailLen - 22; k >= 0; k--) {
    if (tdv.getUint32(k, true) === SIG_EOCD && k + 22 + tdv.getUint16(k + 20, true) <= tailLen) { eocd = k; break; }
  }
  if (eocd < 0) {
    if (startsLikeNpy) throw new Error(`${notZip}; it is a single .npy array — read it with parseNpy`);
    throw new Error(startsLikeZip ? truncated : `${notZip} (no zip signature found)`);
  }
  let total = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  let cdEnd = tailPos + eocd; // where the central directory must end

  // ZIP64: a locator just before the EOCD points at the zip64 EOCD record.
  const locPos = tailPos + eocd - 20;
  if (locPos >= 0) {
    const loc = readAt(fd, locPos, 20, truncated);
    const ldv = new DataView(loc.buffer);
    if (ldv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const z64Pos = u64(ldv, 8, `${path}: zip64 end-of-central-directory offset`);
      if (z64Pos + 56 > locPos) throw new Error(`${path}: bad zip64 end-of-central-directory offset; the file is corrupt — re-download it`);
      const z = readAt(fd, z64Pos, 56, truncated);
      const zdv = new DataView(z.buffer);
      if (zdv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
        throw new Error(`${path}: zip64 end-of-central-directory record not found; the file is corrupt or truncated — re-download it`);
      }
      total = u64(zdv, 32, `${path}: zip64 entry count`);
      cdSize = u64(zdv, 40, `${path}: zip64 central directory size`);
      cdOffset = u64(zdv, 48, `${path}: zip64 central directory offset`);
      cdEnd = z64Pos;
    }
  }
  if (cdOffset + cdSize > cdEnd) {
    throw new Error(`${path}: the zip central directory lies outside the file; the file looks truncated/incomplete or corrupt — re-download it`);
  }

  const cd = readAt(fd, cdOffset, cdSize, truncated);
  const dv = new DataView(cd.buffer);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < total; n++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new Error(`${path}: zip central directory is damaged at entry ${n}; the file is corrupt — re-download it`);
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize) {
      throw new Error(`${path}: zip central directory is damaged at entry ${n}; the file is corrupt — re-download it`);
    }
    // Bit 11 = UTF-8 name; otherwise CP437, which is ASCII for numpy's names.
    const name = Buffer.from(cd.buffer, p + 46, nameLen).toString(flags & 0x800 ? "utf8" : "latin1");
    // ZIP64 extra field (id 1): 64-bit values for whichever fields are saturated, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (what: string): number => {
          if (q + 8 > x + 4 + len) throw new Error(`${path}: zip64 extra field of '${name}' is too short; the file is corrupt`);
          const v = u64(dv, q, `${path}: '${name}' ${what}`);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take("uncompressed size");
        if (csize === 0xffffffff) csize = take("compressed size");
        if (localOffset === 0xffffffff) localOffset = take("offset");
      }
      x += 4 + len;
    }
    p = xEnd + commentLen;
    if (name.endsWith("/")) continue; // directory entry
    const key = name.endsWith(".npy") ? name.slice(0, -4) : name;
    entries.set(key, { name, method, flags, crc, csize, usize, localOffset });
  }
  return entries;
}

export function readNpz(path: string, keys?: string[]): Record<string, NpyArray> {
  const f = NpzFile.open(path);
  try {
    const want = keys ?? f.keys();
    const missing = want.filter((k) => !f.has(k));
    if (missing.length) {
      throw new Error(`${path}: missing array(s) ${missing.map((k) => `'${k}'`).join(", ")}; it has: ${f.keys().join(", ") || "(none)"}`);
    }
    const out: Record<string, NpyArray> = {};
    for (const k of want) out[k] = f.get(k);
    return out;
  } finally {
    f.close();
  }
}
