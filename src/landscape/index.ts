export * from "./landscape";
