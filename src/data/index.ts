export * from "./root";
export * from "./sources";
export * from "./split";
export * from "./decode";
export * from "./cache";
export * from "./tasks";
export * from "./medmnist";
export * from "./load";
export * as npy from "./npy";
