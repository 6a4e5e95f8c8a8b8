export * from "./maps";
export * from "./dimension";
export * from "./deep";
export * from "./embed";
export * from "./separation";
