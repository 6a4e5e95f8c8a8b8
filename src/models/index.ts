export * from "./resnet";
export * from "./plain";
export * from "./head";
export * from "./conv";
export * from "./registry";
export * from "./features";
export * from "./preprocess";
export * from "./split";
