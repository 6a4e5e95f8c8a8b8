export * from "./profiles";
export * from "./paths";
export * from "./io";
export * from "./check";
export * from "./json-cache";
