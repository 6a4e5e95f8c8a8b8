export * from "./maps";
export * from "./dimension";
