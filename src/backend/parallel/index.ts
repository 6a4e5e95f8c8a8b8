export * from "./pool";
export type { LossKind } from "./protocol";
