/** Whole experiments on one task, above every analysis floor: `mia study` and its report. */
export * from "./experiment";
export * from "./study";
