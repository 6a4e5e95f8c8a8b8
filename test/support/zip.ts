/** A minimal zip writer for test fixtures (.npz files), stored or deflated, optionally ZIP64. */
import * as zlib from "node:zlib";

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipIn { name: string; data: Uint8Array; method: 0 | 8 }

/** Minimal zip writer; with zip64 every size/offset goes through the zip64 extra fields and EOCD64 record. */
export function makeZip(entries: ZipIn[], zip64 = false): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const FF = 0xffffffff;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const body = e.method === 8 ? zlib.deflateRawSync(e.data) : Buffer.from(e.data);
    const crc = crc32(e.data);
    const lx = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      lx.writeUInt16LE(1, 0); lx.writeUInt16LE(16, 2);
      lx.writeBigUInt64LE(BigInt(e.data.length), 4); lx.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(zip64 ? 45 : 20, 4); lh.writeUInt16LE(0x800, 6);
    lh.writeUInt16LE(e.method, 8); lh.writeUInt16LE(0, 10); lh.writeUInt16LE(0x21, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(zip64 ? FF : body.length, 18); lh.writeUInt32LE(zip64 ? FF : e.data.length, 22);
    lh.writeUInt16LE(name.length, 26); lh.writeUInt16LE(lx.length, 28);
    parts.push(lh, name, lx, body);

    const cx = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      cx.writeUInt16LE(1, 0); cx.writeUInt16LE(24, 2);
      cx.writeBigUInt64LE(BigInt(e.data.length), 4); cx.writeBigUInt64LE(BigInt(body.length), 12);
      cx.writeBigUInt64LE(BigInt(offset), 20);
    }
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(zip64 ? 45 : 20, 4); ch.writeUInt16LE(zip64 ? 45 : 20, 6);
    ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(e.method, 10); ch.writeUInt16LE(0, 12); ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(zip64 ? FF : body.length, 20); ch.writeUInt32LE(zip64 ? FF : e.data.length, 24);
    ch.writeUInt16LE(name.length, 28); ch.writeUInt16LE(cx.length, 30);
    ch.writeUInt32LE(zip64 ? FF : offset, 42);
    central.push(ch, name, cx);
    offset += lh.length + name.length + lx.length + body.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [cd];
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0); z.writeBigUInt64LE(44n, 4); z.writeUInt16LE(45, 12); z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24); z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40); z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0); loc.writeBigUInt64LE(BigInt(offset + cd.length), 8); loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
    eocd.writeUInt16LE(0xffff, 8); eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(FF, 12); eocd.writeUInt32LE(FF, 16);
  } else {
    eocd.writeUInt16LE(entries.length, 8); eocd.writeUInt16LE(entries.length, 10);
    eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  }
  tail.push(eocd);
  return new Uint8Array(Buffer.concat([...parts, ...tail]));
}
