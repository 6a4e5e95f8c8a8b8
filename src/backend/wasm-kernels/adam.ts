/**
 * MiaAdam (this project's kernel, wasm only): one Adam step of one variable, the new value and
 * both moments in one native call, where tfjs-core's AdamOptimizer runs twelve kernels per
 * variable (about 800 per step of a ResNet-20, ~25 ms of per-call overhead while the pool's
 * workers wait). The native loop runs the same float32 operations in the same order, so the
 * result is bit-identical to tfjs' (test/optimizer-native.test.ts). Needs the oneDNN addon:
 * callers ask `nativeTrainingKernels()` first.
 */
import { tf } from "../tf";
import { requireNativeLoops } from "./native";
import { view, type WasmBackend } from "./util";

export const ADAM = "MiaAdam";

function adam(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { value, m, v, g } = inputs as Record<"value" | "m" | "v" | "g", tf.TensorInfo>;
  const native = requireNativeLoops(ADAM, { value, m, v, g });
  const out = [value, value, value].map(() => backend.makeOutput([...value.shape], "float32"));
  const k = Float32Array.from((attrs as unknown as { constants: number[] }).constants);
  // Views after the allocations: a grown wasm memory detaches earlier views.
  const w = (t: tf.TensorInfo) => view(backend, t);
  native.adamStep(w(value), w(m), w(v), w(g), w(out[0]), w(out[1]), w(out[2]), k);
  return out;
}

export const adamConfig = (): tf.KernelConfig => ({ kernelName: ADAM, backendName: "wasm", kernelFunc: adam as unknown as tf.KernelFunc });

/**
 * [value', m', v'] of one Adam step; `constants` = [beta1, 1 - beta1, beta2, 1 - beta2,
 * 1 - accBeta1, 1 - accBeta2, epsilon, -learningRate], each as the float32 tfjs would use.
 */
export function runAdam(value: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, constants: readonly number[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (constants.length !== 8) throw new Error(`${ADAM}: 8 constants expected, got ${constants.length}`);
  return tf.engine().runKernel(ADAM, { value, m, v, g }, { constants: [...constants] } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
