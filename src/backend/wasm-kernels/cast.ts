/** Cast to the same dtype without a copy (see identity.ts); real conversions stay stock. */
import { tf } from "../tf";
import { alias } from "./identity";
import { replacing, stockKernel, type WasmBackend } from "./util";

let stock: tf.KernelFunc;

function cast(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (dtype === x.dtype && dtype !== "string") return alias(args.backend, x);
  return stock(args) as tf.TensorInfo;
}

export const castConfig = (): tf.KernelConfig => {
  stock = stockKernel("Cast");
  return replacing("Cast", cast);
};
