/** Mean over leading axes as one XNNPACK matrix product (see reduce_leading.ts); else the stock kernel. */
import { tf } from "../tf";
import { captureStock, reduceLeading } from "./reduce_leading";
import { replacing, stockKernel } from "./util";

export const meanConfig = (): tf.KernelConfig => {
  captureStock();
  const stock = stockKernel("Mean");
  return replacing("Mean", reduceLeading("mean", stock));
};
