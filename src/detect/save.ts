/**
 * The files of a detection run that let anyone recompute its AUCs on exactly the same rows, one
 * writer for `mia detect` and `mia study`: each detector's scores of the first split's AdvTest
 * rows, whether each of those rows is adversarial (the same rows for every detector of an attack),
 * and every averaged split's AdvTrain / AdvTest row indices into the set's features.npy.
 */
import * as path from "node:path";
import { writeFileAtomic } from "../config/io";
import { writeNpy } from "../data/npy";

export interface DetectionFiles {
  /** File name -> scores (`mia detect`: scores.npy; `mia study`: <detector>_scores.npy). */
  readonly scores: Readonly<Record<string, ArrayLike<number>>>;
  /** 1 where the scored row is adversarial (DetectRow.isAdv). */
  readonly isAdv: Uint8Array;
  /** The run's splits (TaskDetection.sets[attack].splits). */
  readonly splits: ReadonlyArray<{ readonly train: readonly number[]; readonly test: readonly number[] }>;
  /** The fix a failed write names. */
  readonly hint: string;
}

/** Writes the scores files, is_adv.npy, advtrain_<r>.npy and advtest_<r>.npy into dir; returns their names. */
export function saveDetectionFiles(dir: string, o: DetectionFiles): string[] {
  const int32 = (rows: readonly number[]) => writeNpy({ dtype: "int32", shape: [rows.length], data: Int32Array.from(rows) });
  const files: Array<[string, Uint8Array]> = [
    ...Object.entries(o.scores).map(([name, s]): [string, Uint8Array] => {
      if (s.length !== o.isAdv.length) throw new Error(`saveDetectionFiles: ${name} has ${s.length} scores for ${o.isAdv.length} rows`);
      return [name, writeNpy({ dtype: "float64", shape: [s.length], data: Float64Array.from(s) })];
    }),
    ["is_adv.npy", writeNpy({ dtype: "uint8", shape: [o.isAdv.length], data: o.isAdv })],
    ...o.splits.flatMap(({ train, test }, r): Array<[string, Uint8Array]> => [
      [`advtrain_${r}.npy`, int32(train)],
      [`advtest_${r}.npy`, int32(test)],
    ]),
  ];
  for (const [name, bytes] of files) writeFileAtomic(path.join(dir, name), bytes, o.hint);
  return files.map(([name]) => name);
}
