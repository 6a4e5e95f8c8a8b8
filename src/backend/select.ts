/**
 * Backend selection. In order, the first candidate that loads and passes `selfCheck` wins:
 *   tfjs-node-gpu, webgpu on a hardware adapter, tfjs-node, wasm (+ oneDNN), cpu.
 * `MIA_BACKEND` forces one (and then failing is an error, not a fallback). The optional
 * native packages are expected to be missing or broken on most machines: a failure is
 * recorded and shown in the banner, never thrown at import time.
 */
import * as os from "node:os";
import { tf } from "./tf";
import { selfCheck } from "./selfcheck";
import { nativeStatus, registerWasmKernels } from "./wasm-kernels";
import { registerGradients } from "./gradients";
import { describeAdapter, loadWebGpu, webgpuAdapter } from "./webgpu";

/** A tfjs backend name ("tensorflow", "wasm", "cpu", or one a test registers). */
export type BackendName = string;

export interface BackendCandidate {
  /** What the user names in MIA_BACKEND and what the banner shows, e.g. "tfjs-node-gpu". */
  readonly id: string;
  /** The optional npm package it comes from, if any (named in failure hints). */
  readonly pkg?: string;
  /** The tfjs backend name it registers. */
  readonly backend: BackendName;
  /**
   * Loads whatever registers the backend with tfjs. Throws if it cannot. `forced`: MIA_BACKEND
   * names this candidate (webgpu then accepts a software adapter).
   */
  readonly load: (forced: boolean) => Promise<void>;
  /** Threads the backend computes with, once selected. */
  readonly threads: () => number;
  /** Extra facts for the banner (e.g. "simd"). */
  readonly detail?: () => Promise<string | undefined>;
}

export interface SkippedBackend {
  readonly id: string;
  readonly reason: string;
}

export interface BackendInfo {
  readonly id: string;
  readonly backend: BackendName;
  readonly detail?: string;
  readonly threads: number;
  readonly tfjsVersion: string;
  /** Candidates tried before the chosen one, with why each was passed over. */
  readonly skipped: readonly SkippedBackend[];
}

/** Why a candidate could not be used, in one line, with the fix where we know it. */
function describeFailure(pkg: string | undefined, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // An expected absence (no GPU here): the message says it all, no reinstall hint.
  if ((err as { code?: string } | undefined)?.code === "ERR_MIA_UNAVAILABLE") return msg.replace(/\s+/g, " ");
  if (pkg !== undefined && !isInstalled(pkg)) {
    return `not installed (optional: npm install ${pkg})`;
  }
  const first = msg.split("\n")[0].slice(0, 160);
  const hint = pkg !== undefined ? `; reinstall with: npm rebuild ${pkg} --foreground-scripts` : "";
  return `failed to load: ${first}${hint}`.replace(/\s+/g, " ");
}

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

const nativeCandidate = (id: string, pkg: string): BackendCandidate => ({
  id,
  pkg,
  backend: "tensorflow",
  load: async () => {
    // Importing the package registers the "tensorflow" backend on our tfjs-core (npm dedupes
    // it to the single copy: the package pins the same @tensorflow/tfjs version).
    require(pkg);
  },
  threads: () => os.availableParallelism(),
});

/** The default candidates, in preference order. */
export function defaultCandidates(): BackendCandidate[] {
  return [
    nativeCandidate("tfjs-node-gpu", "@tensorflow/tfjs-node-gpu"),
    {
      id: "webgpu",
      pkg: "webgpu",
      backend: "webgpu",
      load: async (forced) => {
        await loadWebGpu(forced);
      },
      // One adapter, driven from the main thread.
      threads: () => 1,
      detail: async () => {
        const a = webgpuAdapter();
        return a ? describeAdapter(a) : undefined;
      },
    },
    nativeCandidate("tfjs-node", "@tensorflow/tfjs-node"),
    {
      id: "wasm",
      backend: "wasm",
      load: async () => {
        require("@tensorflow/tfjs-backend-wasm");
        // Make it trainable and fast: the missing/slow backprop kernels (src/backend/wasm-kernels).
        registerWasmKernels();
      },
      // Node cannot start the wasm backend's pthreads, so it computes on one thread.
      threads: () => (require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm")).getThreadsCount(),
      detail: async () => {
        const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) ? "simd" : "no simd";
        const native = nativeStatus();
        return `${simd}; convolutions ${native.available ? native.detail : `XNNPACK, oneDNN addon ${native.detail}`}`;
      },
    },
    { id: "cpu", backend: "cpu", load: async () => {}, threads: () => 1 },
  ];
}

/** Names accepted by MIA_BACKEND: candidate ids plus "tensorflow" for either native package. */
export function backendChoices(candidates: readonly BackendCandidate[] = defaultCandidates()): string[] {
  return ["tensorflow", ...candidates.map((c) => c.id)];
}

function filterForOverride(candidates: BackendCandidate[], wanted: string): BackendCandidate[] {
  const key = wanted.trim().toLowerCase();
  const picked = key === "tensorflow" ? candidates.filter((c) => c.backend === "tensorflow") : candidates.filter((c) => c.id === key);
  if (picked.length === 0) {
    // code: a bad setting, which the CLI reports as a usage error (exit 2).
    throw Object.assign(new Error(`Unknown MIA_BACKEND '${wanted}'. Choose one of: ${backendChoices(candidates).join(", ")} (or unset it to pick automatically).`), { code: "ERR_MIA_SETTING" });
  }
  return picked;
}

async function tryCandidate(c: BackendCandidate, forced: boolean): Promise<void> {
  await c.load(forced);
  if (tf.findBackendFactory(c.backend) == null) {
    throw new Error(`it did not register the '${c.backend}' backend with this project's tfjs (two copies of @tensorflow/tfjs-core installed? run 'npm ls @tensorflow/tfjs-core')`);
  }
  const ok = await tf.setBackend(c.backend);
  if (!ok) throw new Error(`tf.setBackend('${c.backend}') failed to initialise it`);
  await tf.ready();
  await selfCheck();
}

/**
 * Selects and initialises a backend. `override` defaults to MIA_BACKEND.
 * Resolves with what was chosen and what was passed over; rejects only when nothing works or
 * an explicit override fails.
 */
export async function selectBackend(
  options: { override?: string; candidates?: BackendCandidate[] } = {},
): Promise<BackendInfo> {
  const all = options.candidates ?? defaultCandidates();
  const override = options.override ?? process.env.MIA_BACKEND;
  const forced = override !== undefined && override.trim() !== "";
  const candidates = forced ? filterForOverride(all, override) : all;
  const skipped: SkippedBackend[] = [];
  for (const c of candidates) {
    try {
      await tryCandidate(c, forced);
      registerGradients(); // backend-independent: registered once a backend works
      return {
        id: c.id,
        backend: c.backend,
        detail: c.detail ? await c.detail() : undefined,
        threads: c.threads(),
        tfjsVersion: tf.version.tfjs,
        skipped,
      };
    } catch (err) {
      // A bad setting (e.g. MIA_WEBGPU_BACKEND) is the user's to fix, not a reason to fall back.
      if ((err as { code?: string } | undefined)?.code === "ERR_MIA_SETTING") throw err;
      skipped.push({ id: c.id, reason: describeFailure(c.pkg, err) });
    }
  }
  const why = skipped.map((s) => `  ${s.id}: ${s.reason}`).join("\n");
  throw new Error(
    forced
      ? `MIA_BACKEND=${override} could not be used:\n${why}\nUnset MIA_BACKEND to pick a working backend automatically.`
      : `No tfjs backend works on this machine:\n${why}`,
  );
}
