export * from "./attack";
export * from "./linf";
export * from "./minimal";
export * from "./sweep";
export * from "./save";
export * from "./experiment";
export * from "./capacity";
export * from "./input-size";
