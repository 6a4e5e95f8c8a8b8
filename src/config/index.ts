export * from "./profiles";
export * from "./paths";
