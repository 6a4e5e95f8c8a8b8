/** Downloads (resume, redirects, checksums, failures) against a local HTTP server; .tar.gz extraction; the catalog. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { download, DownloadError, extractTarGz, extractTarGzAtomic } from "../src/data/fetch";
import { catalog, fetchDatasets, formatSources, missingReport, MEDMNIST_NAMES, type CatalogFile } from "../src/data/catalog";

const md5 = (b: Buffer) => crypto.createHash("md5").update(b).digest("hex");
const made: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "mia-fetch-"));
  made.push(d);
  return d;
};

// ---------------------------------------------------------------------------------------------
// The local server: files by path; each path may have its own behaviour.

const BODY = crypto.randomBytes(300_000);
const SMALL = Buffer.from("a small fixture file\n".repeat(50));
interface Seen {
  path: string;
  range?: string;
}
const seen: Seen[] = [];
const files = new Map<string, Buffer>();
let cutOnce = true;
let server: http.Server;
let base = "";

function sendRange(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
  if (m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { "content-length": body.length - start, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { "content-length": body.length });
  res.end(body);
}

before(async () => {
  server = http.createServer((req, res) => {
    const p = new URL(req.url ?? "/", "http://x").pathname;
    seen.push({ path: p, range: req.headers.range });
    if (p === "/ok.bin") return sendRange(req, res, BODY);
    if (p === "/cut.bin") {
      if (cutOnce) {
        // Headers announce the whole file; half the body is sent, then the socket is destroyed.
        cutOnce = false;
        res.writeHead(200, { "content-length": BODY.length });
        res.write(BODY.subarray(0, BODY.length / 2), () => setTimeout(() => req.socket.destroy(), 30));
        return;
      }
      return sendRange(req, res, BODY);
    }
    if (p === "/norange.bin") {
      res.writeHead(200, { "content-length": BODY.length });
      res.end(BODY);
      return;
    }
    if (p === "/stall.bin") {
      res.writeHead(200, { "content-length": BODY.length });
      res.write(BODY.subarray(0, 1000));
      return; // never ends
    }
    if (p === "/fail500.bin") {
      res.writeHead(500).end("boom");
      return;
    }
    if (p === "/redirect") {
      res.writeHead(302, { location: "/redirect2" }).end();
      return;
    }
    if (p === "/redirect2") {
      res.writeHead(301, { location: `${base}/ok.bin` }).end();
      return;
    }
    const f = files.get(p.slice(1));
    if (f) return sendRange(req, res, f);
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A port with nothing listening. */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const quiet = { quiet: true, retryDelayMs: 5, timeoutMs: 5000 };

// ---------------------------------------------------------------------------------------------

test("download: a verified file is placed, with no .part left", async () => {
  const dir = tmp();
  const dest = path.join(dir, "sub", "ok.bin");
  let last = 0;
  const r = await download(`${base}/ok.bin`, dest, { ...quiet, md5: md5(BODY), onProgress: (d) => (last = d) });
  assert.deepEqual(fs.readFileSync(dest), BODY);
  assert.equal(r.md5, md5(BODY));
  assert.equal(r.bytes, BODY.length);
  assert.equal(r.resumed, false);
  assert.equal(last, BODY.length);
  assert.equal(fs.existsSync(`${dest}.part`), false);
  // sha256 and size are checked too
  const dest2 = path.join(dir, "ok2.bin");
  await download(`${base}/ok.bin`, dest2, { ...quiet, sha256: crypto.createHash("sha256").update(BODY).digest("hex"), size: BODY.length });
  assert.deepEqual(fs.readFileSync(dest2), BODY);
});

test("download: a cut connection is resumed with a Range request and the file is whole", async () => {
  const dir = tmp();
  const dest = path.join(dir, "cut.bin");
  seen.length = 0;
  const r = await download(`${base}/cut.bin`, dest, { ...quiet, md5: md5(BODY), retries: 3 });
  const reqs = seen.filter((s) => s.path === "/cut.bin");
  assert.equal(reqs.length, 2, JSON.stringify(reqs));
  assert.equal(reqs[0].range, undefined);
  const m = /^bytes=(\d+)-$/.exec(reqs[1].range ?? "");
  assert.ok(m, `second request must carry a Range header, got ${reqs[1].range}`);
  assert.ok(Number(m![1]) > 0 && Number(m![1]) <= BODY.length / 2, `resumed from ${m![1]}`);
  assert.equal(r.resumed, true);
  assert.deepEqual(fs.readFileSync(dest), BODY);
  assert.equal(fs.existsSync(`${dest}.part`), false);
});

test("download: an existing .part is resumed; a server ignoring Range (200) restarts from zero", async () => {
  const dir = tmp();
  // Resume from a correct .part left by an earlier run.
  const dest = path.join(dir, "ok.bin");
  fs.writeFileSync(`${dest}.part`, BODY.subarray(0, 1000));
  seen.length = 0;
  const r1 = await download(`${base}/ok.bin`, dest, { ...quiet, md5: md5(BODY) });
  assert.equal(seen[0].range, "bytes=1000-");
  assert.equal(r1.resumed, true);
  assert.deepEqual(fs.readFileSync(dest), BODY);
  // A server that ignores Range: the stale .part (garbage) must not be kept in front.
  const dest2 = path.join(dir, "norange.bin");
  fs.writeFileSync(`${dest2}.part`, Buffer.alloc(5000, 7));
  seen.length = 0;
  const r2 = await download(`${base}/norange.bin`, dest2, { ...quiet, md5: md5(BODY) });
  assert.equal(seen[0].range, "bytes=5000-");
  assert.equal(r2.resumed, false);
  assert.deepEqual(fs.readFileSync(dest2), BODY);
  assert.equal(fs.existsSync(`${dest2}.part`), false);
});

test("download: a wrong checksum is rejected, naming URL, expected and actual sums; nothing is left", async () => {
  const dir = tmp();
  const dest = path.join(dir, "ok.bin");
  const wrong = "0123456789abcdef0123456789abcdef";
  await assert.rejects(download(`${base}/ok.bin`, dest, { ...quiet, md5: wrong }), (err: Error) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.kind, "checksum");
    assert.match(err.message, /checksum mismatch/);
    assert.ok(err.message.includes(`${base}/ok.bin`), err.message);
    assert.ok(err.message.includes(wrong), err.message);
    assert.ok(err.message.includes(md5(BODY)), err.message);
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("download: HTTP 500 (retried, then a clear error) and 404 (not retried) leave nothing", async () => {
  const dir = tmp();
  const dest = path.join(dir, "x.bin");
  seen.length = 0;
  await assert.rejects(download(`${base}/fail500.bin`, dest, { ...quiet, retries: 2 }), (err: Error) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.status, 500);
    assert.match(err.message, /HTTP 500/);
    assert.match(err.message, /fail500\.bin/);
    assert.match(err.message, /by hand/);
    assert.match(err.message, /3 attempt/);
    return true;
  });
  assert.equal(seen.filter((s) => s.path === "/fail500.bin").length, 3);
  seen.length = 0;
  await assert.rejects(download(`${base}/missing.bin`, dest, { ...quiet, retries: 2 }), /HTTP 404.*not found/);
  assert.equal(seen.length, 1);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("download: a stalled transfer times out (then is retried, resuming) and fails clearly", async () => {
  const dir = tmp();
  const dest = path.join(dir, "stall.bin");
  seen.length = 0;
  await assert.rejects(download(`${base}/stall.bin`, dest, { ...quiet, timeoutMs: 150, retries: 1 }), (err: Error) => {
    assert.ok(err instanceof DownloadError);
    assert.match(err.message, /no data for 0\.15s|ETIMEDOUT|cut/);
    assert.match(err.message, /2 attempt/);
    assert.match(err.message, /kept in .*stall\.bin\.part and resumed next time/);
    return true;
  });
  assert.equal(seen[1].range, "bytes=1000-");
  assert.equal(fs.existsSync(dest), false, "nothing placed");
});

test("download: redirects (relative and absolute) are followed", async () => {
  const dir = tmp();
  const dest = path.join(dir, "r.bin");
  seen.length = 0;
  await download(`${base}/redirect`, dest, { ...quiet, md5: md5(BODY) });
  assert.deepEqual(seen.map((s) => s.path), ["/redirect", "/redirect2", "/ok.bin"]);
  assert.deepEqual(fs.readFileSync(dest), BODY);
});

test("download: no server is a clear 'no network' error that says how to download by hand", async () => {
  const dir = tmp();
  const dest = path.join(dir, "x.npz");
  const url = `http://127.0.0.1:${await deadPort()}/x.npz`;
  const t0 = Date.now();
  await assert.rejects(download(url, dest, { ...quiet, retries: 3, retryDelayMs: 1000 }), (err: Error) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.kind, "network");
    assert.match(err.message, /no network/);
    assert.ok(err.message.includes(`download ${url} by hand`), err.message);
    assert.ok(err.message.includes(dest), err.message);
    return true;
  });
  assert.ok(Date.now() - t0 < 900, "an unreachable server is not retried");
  assert.deepEqual(fs.readdirSync(dir), []);
});

// ---------------------------------------------------------------------------------------------
// .tar.gz

/** A ustar header + data blocks, for archives the tar CLI will not write (e.g. '../' names). */
function tarEntry(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

function makeTarGz(dir: string, name: string, top: string, contents: Record<string, Buffer>): string {
  const src = tmp();
  for (const [f, b] of Object.entries(contents)) {
    fs.mkdirSync(path.dirname(path.join(src, top, f)), { recursive: true });
    fs.writeFileSync(path.join(src, top, f), b);
  }
  const archive = path.join(dir, name);
  execFileSync("tar", ["-czf", archive, "-C", src, top]);
  return archive;
}

const LONG = `${"a-very-long-folder-name-".repeat(5)}/file-with-a-long-name.bin`;
const TREE: Record<string, Buffer> = { "data_batch_1.bin": BODY.subarray(0, 3073 * 3), "batches.meta.txt": Buffer.from("airplane\nautomobile\n"), [LONG]: SMALL };

test("tar.gz: extracted into a temporary folder, then placed atomically; bad archives place nothing", async () => {
  const dir = tmp();
  const archive = makeTarGz(dir, "t.tar.gz", "cifar-10-batches-bin", TREE);
  const target = path.join(dir, "cifar10", "cifar-10-batches-bin");
  const entries = await extractTarGzAtomic(archive, target, { member: "cifar-10-batches-bin", expect: ["data_batch_1.bin", "batches.meta.txt"], sizes: { "data_batch_1.bin": 3073 * 3 } });
  for (const [f, b] of Object.entries(TREE)) assert.deepEqual(fs.readFileSync(path.join(target, ...f.split("/"))), b, f);
  assert.ok(entries.some((e) => e.name.endsWith("file-with-a-long-name.bin")), "a name over 100 characters");
  assert.deepEqual(fs.readdirSync(path.dirname(target)), ["cifar-10-batches-bin"], "no temporary folder left");
  // Never over an existing folder.
  await assert.rejects(extractTarGzAtomic(archive, target, { member: "cifar-10-batches-bin" }), /already exists/);
  // A missing expected file, a wrong size, a missing member: nothing placed, nothing left.
  const t2 = path.join(dir, "other", "cifar-10-batches-bin");
  await assert.rejects(extractTarGzAtomic(archive, t2, { member: "cifar-10-batches-bin", expect: ["test_batch.bin"] }), /lacks test_batch\.bin/);
  await assert.rejects(extractTarGzAtomic(archive, t2, { member: "cifar-10-batches-bin", sizes: { "data_batch_1.bin": 30730000 } }), /expected 30730000/);
  await assert.rejects(extractTarGzAtomic(archive, t2, { member: "nope" }), /no folder 'nope'/);
  assert.deepEqual(fs.readdirSync(path.join(dir, "other")), []);
  // Truncated archive.
  const cut = path.join(dir, "cut.tar.gz");
  fs.writeFileSync(cut, fs.readFileSync(archive).subarray(0, 200));
  await assert.rejects(extractTarGzAtomic(cut, t2, { member: "cifar-10-batches-bin" }));
  assert.deepEqual(fs.readdirSync(path.join(dir, "other")), []);
  // Built by hand: a plain entry works; a '../' entry is refused.
  const good = path.join(dir, "hand.tar.gz");
  fs.writeFileSync(good, zlib.gzipSync(Buffer.concat([tarEntry("top/x.txt", SMALL), Buffer.alloc(1024)])));
  const out = path.join(dir, "hand");
  await extractTarGz(good, out);
  assert.deepEqual(fs.readFileSync(path.join(out, "top", "x.txt")), SMALL);
  const evil = path.join(dir, "evil.tar.gz");
  fs.writeFileSync(evil, zlib.gzipSync(Buffer.concat([tarEntry("../escape.txt", SMALL), Buffer.alloc(1024)])));
  await assert.rejects(extractTarGz(evil, path.join(dir, "evil")), /refusing/);
  assert.equal(fs.existsSync(path.join(dir, "escape.txt")), false);
});

// ---------------------------------------------------------------------------------------------
// fetchDatasets and the catalog

test("fetchDatasets: downloads what is missing, skips what is present and verified, extracts archives", async () => {
  const served = tmp();
  const npz = crypto.randomBytes(20_000);
  files.set("fake_64.npz", npz);
  const archive = makeTarGz(served, "fake-bin.tar.gz", "cifar-10-batches-bin", TREE);
  files.set("fake-bin.tar.gz", fs.readFileSync(archive));
  const fake: CatalogFile[] = [
    { dataset: "fakemnist", title: "fake", file: "medmnist/fake_64.npz", url: "https://example.invalid/fake_64.npz", md5: md5(npz) },
    {
      dataset: "cifar10",
      title: "fake cifar",
      file: "cifar10/fake-bin.tar.gz",
      url: "https://example.invalid/fake-bin.tar.gz",
      md5: md5(fs.readFileSync(archive)),
      extract: { member: "cifar-10-batches-bin", to: "cifar10/cifar-10-batches-bin", expect: ["data_batch_1.bin", "batches.meta.txt"] },
    },
  ];
  const root = tmp();
  seen.length = 0;
  const r1 = await fetchDatasets({ root, catalog: fake, baseUrl: base, quiet: true, retryDelayMs: 5 });
  assert.equal(r1.ok, true, JSON.stringify(r1));
  assert.deepEqual(r1.items.map((i) => i.status), ["downloaded", "downloaded"]);
  assert.deepEqual(fs.readFileSync(path.join(root, "medmnist", "fake_64.npz")), npz);
  assert.deepEqual(fs.readFileSync(path.join(root, "cifar10", "cifar-10-batches-bin", "data_batch_1.bin")), TREE["data_batch_1.bin"]);
  assert.deepEqual(fs.readdirSync(path.join(root, "cifar10")), ["cifar-10-batches-bin"], "archive deleted after extraction, no temp folder");
  assert.equal(seen.length, 2);
  // Second run: nothing fetched.
  seen.length = 0;
  const r2 = await fetchDatasets({ root, catalog: fake, baseUrl: base, quiet: true });
  assert.deepEqual(r2.items.map((i) => i.status), ["present", "present"]);
  assert.equal(seen.length, 0);
  // A corrupt file at the destination is reported, never overwritten or trusted.
  fs.writeFileSync(path.join(root, "medmnist", "fake_64.npz"), "corrupt");
  const r3 = await fetchDatasets({ root, catalog: fake, baseUrl: base, quiet: true, names: ["fakemnist"] });
  assert.equal(r3.ok, false);
  assert.match(r3.items[0].error!, /does not match the published MD5.*Delete it/);
  assert.equal(fs.readFileSync(path.join(root, "medmnist", "fake_64.npz"), "utf8"), "corrupt");
  // Deleted: downloaded again, only it.
  fs.rmSync(path.join(root, "medmnist", "fake_64.npz"));
  seen.length = 0;
  const r4 = await fetchDatasets({ root, catalog: fake, baseUrl: base, quiet: true });
  assert.deepEqual(r4.items.map((i) => i.status), ["downloaded", "present"]);
  assert.deepEqual(seen.map((s) => s.path), ["/fake_64.npz"]);
  // No network: the first failure says so, the rest are not tried; nothing is written.
  const root2 = tmp();
  const r5 = await fetchDatasets({ root: root2, catalog: fake, baseUrl: `http://127.0.0.1:${await deadPort()}`, quiet: true });
  assert.equal(r5.ok, false);
  assert.deepEqual(r5.items.map((i) => i.status), ["failed", "skipped"]);
  assert.match(r5.items[0].error!, /no network.*download https:\/\/example\.invalid\/fake_64\.npz by hand and put it at .*fake_64\.npz \(MD5 [0-9a-f]{32}\)/);
  assert.match(r5.items[1].error!, /not tried \(no network: ECONNREFUSED.*download https:\/\/example\.invalid\/fake-bin\.tar\.gz by hand/);
  assert.deepEqual(fs.readdirSync(root2), [], "not even an empty folder");
  // An archive put in place by hand (verified) is extracted with no network at all.
  const root3 = tmp();
  fs.mkdirSync(path.join(root3, "cifar10"));
  fs.copyFileSync(archive, path.join(root3, "cifar10", "fake-bin.tar.gz"));
  const r6 = await fetchDatasets({ root: root3, catalog: fake, names: ["cifar10"], baseUrl: `http://127.0.0.1:${await deadPort()}`, quiet: true });
  assert.equal(r6.ok, true, JSON.stringify(r6));
  assert.ok(fs.existsSync(path.join(root3, "cifar10", "cifar-10-batches-bin", "batches.meta.txt")));
});

test("catalog: MedMNIST+ on Zenodo with published MD5s for every name and size; CIFAR-10 binary", () => {
  const all = catalog({ sizes: [28, 64, 128, 224] });
  assert.equal(all.length, MEDMNIST_NAMES.length * 4 + 1);
  for (const f of all) assert.match(f.md5 ?? "", /^[0-9a-f]{32}$/, f.file);
  assert.equal(new Set(all.map((f) => f.md5)).size, all.length, "no sum repeated");
  const p64 = all.find((f) => f.file === "medmnist/pneumoniamnist_64.npz")!;
  assert.equal(p64.url, "https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1");
  assert.equal(p64.md5, "8f4eceb4ccffa70c672198ea285246c6");
  assert.equal(all.find((f) => f.file === "medmnist/retinamnist.npz")?.imageSize, 28);
  const cifar = all.find((f) => f.dataset === "cifar10")!;
  assert.equal(cifar.url, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  assert.equal(cifar.md5, "c32a1d4ab5d03f1284b67883e8d87530");
  assert.equal(cifar.extract?.to, "cifar10/cifar-10-batches-bin");
  assert.deepEqual(catalog({ names: ["cifar10"] }).map((f) => f.dataset), ["cifar10"]);
  assert.deepEqual(catalog({ names: ["dermamnist"] }).map((f) => f.file), ["medmnist/dermamnist_64.npz"]);
  assert.throws(() => catalog({ names: ["imagenet"] }), /unknown dataset.*known: pneumoniamnist/);
  assert.throws(() => catalog({ sizes: [32] }), /size 32 does not exist/);
});

test("missingReport: what is present where, what is missing, where it looked and how to supply it", () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, "medmnist"));
  fs.writeFileSync(path.join(root, "medmnist", "dermamnist_64.npz"), "x");
  fs.mkdirSync(path.join(root, "ham10000"));
  const r = missingReport({ root, sizes: [64] });
  const by = new Map(r.map((s) => [s.id, s]));
  assert.equal(by.get("dermamnist_64")?.present, true);
  assert.equal(by.get("dermamnist_64")?.where, path.join(root, "medmnist", "dermamnist_64.npz"));
  assert.equal(by.get("ham10000")?.present, true);
  const pn = by.get("pneumoniamnist_64")!;
  assert.equal(pn.present, false);
  assert.deepEqual(pn.looked, [path.join(root, "medmnist", "pneumoniamnist_64.npz")]);
  assert.match(pn.how, /mia data --fetch --only pneumoniamnist --sizes 64/);
  assert.match(pn.how, /8f4eceb4ccffa70c672198ea285246c6/);
  const dr = by.get("eyepacs-dr")!;
  assert.equal(dr.present, false);
  assert.match(dr.how, /kaggle\.com\/c\/diabetic-retinopathy-detection/);
  assert.ok(dr.how.includes(path.join(root, "eyepacs-dr", "trainLabels.csv")), dr.how);
  assert.equal(by.get("cifar10")?.present, false);
  const text = formatSources(r);
  assert.match(text, /Present \(2\):[\s\S]*dermamnist_64[\s\S]*Missing \(/);
});

test("mia data --sources and --fetch usage, from the command line", () => {
  const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");
  const root = tmp();
  const mia = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, MIA_DATA_DIR: root }, timeout: 60_000 });
  const s = mia(["data", "--sources", "--sizes", "64"]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Missing \(\d+\):/);
  assert.ok(s.stdout.includes(path.join(root, "medmnist", "pneumoniamnist_64.npz")), s.stdout);
  const j = mia(["data", "--sources", "--json"]);
  assert.equal(j.status, 0, j.stderr);
  assert.equal(JSON.parse(j.stdout).filter((x: { kind: string }) => x.kind === "medmnist").length, MEDMNIST_NAMES.length * 4);
  const bad = mia(["data", "--fetch", "--only", "imagenet"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown dataset\(s\) imagenet/);
  const badSize = mia(["data", "--fetch", "--sizes", "32"]);
  assert.equal(badSize.status, 2);
  assert.match(badSize.stderr, /not a MedMNIST size/);
  const help = mia(["data", "--help"]);
  assert.match(help.stdout, /--fetch/);
  assert.match(help.stdout, /--sources/);
  assert.deepEqual(fs.readdirSync(root), [], "--sources and bad usage write nothing");
});
