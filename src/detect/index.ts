/**
 * Adversarial-example detectors on deep features (KD, LID, DFeat, QFeat as in Ma et al.; BU and
 * Mahalanobis beyond the paper), their logistic regression, and the evaluation protocol.
 */
export * from "./types";
export * from "./scale";
export * from "./logistic";
export * from "./statistic";
export * from "./kd";
export * from "./lid";
export * from "./dfeat";
export * from "./qfeat";
export * from "./mahalanobis";
export * from "./bu";
export * from "./evaluate";
export * from "./experiment";
export * from "./save";
