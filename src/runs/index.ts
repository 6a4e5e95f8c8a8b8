/** Whole experiments on one task, above every analysis floor: experiment(task, profile), the object the notebooks and `mia study` run each stage through, and `mia study` with its report. */
export * from "./experiment";
export * from "./study";
