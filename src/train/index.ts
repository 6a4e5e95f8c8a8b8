export * from "./metrics";
export * from "./augment";
export * from "./optimizer";
export * from "./checkpoint";
export * from "./memory";

export * from "./trainer";
export * from "./black-box";
