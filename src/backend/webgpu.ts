/**
 * The WebGPU backend: @tensorflow/tfjs-backend-webgpu on Dawn's Node bindings (the npm package
 * `webgpu`, a prebuilt dawn.node: nothing is downloaded). It is the GPU path that needs no
 * libtensorflow.
 *
 * - Automatic selection takes it only on a hardware adapter: a software one (Mesa's llvmpipe,
 *   SwiftShader, Dawn's null backend) is slower than wasm. `MIA_BACKEND=webgpu` forces it and
 *   then accepts a software adapter, which is how CI tests it.
 * - `MIA_WEBGPU_BACKEND=vulkan|opengles|...` picks Dawn's backend. Unset: Dawn's default
 *   (Vulkan on Linux), and when forced, OpenGL ES on Mesa (EGL_PLATFORM=surfaceless) after it.
 * - tfjs-backend-webgpu asks for a core adapter with its own options; we request the adapter
 *   (core, else compatibility mode, which Mesa's OpenGL ES offers) and register the backend
 *   with it ourselves.
 * - Reads must be asynchronous (`await t.data()`): its synchronous read needs OffscreenCanvas,
 *   which Node lacks. One adapter per process; the main thread drives it (no worker pool).
 */
import * as fs from "node:fs";
import { tf } from "./tf";

/** Dawn backends MIA_WEBGPU_BACKEND accepts. */
export const DAWN_BACKENDS = ["vulkan", "opengles", "opengl", "metal", "d3d12", "d3d11"] as const;

export interface WebGpuAdapter {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Dawn's backend it runs on ("vulkan", "opengles", ...; "default" when Dawn chose). */
  readonly dawnBackend: string;
  /** "core" or "compatibility" (the reduced WebGPU that OpenGL ES can offer). */
  readonly featureLevel: "core" | "compatibility";
  /** A CPU rasteriser or a backend that computes nothing: never chosen automatically. */
  readonly software: boolean;
}

let adapterInUse: WebGpuAdapter | undefined;

/** The adapter the webgpu backend runs on, once it was loaded. */
export function webgpuAdapter(): WebGpuAdapter | undefined {
  return adapterInUse;
}

/** One line for the banner: vendor, architecture, device, Dawn backend. */
export function describeAdapter(a: WebGpuAdapter): string {
  // Dawn pads some names with '-' (Mesa's "llvmpipe-llvm-15-0-6-256-bits-").
  const name = [a.vendor, a.architecture, a.device].map((s) => s.replace(/-+$/, "")).filter((s) => s !== "").join(" ") || "unnamed adapter";
  const parts = [name];
  if (a.description !== "") parts.push(a.description);
  parts.push(`Dawn ${a.dawnBackend}`);
  if (a.featureLevel === "compatibility") parts.push("compatibility mode");
  if (a.software) parts.push("software");
  return parts.join(", ");
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|null-backend|microsoft basic render/i;

/** Whether an adapter is a CPU rasteriser (or Dawn's null backend) rather than a GPU. */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter === true) return true;
  return SOFTWARE.test([info.vendor, info.architecture, info.device, info.description].join(" "));
}

/** An expected "not here" (no GPU, software adapter): shown in the banner without a reinstall hint. */
function unavailable(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_MIA_UNAVAILABLE" });
}

/** MIA_WEBGPU_BACKEND, checked; undefined when unset. */
export function requestedDawnBackend(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.MIA_WEBGPU_BACKEND?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (!(DAWN_BACKENDS as readonly string[]).includes(raw)) {
    throw Object.assign(new Error(`Unknown MIA_WEBGPU_BACKEND '${env.MIA_WEBGPU_BACKEND}'. Choose one of: ${DAWN_BACKENDS.join(", ")} (or unset it to let Dawn choose).`), { code: "ERR_MIA_SETTING" });
  }
  return raw;
}

/**
 * Why this Linux machine cannot have a hardware adapter, checked without loading Dawn (which
 * prints warnings of its own when it finds no GPU): no GPU device node, or no Vulkan loader.
 * Undefined when one may exist (or on another OS).
 */
export function noGpuReason(dawn: string | undefined, exists: (p: string) => boolean = fs.existsSync, list: (p: string) => string[] = safeList): string | undefined {
  if (process.platform !== "linux") return undefined;
  const nodes = [...list("/dev/dri").filter((f) => f.startsWith("renderD")).map((f) => `/dev/dri/${f}`), ...list("/dev").filter((f) => /^nvidia\d+$/.test(f)).map((f) => `/dev/${f}`)];
  if (nodes.length === 0) return "no GPU here (no /dev/dri/renderD* or /dev/nvidia* device)";
  if ((dawn === undefined || dawn === "vulkan") && !VULKAN_LOADER.some(exists)) {
    return "no Vulkan loader (libvulkan.so.1; on Debian: apt-get install libvulkan1, plus the GPU vendor's Vulkan driver)";
  }
  return undefined;
}

const VULKAN_LOADER = [
  "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
  "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
  "/usr/lib64/libvulkan.so.1",
  "/usr/lib/libvulkan.so.1",
  "/lib/x86_64-linux-gnu/libvulkan.so.1",
];

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Makes `navigator.gpu` and the GPU* constants global, as tfjs-backend-webgpu expects. */
function installGlobals(gpu: GPU, globals: Record<string, unknown>): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (g[k] === undefined) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav === undefined) {
    Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(nav, "gpu", { value: gpu, configurable: true, writable: true });
  }
}

async function requestAdapter(gpu: GPU): Promise<{ adapter: GPUAdapter; featureLevel: "core" | "compatibility" } | undefined> {
  const core = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (core) return { adapter: core, featureLevel: "core" };
  const compat = await gpu.requestAdapter({ powerPreference: "high-performance", featureLevel: "compatibility" } as GPURequestAdapterOptions);
  return compat ? { adapter: compat, featureLevel: "compatibility" } : undefined;
}

/**
 * Loads Dawn, finds an adapter and registers tfjs' "webgpu" backend on it. `forced`
 * (MIA_BACKEND=webgpu) accepts a software adapter and tries OpenGL ES after Dawn's default.
 */
export async function loadWebGpu(forced: boolean, env: NodeJS.ProcessEnv = process.env, whyNoGpu: (dawn: string | undefined) => string | undefined = noGpuReason): Promise<WebGpuAdapter> {
  const requested = requestedDawnBackend(env);
  if (!forced) {
    const why = whyNoGpu(requested);
    if (why !== undefined) throw unavailable(why);
  }
  // Mesa's EGL needs a platform when there is no display; Dawn's OpenGL backends go through it.
  if (process.env.EGL_PLATFORM === undefined) process.env.EGL_PLATFORM = "surfaceless";
  // An ES module: node16 resolution keeps this a real dynamic import in our CommonJS output.
  const dawn = (await import("webgpu")) as unknown as DawnModule;
  const tries = requested !== undefined ? [requested] : forced ? ["default", "opengles"] : ["default"];
  let found: { gpu: GPU; adapter: GPUAdapter; featureLevel: "core" | "compatibility"; dawnBackend: string } | undefined;
  const missed: string[] = [];
  for (const backend of tries) {
    let gpu: GPU;
    try {
      gpu = dawn.create(backend === "default" ? [] : [`backend=${backend}`]);
    } catch (err) {
      missed.push(`${backend}: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
      continue;
    }
    const got = await requestAdapter(gpu);
    if (got) {
      found = { gpu, ...got, dawnBackend: backend };
      break;
    }
    missed.push(`${backend}: no adapter`);
  }
  if (found === undefined) throw unavailable(`Dawn found no WebGPU adapter (${missed.join("; ")})`);
  const info = found.adapter.info;
  const adapter: WebGpuAdapter = {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    dawnBackend: found.dawnBackend === "default" ? guessBackend(info.description ?? "") : found.dawnBackend,
    featureLevel: found.featureLevel,
    software: isSoftwareAdapter(info as GPUAdapterInfo & { isFallbackAdapter?: boolean }),
  };
  if (adapter.software && !forced) {
    throw unavailable(`only a software adapter (${describeAdapter(adapter)}), slower than wasm; MIA_BACKEND=webgpu forces it`);
  }
  installGlobals(found.gpu, dawn.globals);
  const device = await requestDevice(found.adapter);
  // A lost device (driver reset, out of memory) fails every later op: say so once, plainly.
  void device.lost.then((lost) => {
    if (lost.reason !== "destroyed") console.error(`mia: the WebGPU device was lost (${lost.reason}: ${lost.message}); restart the kernel or command to compute again.`);
  });
  // Importing registers the webgpu kernels (and, now that navigator.gpu exists, a backend factory
  // that asks for its own core adapter): replace that factory with one on our adapter and device.
  const wg = require("@tensorflow/tfjs-backend-webgpu") as typeof import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackendFactory("webgpu") != null) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", () => new wg.WebGPUBackend(device, info), 3);
  adapterInUse = adapter;
  return adapter;
}

function guessBackend(description: string): string {
  if (/OpenGL ES/i.test(description)) return "opengles";
  if (/OpenGL/i.test(description)) return "opengl";
  return process.platform === "linux" ? "vulkan" : "default";
}

/** The device with the adapter's own limits (tfjs' kernels size workgroups and buffers by them). */
async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const L = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    },
  });
}
