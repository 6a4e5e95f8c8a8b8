export * from "./landscape";
export * from "./black-box";
