/**
 * mia: the shared module behind every notebook. One folder per concern; see README.md.
 * Notebooks import the compiled form: `import * as mia from "../dist/src";`.
 */
export * as config from "./config";
export * as backend from "./backend";
export * as plots from "./plots";
export * as data from "./data";
export * as models from "./models";
export * as train from "./train";
export * as attacks from "./attacks";
export * as features from "./features";
export * as landscape from "./landscape";
export * as saliency from "./saliency";
export * as detect from "./detect";
export * as gates from "./gates";
export * as weights from "./weights";
export * as runs from "./runs";
export * as ui from "./ui";
export { init, banner, tf, type Session } from "./backend";
export { resolveProfile, PROFILES, type Profile, type ProfileName } from "./config";
