/** Whole experiments on one task, above every analysis floor: experiment(task, profile), the object the notebooks and `mia study` run each stage through, `mia study` with its report, and claim 3's per-model measures (modelMeasures). */
export * from "./experiment";
export * from "./study";
export * from "./measures";
