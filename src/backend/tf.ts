/**
 * The project's single tfjs instance. Everything in src/ (and every notebook) takes `tf`
 * from here, so that backends registered by optional packages land in the same registry.
 */
import * as tf from "@tensorflow/tfjs";

export { tf };
