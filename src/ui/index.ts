/**
 * What a person sees while the code runs, on the ground floor so that every floor may use it:
 * rich output for tslab notebooks (mime bundles, updated in place) and progress bars that suit a
 * notebook, a terminal or a log.
 */
export * from "./display";
export * from "./progress";
