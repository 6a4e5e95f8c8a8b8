/**
 * Input preprocessing as a model layer, so that attacks (eps in /255 of the stored pixels) and
 * saliency still act on raw pixels. `LocalContrast` is Ben Graham's fundus normalisation from the
 * Kaggle DR competition: 4 * (x - GaussianBlur(x)) + 0.5, which removes uneven illumination and
 * brings out small lesions (microaneurysms, haemorrhages) that plain downsampling washes out.
 * The blur is two 1-D convolutions with fixed weights (regular conv2d, fast on every backend).
 */
import { tf } from "../backend/tf";
import { registerWorkerModule } from "../backend/parallel/pool";

export type Preprocess = "none" | "local-contrast" | "caffe";

/** Per-channel means (B, G, R, 0-255) that Keras' caffe-mode preprocess_input subtracts (ImageNet). */
export const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68] as const;

export function gaussianKernel1d(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return k.map((v) => v / s);
}

export class LocalContrast extends tf.layers.Layer {
  static className = "MiaLocalContrast";
  /** Blur sigma as a fraction of the image side (Graham: radius / 30 on a cropped retina). */
  private readonly sigmaFraction: number;
  private h?: tf.Tensor4D;
  private v?: tf.Tensor4D;

  constructor(config: { sigmaFraction?: number; name?: string } = {}) {
    super({ name: config.name, trainable: false });
    this.sigmaFraction = config.sigmaFraction ?? 1 / 30;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, h, , c] = inputShape as tf.Shape;
    const g = gaussianKernel1d(Math.max(0.5, this.sigmaFraction * (h as number)));
    const channels = c as number;
    // Per-channel (diagonal) kernels: [k, 1, C, C] and [1, k, C, C].
    const diag = (len: number) => {
      const w = new Float32Array(len * channels * channels);
      for (let i = 0; i < len; i++) for (let ch = 0; ch < channels; ch++) w[i * channels * channels + ch * channels + ch] = g[i];
      return w;
    };
    this.v = tf.keep(tf.tensor4d(diag(g.length), [g.length, 1, channels, channels]));
    this.h = tf.keep(tf.tensor4d(diag(g.length), [1, g.length, channels, channels]));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      // Zero padding: a fundus photograph's corners are black already.
      const blurred = tf.conv2d(tf.conv2d(x, this.v!, 1, "same"), this.h!, 1, "same");
      return tf.add(tf.mul(tf.sub(x, blurred), 4), 0.5);
    });
  }

  override dispose(): tf.serialization.ConfigDict & { refCountAfterDispose: number; numDisposedVariables: number } {
    tf.dispose([this.h!, this.v!].filter(Boolean));
    return super.dispose() as never;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), sigmaFraction: this.sigmaFraction };
  }
}
tf.serialization.registerClass(LocalContrast);

/**
 * Keras' "caffe" preprocess_input inside the model, for ImageNet weights trained with it (Keras
 * Applications' ResNet-50): [0, 1] pixels -> 0-255, RGB -> BGR, minus the ImageNet channel means.
 * A 1-channel (X-ray) input is repeated to 3 channels first, as the paper did. Attacks and saliency
 * still act on the stored [0, 1] pixels.
 */
export class CaffePreprocess extends tf.layers.Layer {
  static className = "MiaCaffePreprocess";

  constructor(config: { name?: string } = {}) {
    super({ name: config.name, trainable: false });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [...s.slice(0, -1), 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = x.shape[3];
      if (c === 1) x = tf.tile(x, [1, 1, 1, 3]);
      else if (c !== 3) throw new Error(`caffe preprocessing needs 1 or 3 channels, got ${c}`);
      const bgr = tf.reverse(x, -1);
      return tf.sub(tf.mul(bgr, 255), tf.tensor1d([...CAFFE_BGR_MEAN]));
    });
  }
}
tf.serialization.registerClass(CaffePreprocess);

/** The model's preprocessing layer applied to its raw input (or the input itself for "none"). */
export function applyPreprocess(input: tf.SymbolicTensor, kind: Preprocess | undefined): tf.SymbolicTensor {
  if (kind === "local-contrast") return new LocalContrast({ name: "preprocess" }).apply(input) as tf.SymbolicTensor;
  if (kind === "caffe") return new CaffePreprocess({ name: "preprocess" }).apply(input) as tf.SymbolicTensor;
  if (kind === undefined || kind === "none") return input;
  throw new Error(`Unknown preprocessing '${kind as string}': use none, local-contrast or caffe.`);
}

// Wasm workers load this file too, so that they deserialise the layers it registers.
registerWorkerModule(__filename);
