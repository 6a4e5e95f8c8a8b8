/** Quality gates of the trained models, and claim verdicts that rest on them with intervals. */
export * from "./references";
export * from "./gate";
export * from "./verdict";
export * from "./trained";
