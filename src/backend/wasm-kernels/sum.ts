/** Sum over leading axes as one XNNPACK matrix product (see reduce_leading.ts); else the stock kernel. */
import { tf } from "../tf";
import { captureStock, reduceLeading } from "./reduce_leading";
import { replacing, stockKernel } from "./util";

export const sumConfig = (): tf.KernelConfig => {
  captureStock();
  const stock = stockKernel("Sum");
  return replacing("Sum", reduceLeading("sum", stock));
};
