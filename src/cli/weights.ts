/** `mia weights`: the pretrained weights this project knows, fetching them, checking a file. */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { initBackend } from "../backend";
import { fetchWeights, pretrainedModel, WEIGHTS, weightsEntry, weightsPath, weightsRoot } from "../weights";
import { UsageError } from "./usage";

const HELP = `Usage: mia weights [--list]
       mia weights --fetch ID [--from URL]
       mia weights --check [FILE] [--id ID]

Pretrained weights for 'mia train --pretrained imagenet' (folder: MIA_WEIGHTS_DIR, else data/weights).

  --list        the known weights, their URL, MD5 and whether the file is here (default)
  --fetch ID    download them (resumable, MD5-checked, renamed into place only when verified)
  --from URL    fetch from a mirror instead of the official URL (the MD5 is still checked)
  --check FILE  read a Keras .h5 file and load it onto the architecture (default: the fetched file)
  --id ID       which weights --check assumes (default resnet50-imagenet)
Exit codes: 0 done, 1 a failed download or a file that does not fit, 2 bad usage.`;

export async function runWeights(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { list: { type: "boolean" }, fetch: { type: "string" }, from: { type: "string" }, check: { type: "boolean" }, id: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (v.help) {
    console.log(HELP);
    return;
  }
  const entryOf = (id: string) => {
    try {
      return weightsEntry(id);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  if (v.fetch !== undefined) {
    const entry = entryOf(v.fetch);
    const r = await fetchWeights(entry, { url: v.from });
    console.log(`${entry.id}: ${r.reused ? "already here" : `fetched ${r.bytes.toLocaleString("en")} bytes${r.resumed ? " (resumed)" : ""}`}, MD5 ${r.md5} verified: ${r.path}`);
    return;
  }
  if (v.check) {
    const entry = entryOf(v.id ?? "resnet50-imagenet");
    const file = positionals[0] ?? weightsPath(entry);
    await initBackend();
    const { model, report } = pretrainedModel(entry, [224, 224, 3], 2, 0, { file });
    model.dispose();
    console.log(`${file}: fits ${entry.arch}: ${report.loaded.length} layers, ${report.values.toLocaleString("en")} values; new (not in the file): ${report.notInFile.join(", ") || "none"}; unused from the file: ${report.unused.join(", ") || "none"}`);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  console.log(`weights folder: ${weightsRoot()}`);
  for (const w of WEIGHTS) {
    const file = weightsPath(w);
    console.log(`${w.id}: ${w.description}\n  architecture ${w.arch}, preprocessing ${w.preprocess} (inside the model)\n  ${w.url}\n  MD5 ${w.md5} (${w.source})\n  ${fs.existsSync(file) ? `present: ${file}` : `not here: mia weights --fetch ${w.id}`}`);
  }
}
