export * from "./resnet";
export * from "./conv";
