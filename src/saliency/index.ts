/**
 * Saliency and attention maps (the paper's F-saliency and F-attention), Captum style: one small
 * class per method with explicit options and `attribute(x, target)`.
 */
export * from "./attribution";
export * from "./gradient";
export * from "./integrated";
export * from "./gradcam";
export * from "./maps";
