import { tf } from "./tf";

/**
 * A tiny self-check run on a freshly selected backend: a matMul, a conv2d and a gradient, each
 * against a closed-form answer. It catches a backend that registers but computes nonsense
 * (e.g. a half-loaded native binding) before any experiment trusts it.
 */
export async function selfCheck(): Promise<void> {
  const expectClose = (what: string, got: number[], want: number[]): void => {
    const bad = got.length !== want.length || got.some((g, i) => !(Math.abs(g - want[i]) <= 1e-4));
    if (bad) throw new Error(`${what}: expected [${want}], got [${got}]`);
  };
  const [mm, conv, grad] = tf.tidy(() => {
    const mm = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    // 3x3 input 1..9, 2x2 ones filter, valid padding: sums of each 2x2 window.
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const conv = tf.conv2d(x, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, "valid");
    // d/dv sum(v^2) = 2v.
    const grad = tf.grad((v: tf.Tensor) => v.square().sum())(tf.tensor1d([1, -2, 3]));
    return [mm, conv, grad];
  });
  try {
    expectClose("matMul", Array.from(await mm.data()), [17, 39]);
    expectClose("conv2d", Array.from(await conv.data()), [12, 16, 24, 28]);
    expectClose("gradient", Array.from(await grad.data()), [2, -4, 6]);
  } finally {
    tf.dispose([mm, conv, grad]);
  }
}
