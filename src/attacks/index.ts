export * from "./attack";
export * from "./linf";
export * from "./minimal";
