export * from "./profiles";
export * from "./paths";
export * from "./io";
