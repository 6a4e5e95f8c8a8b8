/**
 * A 2-D convolution layer on tf.conv2d. tfjs-layers' own Conv2D always goes through
 * tf.fused.conv2d, whose custom gradient computes the filter gradient even when only the input
 * gradient is wanted, as in every attack and saliency map (a quarter of a PGD step on wasm).
 * tf.conv2d's registered gradient computes only what the backward pass asks for.
 */
import { tf, tfSeed } from "../backend/tf";
import { registerWorkerModule } from "../backend/parallel/pool";

export interface ConvConfig {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: "same" | "valid";
  useBias?: boolean;
  kernelInitializer?: tf.serialization.ConfigDictValue | string;
  name?: string;
  seed?: number;
}

export class Conv2D extends tf.layers.Layer {
  static className = "MiaConv2D";
  private readonly cfg: Required<Omit<ConvConfig, "name" | "kernelInitializer">>;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(config: ConvConfig) {
    super({ name: config.name });
    this.cfg = { filters: config.filters, kernelSize: config.kernelSize, strides: config.strides ?? 1, padding: config.padding ?? "same", useBias: config.useBias ?? false, seed: config.seed ?? 0 };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const cin = shape[shape.length - 1] as number;
    const k = this.cfg.kernelSize;
    this.kernel = this.addWeight("kernel", [k, k, cin, this.cfg.filters], "float32", tf.initializers.heNormal({ seed: tfSeed(this.cfg.seed) }));
    if (this.cfg.useBias) this.bias = this.addWeight("bias", [this.cfg.filters], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = inputShape as tf.Shape;
    const { strides: s, kernelSize: k, padding } = this.cfg;
    const out = (d: number | null) => (d === null ? null : padding === "same" ? Math.ceil(d / s) : Math.floor((d - k) / s) + 1);
    return [n, out(h), out(w), this.cfg.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, this.cfg.strides, this.cfg.padding);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg };
  }
}
tf.serialization.registerClass(Conv2D);

// Wasm workers load this file too, so that they deserialise the layers it registers.
registerWorkerModule(__filename);
