export * from "./resnet";
export * from "./conv";
export * from "./registry";
