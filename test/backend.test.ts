import { test, after } from "node:test";
import assert from "node:assert/strict";
import { tf, banner, backendChoices, defaultCandidates, describeAdapter, isSoftwareAdapter, loadWebGpu, noGpuReason, requestedDawnBackend, selectBackend, selfCheck, type BackendCandidate } from "../src/backend";
import { PROFILES } from "../src/config";

const cpu: BackendCandidate = { id: "cpu", backend: "cpu", load: async () => {}, threads: () => 1 };

// A backend that registers and initialises but whose matMul returns zeros: the self-check
// must reject it (a half-working native binding looks like this).
function registerLiar(): void {
  if (tf.findBackendFactory("liar") != null) return;
  tf.registerBackend("liar", () => new (tf.findBackend("cpu")!.constructor as new () => tf.KernelBackend)());
  for (const k of tf.getKernelsForBackend("cpu")) {
    const kernelFunc: tf.KernelFunc =
      k.kernelName === "BatchMatMul"
        ? (args) => {
            const out = k.kernelFunc(args) as tf.TensorInfo;
            const zeros = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
            const backend = args.backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo; disposeIntermediateTensorInfo(t: tf.TensorInfo): void };
            backend.disposeIntermediateTensorInfo(out);
            return backend.makeTensorInfo(out.shape, out.dtype, zeros);
          }
        : k.kernelFunc;
    tf.registerKernel({ ...k, backendName: "liar", kernelFunc });
  }
}

after(async () => {
  await tf.setBackend("cpu");
});

test("a candidate that throws on load is skipped with its reason; the next one is chosen", async () => {
  const broken: BackendCandidate = {
    id: "broken-native",
    pkg: "@tensorflow/tfjs-node-gpu-definitely-not-installed",
    backend: "tensorflow",
    load: async () => {
      throw new Error("libtensorflow.so.2: cannot open shared object file");
    },
    threads: () => 4,
  };
  const info = await selectBackend({ override: "", candidates: [broken, cpu] });
  assert.equal(info.id, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.equal(info.skipped.length, 1);
  assert.equal(info.skipped[0].id, "broken-native");
  assert.match(info.skipped[0].reason, /not installed \(optional: npm install @tensorflow\/tfjs-node-gpu-definitely-not-installed\)/);
});

test("an installed package that fails to load is reported as such, with the rebuild hint", async () => {
  const broken: BackendCandidate = {
    id: "typescript-as-backend",
    pkg: "typescript", // installed, so the failure is a load failure, not 'not installed'
    backend: "tensorflow",
    load: async () => {
      throw new Error("The specified module could not be found.\nmore detail");
    },
    threads: () => 4,
  };
  const info = await selectBackend({ override: "", candidates: [broken, cpu] });
  assert.equal(info.skipped[0].reason, "failed to load: The specified module could not be found.; reinstall with: npm rebuild typescript --foreground-scripts");
});

test("a candidate that loads but never registers its backend is skipped", async () => {
  const ghost: BackendCandidate = { id: "ghost", backend: "no-such-backend", load: async () => {}, threads: () => 1 };
  const info = await selectBackend({ override: "", candidates: [ghost, cpu] });
  assert.equal(info.id, "cpu");
  assert.match(info.skipped[0].reason, /did not register the 'no-such-backend' backend/);
});

test("a backend that computes wrong numbers fails the self-check and is skipped", async () => {
  registerLiar();
  await tf.setBackend("liar");
  await assert.rejects(selfCheck(), /matMul: expected \[17,39\], got \[0,0\]/);
  const liar: BackendCandidate = { id: "liar", backend: "liar", load: async () => {}, threads: () => 1 };
  const info = await selectBackend({ override: "", candidates: [liar, cpu] });
  assert.equal(info.id, "cpu");
  assert.match(info.skipped[0].reason, /matMul: expected/);
});

test("MIA_BACKEND forces one candidate; failure then is an error, not a fallback", async () => {
  const info = await selectBackend({ override: "CPU", candidates: [cpu] });
  assert.equal(info.id, "cpu");
  registerLiar();
  const liar: BackendCandidate = { id: "liar", backend: "liar", load: async () => {}, threads: () => 1 };
  await assert.rejects(selectBackend({ override: "liar", candidates: [liar, cpu] }), /MIA_BACKEND=liar could not be used:\n {2}liar: failed to load: matMul/);
  await assert.rejects(selectBackend({ override: "metal", candidates: [liar, cpu] }), /Unknown MIA_BACKEND 'metal'\. Choose one of: tensorflow, liar, cpu/);
  await assert.rejects(selectBackend({ override: "", candidates: [liar] }), /No tfjs backend works on this machine/);
});

test("default candidates: tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu; 'tensorflow' names both native ones", () => {
  assert.deepEqual(defaultCandidates().map((c) => c.id), ["tfjs-node-gpu", "webgpu", "tfjs-node", "wasm", "cpu"]);
  assert.deepEqual(backendChoices(), ["tensorflow", "tfjs-node-gpu", "webgpu", "tfjs-node", "wasm", "cpu"]);
});

test("automatic selection on this machine passes the self-check; without native packages it is wasm", async () => {
  const info = await selectBackend({ override: "" });
  const nativeInstalled = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].some((p) => {
    try {
      require.resolve(`${p}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
  if (!nativeInstalled) {
    assert.equal(info.id, "wasm");
    // SIMD, and which engine computes convolutions: the oneDNN addon where built, else XNNPACK with the reason.
    assert.match(info.detail ?? "", /^simd; convolutions (oneDNN \d+\.\d+\.\d+ \w+|XNNPACK, oneDNN addon .+)$/);
    assert.deepEqual(info.skipped.map((s) => s.id), ["tfjs-node-gpu", "webgpu", "tfjs-node"]);
    // No GPU on this machine: webgpu says why, without loading Dawn and without a reinstall hint.
    if (noGpuReason(undefined) !== undefined) assert.match(info.skipped[1].reason, /^no GPU here|^no Vulkan loader/);
  }
  assert.equal(tf.getBackend(), info.backend);
  await selfCheck();
  const line = banner(info, PROFILES.smoke);
  assert.ok(!line.includes("\n"), "banner is one line");
  assert.match(line, new RegExp(`^mia \\| backend ${info.id}.* \\| tfjs 4\\.22\\.0 \\| threads \\d+ \\| profile smoke \\| node `));
});

test("webgpu: software adapters are recognised; no GPU device node or Vulkan loader is said without loading Dawn", () => {
  assert.equal(isSoftwareAdapter({ device: "llvmpipe-llvm-15-0-6-256-bits-", description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6" }), true);
  assert.equal(isSoftwareAdapter({ vendor: "google", architecture: "swiftshader" }), true);
  assert.equal(isSoftwareAdapter({ device: "null-backend" }), true);
  assert.equal(isSoftwareAdapter({ vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3" }), false);
  assert.equal(isSoftwareAdapter({ vendor: "nvidia", isFallbackAdapter: true }), true);
  if (process.platform === "linux") {
    const none = () => false;
    assert.match(noGpuReason(undefined, none, () => []) ?? "", /^no GPU here \(no \/dev\/dri\/renderD\* or \/dev\/nvidia\* device\)/);
    const nvidia = (dir: string) => (dir === "/dev" ? ["nvidia0", "nvidiactl", "null"] : []);
    assert.match(noGpuReason(undefined, none, nvidia) ?? "", /^no Vulkan loader \(libvulkan\.so\.1; on Debian: apt-get install libvulkan1/);
    assert.equal(noGpuReason("opengles", none, nvidia), undefined, "OpenGL ES needs no Vulkan loader");
    assert.equal(noGpuReason("vulkan", (p) => p.endsWith("libvulkan.so.1"), nvidia), undefined);
  }
  const a = { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H200", description: "", dawnBackend: "vulkan", featureLevel: "core", software: false } as const;
  assert.equal(describeAdapter(a), "nvidia hopper NVIDIA H200, Dawn vulkan");
  assert.equal(describeAdapter({ ...a, vendor: "", architecture: "", device: "llvmpipe-llvm-15-", description: "OpenGL ES 3.2 Mesa", dawnBackend: "opengles", featureLevel: "compatibility", software: true }), "llvmpipe-llvm-15, OpenGL ES 3.2 Mesa, Dawn opengles, compatibility mode, software");
});

test("webgpu: MIA_WEBGPU_BACKEND is checked (a bad value is a setting error, not a silent fallback); a software adapter is refused unless forced", async () => {
  assert.equal(requestedDawnBackend({}), undefined);
  assert.equal(requestedDawnBackend({ MIA_WEBGPU_BACKEND: " Vulkan " }), "vulkan");
  assert.throws(() => requestedDawnBackend({ MIA_WEBGPU_BACKEND: "cuda" }), /Unknown MIA_WEBGPU_BACKEND 'cuda'\. Choose one of: vulkan, opengles, opengl, metal, d3d12, d3d11/);
  const saved = process.env.MIA_WEBGPU_BACKEND;
  process.env.MIA_WEBGPU_BACKEND = "cuda";
  try {
    await assert.rejects(selectBackend({ override: "" }), (e: Error & { code?: string }) => e.code === "ERR_MIA_SETTING" && /MIA_WEBGPU_BACKEND 'cuda'/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.MIA_WEBGPU_BACKEND;
    else process.env.MIA_WEBGPU_BACKEND = saved;
  }
  // Pretend a GPU node exists: Mesa's llvmpipe (Dawn's OpenGL ES) is then found, and refused as software.
  if (process.env.MIA_SKIP_WEBGPU !== "1") {
    await assert.rejects(loadWebGpu(false, { MIA_WEBGPU_BACKEND: "opengles" }, () => undefined), (e: Error & { code?: string }) => e.code === "ERR_MIA_UNAVAILABLE" && /^only a software adapter \(.*llvmpipe.*software\), slower than wasm; MIA_BACKEND=webgpu forces it$/.test(e.message));
  }
});
