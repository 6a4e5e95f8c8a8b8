#!/usr/bin/env node
/**
 * mia: the command line. `mia <command> --help` for each command.
 * Exit codes: 0 success, 1 a runtime failure (missing data, corrupt files), 2 bad usage.
 */
import { runData } from "./data";
import { runTrain } from "./train";
import { runAttack } from "./attack";
import { runDetect } from "./detect";
import { runGates } from "./gates";
import { runWeights } from "./weights";
import { runFigures } from "./figures";
import { runStudyCommand } from "./study";
import { runBackend } from "./backend";
import { closeBrowser } from "../plots/browser";

import { UsageError } from "./usage";
export { UsageError };

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  data: { summary: "list tasks; show a task's classes, splits and counts; decode and cache its images", run: runData },
  train: { summary: "train (or reuse, or resume) a task's classifier; test accuracy, AUC, confusion matrix", run: runTrain },
  attack: { summary: "attack a trained model at one eps; accuracy, success rate; saves the adversarial set (.npy)", run: runAttack },
  gates: { summary: "each task's quality gate and published reference; trained models' test metric against it", run: runGates },
  weights: { summary: "pretrained weights (Keras' ImageNet ResNet-50): list, fetch (MD5-checked), check a .h5 file", run: runWeights },
  detect: { summary: "detect one attack's adversarial set from deep features; AUC with a 95% interval; scores (.npy)", run: runDetect },
  study: { summary: "the whole study on one task (your own data too): train, attacks, measures, detectors, a report folder", run: runStudyCommand },
  figures: { summary: "check the exported figures: print size, image figures labelled (SVG text)", run: runFigures },
  backend: { summary: "the tfjs backend this machine gets (webgpu adapter included), what was passed over and why", run: runBackend },
};

const HELP = `mia: adversarial attacks on medical image classifiers (Ma et al. 2021), from the command line.

Usage: mia <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run 'mia <command> --help' for a command's options. Environment: MIA_PROFILE (smoke|cpu|cpu-long|paper|paper-dry),
MIA_BACKEND, MIA_WEBGPU_BACKEND, MIA_DATA_DIR, MIA_CACHE_DIR, MIA_MODELS_DIR (trained models), MIA_RESULTS_DIR (attack
sweeps, adversarial sets, features), MIA_FIGURES_DIR, MIA_WORKERS (see README.md).`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(HELP);
    return cmd === undefined ? 2 : 0;
  }
  const c = COMMANDS[cmd];
  if (c === undefined) {
    console.error(`mia: unknown command '${cmd}'. Commands: ${Object.keys(COMMANDS).join(", ")}. See 'mia --help'.`);
    return 2;
  }
  try {
    await c.run(rest);
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const usage = err instanceof UsageError || code?.startsWith("ERR_PARSE_ARGS") || code === "ERR_MIA_SETTING";
    console.error(`mia ${cmd}: ${(err as Error).message}${usage ? `\nSee 'mia ${cmd} --help'.` : ""}`);
    return usage ? 2 : 1;
  } finally {
    // A command that exported a figure started a headless Chromium: close it, or the process
    // would wait on it forever instead of exiting.
    await closeBrowser().catch(() => undefined);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
