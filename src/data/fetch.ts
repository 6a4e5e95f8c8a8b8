/**
 * Verified, resumable downloads over node:http/https, and a small .tar.gz extractor.
 *
 * A download goes to `<dest>.part`. An interrupted one is resumed with an HTTP Range request (a
 * server that ignores Range, answering 200, restarts it from zero). Only once the whole file is
 * there and its checksum matches is it renamed into place (atomic on one file system), so a
 * failed or corrupt download never leaves a file at `dest` that later looks valid. A checksum
 * mismatch deletes the .part.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { progress } from "../ui/progress";

export interface DownloadOptions {
  /** Expected MD5 (hex); the file is rejected if it differs. */
  md5?: string;
  /** Expected SHA-256 (hex). */
  sha256?: string;
  /** Expected size in bytes. */
  size?: number;
  /** Called as bytes arrive (total: the full size when known). Replaces the default progress bar. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** No progress bar (when no onProgress is given). */
  quiet?: boolean;
  /** Label of the progress bar (default: the file name). */
  label?: string;
  /** An idle connection (no bytes for this long) counts as cut (default 60 s). */
  timeoutMs?: number;
  /** How many times a cut connection, timeout or 5xx answer is retried, resuming (default 3). */
  retries?: number;
  /** Wait before retry k is k times this (default 1000 ms). */
  retryDelayMs?: number;
  /** What to tell the user to do by hand if the download fails (default: fetch URL to dest). */
  manual?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  md5: string;
  sha256: string;
  /** True when some bytes came from an earlier, interrupted download (Range request). */
  resumed: boolean;
  /** HTTP requests made (redirect hops not counted). */
  requests: number;
}

export type DownloadErrorKind = "network" | "http" | "checksum" | "size" | "cut";

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly kind: DownloadErrorKind,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** Connection errors that mean "no route to the server": retrying at once will not help. */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EAI_FAIL", "EAI_NONAME"]);

const MAX_REDIRECTS = 10;
const USER_AGENT = "mia-adversarial-lab (node)";

interface Answer {
  res: http.IncomingMessage;
  url: string;
  req: http.ClientRequest;
}

/** GET with redirects followed (the same headers are sent to every hop). */
function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const hop = (current: string, left: number) => {
      let u: URL;
      try {
        u = new URL(current);
      } catch {
        reject(new DownloadError(`bad URL '${current}'`, "http", url));
        return;
      }
      const mod = u.protocol === "https:" ? https : u.protocol === "http:" ? http : undefined;
      if (mod === undefined) {
        reject(new DownloadError(`unsupported protocol in ${current} (only http and https)`, "http", url));
        return;
      }
      const req = mod.get(u, { headers: { "user-agent": USER_AGENT, ...headers } }, (res) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
          res.resume();
          if (left <= 0) {
            reject(new DownloadError(`too many redirects (more than ${MAX_REDIRECTS}) from ${url}`, "http", url, status));
            return;
          }
          hop(new URL(res.headers.location, current).toString(), left - 1);
          return;
        }
        resolve({ res, url: current, req });
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no data for ${timeoutMs / 1000}s`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
    };
    hop(url, MAX_REDIRECTS);
  });
}

/** Hex MD5 and SHA-256 of a file, streamed. */
export async function hashFile(file: string): Promise<{ md5: string; sha256: string; bytes: number }> {
  const md5 = crypto.createHash("md5");
  const sha = crypto.createHash("sha256");
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { md5: md5.digest("hex"), sha256: sha.digest("hex"), bytes };
}

/** Whether `file` exists and matches the given sums / size (hashes the file when a sum is given). */
export async function verifyFile(file: string, expect: { md5?: string; sha256?: string; size?: number }): Promise<boolean> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return false;
  if (expect.size !== undefined && fs.statSync(file).size !== expect.size) return false;
  if (expect.md5 === undefined && expect.sha256 === undefined) return true;
  const h = await hashFile(file);
  return (expect.md5 === undefined || h.md5 === expect.md5.toLowerCase()) && (expect.sha256 === undefined || h.sha256 === expect.sha256.toLowerCase());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sizeOf = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);
const mb = (n: number) => (n / 1e6).toFixed(1);
const human = (n: number) => (n >= 1e6 ? `${mb(n)} MB` : `${n} bytes`);

/** "bytes 100-199/1000" -> { start: 100, total: 1000 } */
function parseContentRange(v: string | undefined): { start: number; total: number | undefined } | undefined {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v?.trim() ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

/**
 * Downloads `url` to `dest`, verified and placed atomically (see the file comment). Resolves with
 * the file's sums; rejects with a DownloadError whose message says what failed and what to do.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const manual = options.manual ?? `download ${url} by hand (a browser, curl or wget) and put it at ${dest}`;
  let resumed = false;
  let requests = 0;
  let total: number | undefined = options.size;
  let bar: ReturnType<typeof progress> | undefined;
  const report = (done: number) => {
    if (options.onProgress) options.onProgress(done, total);
    else if (!options.quiet && total !== undefined && total > 0) {
      bar ??= progress(Math.max(1, Math.ceil(total / 1e6)), `${options.label ?? path.basename(dest)} (MB)`);
      bar.update(Math.floor(done / 1e6));
    }
  };

  for (let attempt = 0; ; attempt++) {
    let offset = sizeOf(part);
    if (total !== undefined && offset > total) {
      fs.rmSync(part, { force: true });
      offset = 0;
    }
    const complete = total !== undefined && offset === total && offset > 0;
    if (!complete) {
      let stalled = false;
      try {
        requests++;
        const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
        const { res, url: finalUrl, req } = await get(url, headers, timeoutMs);
        req.on("timeout", () => (stalled = true));
        const status = res.statusCode ?? 0;
        if (status === 416 && offset > 0) {
          // The .part already holds the whole file (keep it, verify below) or is stale (start again).
          res.resume();
          const cr = /\/(\d+)\s*$/.exec(String(res.headers["content-range"] ?? ""));
          if (cr && Number(cr[1]) === offset) total = offset;
          else fs.rmSync(part, { force: true });
          if (attempt > retries + 2) throw new DownloadError(`${url}: the server keeps refusing the resume request (HTTP 416). Delete ${part} and try again, or ${manual}.`, "http", url, 416);
          continue;
        }
        if (status >= 400 || (status !== 200 && status !== 206)) {
          res.resume();
          const hint = status === 404 ? " (not found: the file may have moved)" : status === 403 || status === 401 ? " (access denied)" : status >= 500 ? " (a server error; try again later)" : "";
          const err = new DownloadError(`HTTP ${status} ${res.statusMessage ?? ""}${hint} for ${finalUrl}. Try again later, or ${manual}.`.replace(/ +/g, " "), "http", url, status);
          if (status >= 500 || status === 429) throw Object.assign(err, { retry: true });
          throw err;
        }
        let append = false;
        let expected: number | undefined;
        const len = res.headers["content-length"] !== undefined ? Number(res.headers["content-length"]) : undefined;
        if (status === 206) {
          const cr = parseContentRange(res.headers["content-range"]);
          if (cr === undefined || cr.start !== offset) {
            // A range we did not ask for: throw the .part away and start over.
            res.resume();
            fs.rmSync(part, { force: true });
            throw Object.assign(new DownloadError(`${url}: the server answered a different range than asked (${res.headers["content-range"]}); restarting`, "cut", url, 206), { retry: true });
          }
          append = true;
          resumed = true;
          if (cr.total !== undefined) total = options.size ?? cr.total;
          expected = len !== undefined ? offset + len : cr.total;
        } else {
          // 200: the whole file (a server that ignores Range lands here too): restart from zero.
          offset = 0;
          if (len !== undefined && Number.isFinite(len)) total = options.size ?? len;
          expected = len;
        }
        if (options.size !== undefined && expected !== undefined && expected !== options.size) {
          res.resume();
          throw new DownloadError(`${url} is ${expected} bytes but ${options.size} were expected: the file on the server is not the published one. Check the URL, or ${manual}.`, "size", url, status);
        }
        let done = offset;
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        report(done);
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            done += chunk.length;
            report(done);
            cb(null, chunk);
          },
        });
        await pipeline(res, counter, fs.createWriteStream(part, { flags: append ? "a" : "w" }));
        if (!res.complete || (expected !== undefined && sizeOf(part) < expected)) {
          throw Object.assign(new DownloadError(`${url}: the connection was cut at ${human(sizeOf(part))} of ${expected !== undefined ? human(expected) : "?"}.`, "cut", url), { retry: true });
        }
        if (total === undefined) total = sizeOf(part);
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { retry?: boolean };
        const code = stalled ? "ETIMEDOUT" : (e.code ?? "");
        if (UNREACHABLE.has(code)) {
          const host = (() => {
            try {
              return new URL(url).host;
            } catch {
              return url;
            }
          })();
          throw new DownloadError(
            `no network (${code}: cannot reach ${host}): ${manual}.` +
              (sizeOf(part) > 0 ? ` The partial download in ${part} is kept and resumed next time.` : ""),
            "network",
            url,
          );
        }
        const retryable = e.retry === true || (!(err instanceof DownloadError) && code !== "");
        if (err instanceof DownloadError && !retryable) throw err;
        if (!retryable || attempt >= retries) {
          const kept = sizeOf(part) > 0 ? ` The ${human(sizeOf(part))} already fetched are kept in ${part} and resumed next time.` : "";
          if (err instanceof DownloadError) {
            throw new DownloadError(`${err.message} Gave up after ${attempt + 1} attempt(s).${kept}`, err.kind, url, err.status);
          }
          throw new DownloadError(
            `connection to ${url} failed (${stalled ? `no data for ${timeoutMs / 1000}s` : code || e.message}); gave up after ${attempt + 1} attempt(s).${kept} Run it again later, or ${manual}.`,
            "cut",
            url,
          );
        }
        await sleep(retryDelayMs * (attempt + 1));
        continue;
      }
    }
    // Whole file in the .part: check it, then place it.
    const bytes = sizeOf(part);
    if (options.size !== undefined && bytes !== options.size) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(`${url}: got ${bytes} bytes, expected ${options.size}; the partial file was deleted. Run it again, or ${manual}.`, "size", url);
    }
    const h = await hashFile(part);
    const bad: string[] = [];
    if (options.md5 !== undefined && h.md5 !== options.md5.toLowerCase()) bad.push(`MD5 expected ${options.md5.toLowerCase()}, got ${h.md5}`);
    if (options.sha256 !== undefined && h.sha256 !== options.sha256.toLowerCase()) bad.push(`SHA-256 expected ${options.sha256.toLowerCase()}, got ${h.sha256}`);
    if (bad.length > 0) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(
        `checksum mismatch for ${url}: ${bad.join("; ")} (${bytes} bytes). The download was deleted; nothing was placed at ${dest}. ` +
          `Run it again (a corrupt transfer), or if it fails the same way the file on the server differs from the published one: ${manual} and check its sum.`,
        "checksum",
        url,
      );
    }
    fs.renameSync(part, dest);
    bar?.finish(resumed ? "resumed" : undefined);
    return { path: dest, bytes, md5: h.md5, sha256: h.sha256, resumed, requests };
  }
}

// ---------------------------------------------------------------------------------------------
// .tar.gz extraction (ustar, with GNU long names and pax path records), streamed over gunzip.

export interface TarEntry {
  name: string;
  size: number;
  type: "file" | "dir";
}

function octal(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  if (field[0] & 0x80) {
    // base-256 (GNU) for large sizes
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const s = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return s === "" ? 0 : parseInt(s, 8);
}

const cstr = (buf: Buffer, start: number, len: number): string => {
  const field = buf.subarray(start, start + len);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("utf8");
};

/** A member name made safe: relative, no '..', no absolute path. */
function safeName(name: string, archive: string): string {
  const norm = path.posix.normalize(name.replace(/\\/g, "/")).replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (norm === "" || norm === ".") return "";
  if (path.posix.isAbsolute(norm) || norm === ".." || norm.startsWith("../")) {
    throw new Error(`${archive}: refusing to extract '${name}' (outside the target folder).`);
  }
  return norm;
}

/**
 * Extracts regular files and folders of a .tar.gz into `dir` (links and devices are skipped).
 * Returns the entries extracted. Throws on a truncated or malformed archive.
 */
export async function extractTarGz(archive: string, dir: string): Promise<TarEntry[]> {
  fs.mkdirSync(dir, { recursive: true });
  const entries: TarEntry[] = [];
  let buf = Buffer.alloc(0);
  let state: "header" | "data" | "end" = "header";
  let remaining = 0; // data bytes of the current entry still to come
  let padding = 0; // padding bytes after it
  let fd: number | undefined;
  let collect: Buffer[] | undefined; // for pax / GNU long-name records
  let collectKind: "pax" | "longname" | undefined;
  let nextName: string | undefined;
  const finishEntry = () => {
    if (fd !== undefined) {
      fs.closeSync(fd);
      fd = undefined;
    }
    if (collect !== undefined) {
      const data = Buffer.concat(collect);
      if (collectKind === "longname") nextName = cstr(data, 0, data.length);
      else {
        // pax records: "<len> key=value\n"
        let i = 0;
        while (i < data.length) {
          const sp = data.indexOf(0x20, i);
          if (sp < 0) break;
          const len = Number(data.subarray(i, sp).toString("latin1"));
          if (!Number.isFinite(len) || len <= 0) break;
          const rec = data.subarray(sp + 1, i + len - 1).toString("utf8");
          const eq = rec.indexOf("=");
          if (eq > 0 && rec.slice(0, eq) === "path") nextName = rec.slice(eq + 1);
          i += len;
        }
      }
      collect = undefined;
      collectKind = undefined;
    }
  };
  const gunzip = zlib.createGunzip();
  const source = fs.createReadStream(archive);
  source.on("error", (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
      for (;;) {
        if (state === "data") {
          if (remaining > 0) {
            if (buf.length === 0) break;
            const n = Math.min(remaining, buf.length);
            const piece = buf.subarray(0, n);
            if (fd !== undefined) fs.writeSync(fd, piece);
            else if (collect !== undefined) collect.push(Buffer.from(piece));
            remaining -= n;
            buf = buf.subarray(n);
            if (remaining > 0) break;
          }
          if (padding > 0) {
            const n = Math.min(padding, buf.length);
            padding -= n;
            buf = buf.subarray(n);
            if (padding > 0) break;
          }
          finishEntry();
          state = "header";
        }
        if (buf.length < 512) break;
        const h = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (h.every((b) => b === 0)) {
          state = "end";
          break;
        }
        let sum = 0;
        for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
        if (sum !== octal(h, 148, 8)) throw new Error(`${archive}: bad tar header checksum (not a tar archive, or corrupt).`);
        const type = String.fromCharCode(h[156] || 0x30);
        const size = octal(h, 124, 12);
        const magic = h.subarray(257, 262).toString("latin1");
        const prefix = magic === "ustar" ? cstr(h, 345, 155) : "";
        let name = nextName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
        remaining = size;
        padding = (512 - (size % 512)) % 512;
        state = "data";
        if (type === "x" || type === "L") {
          collect = [];
          collectKind = type === "x" ? "pax" : "longname";
          continue;
        }
        nextName = undefined;
        if (type === "g") continue; // global pax header: ignored
        name = safeName(name, archive);
        if (name === "") continue;
        const target = path.join(dir, ...name.split("/"));
        if (type === "5") {
          fs.mkdirSync(target, { recursive: true });
          entries.push({ name, size: 0, type: "dir" });
        } else if (type === "0" || type === "7") {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fd = fs.openSync(target, "w");
          entries.push({ name, size, type: "file" });
        }
        // other types (links, devices, fifos): data skipped
      }
      if (state === "end") break;
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    source.destroy();
    gunzip.destroy();
  }
  if (state !== "end" && (state !== "header" || buf.length !== 0 || entries.length === 0)) {
    throw new Error(`${archive}: truncated tar archive (it ends inside ${state === "data" ? "a file" : "a header"}).`);
  }
  return entries;
}

/**
 * Extracts `archive` into a temporary folder beside `target`, checks that `member` (a folder in
 * the archive, e.g. "cifar-10-batches-bin") holds every `expect`ed file (at `sizes`), then renames that folder
 * to `target` in one step. On any failure the temporary folder is removed and nothing is placed.
 */
export async function extractTarGzAtomic(
  archive: string,
  target: string,
  options: { member?: string; expect?: readonly string[]; sizes?: Readonly<Record<string, number>> } = {},
): Promise<TarEntry[]> {
  if (fs.existsSync(target)) throw new Error(`${target} already exists; remove it first (extraction never overwrites).`);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.extract-${path.basename(target)}-`));
  try {
    const entries = await extractTarGz(archive, tmp);
    const source = options.member ? path.join(tmp, options.member) : tmp;
    if (!fs.existsSync(source) || !fs.statSync(source).isDirectory()) {
      throw new Error(`${archive} has no folder '${options.member}' (it holds: ${entries.slice(0, 8).map((e) => e.name).join(", ")}${entries.length > 8 ? ", ..." : ""}).`);
    }
    const missing = (options.expect ?? []).filter((f) => !fs.existsSync(path.join(source, f)));
    if (missing.length > 0) throw new Error(`${archive} lacks ${missing.join(", ")} in ${options.member ?? "its top folder"}; it is not the expected archive.`);
    for (const [f, n] of Object.entries(options.sizes ?? {})) {
      const got = fs.statSync(path.join(source, f)).size;
      if (got !== n) throw new Error(`${archive}: ${f} is ${got} bytes, expected ${n}; it is not the expected archive.`);
    }
    fs.renameSync(source, target);
    return entries;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
