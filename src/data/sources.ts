/**
 * Scanners: turn a dataset folder (or file) into a list of items, reading no pixels.
 * Each item has a reference to its image, a raw label as the source names it, a group that
 * must not be split (patient, lesion, ...) and the source's own split where it has one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Papa from "papaparse";

export type OfficialSplit = "train" | "val" | "test";

/** An image to decode: a file, row `index` of an array in an .npz, or record `index` of a CIFAR-10 binary batch. */
export type ImageRef =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "npz"; readonly file: string; readonly key: string; readonly index: number }
  | { readonly kind: "cifar-binary"; readonly file: string; readonly index: number };

export interface SourceItem {
  readonly image: ImageRef;
  /** Stable, human-readable id relative to the dataset folder (cache keys, reports). */
  readonly id: string;
  readonly rawLabel: string;
  readonly group: string;
  readonly official?: OfficialSplit;
}

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png"];
const isImage = (f: string): boolean => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());

const SPLIT_ALIASES: Record<string, OfficialSplit> = { train: "train", training: "train", val: "val", valid: "val", validation: "val", test: "test", testing: "test" };

const listDirs = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();

/**
 * An ImageFolder: `<split>/<class>/*.{jpg,jpeg,png}` or, without split folders,
 * `<class>/*.{jpg,jpeg,png}`. `groupOf(fileName, className)` names the group of an image
 * (default: the image itself).
 */
/** The split folders (train/, val/, test/ and aliases) directly under an image folder; none means class folders. */
export function splitFolders(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new Error(`Image folder ${dir} does not exist.`);
  return listDirs(dir).filter((d) => SPLIT_ALIASES[d.toLowerCase()] !== undefined);
}

export function scanImageFolder(dir: string, options: { groupOf?: (file: string, cls: string) => string } = {}): SourceItem[] {
  const splitDirs = splitFolders(dir);
  if (splitDirs.length > 0) {
    // A class folder beside the split folders would be silently left out of every split.
    const stray = listDirs(dir).filter((d) => !splitDirs.includes(d));
    if (stray.length > 0) {
      throw new Error(
        `${dir} has split folders (${splitDirs.join(", ")}) and other folders beside them (${stray.join(", ")}), which belong to no split. ` +
          `Move ${stray.length === 1 ? "it" : "them"} under a split folder (e.g. ${path.join(dir, splitDirs[0], stray[0])}), or out of ${dir}.`,
      );
    }
  }
  const layout: Array<{ sub: string; split?: OfficialSplit }> = splitDirs.length > 0 ? splitDirs.map((d) => ({ sub: d, split: SPLIT_ALIASES[d.toLowerCase()] })) : [{ sub: "" }];
  const items: SourceItem[] = [];
  for (const { sub, split } of layout) {
    const base = path.join(dir, sub);
    for (const cls of listDirs(base)) {
      const files = fs.readdirSync(path.join(base, cls)).filter(isImage).sort();
      const deeper = listDirs(path.join(base, cls));
      if (files.length === 0 && deeper.length > 0) {
        // e.g. root/train/images/cat/*.png: "images" would be read as a class with no images.
        throw new Error(
          `${path.join(base, cls)} holds folders (${deeper.slice(0, 3).join(", ")}${deeper.length > 3 ? ", ..." : ""}) but no images: the class folders are one level too deep. ` +
            `Expected ${sub ? `${path.join(dir, sub)}/<class>/*.png` : `${dir}/<split>/<class>/*.png or ${dir}/<class>/*.png`}; move the class folders up a level.`,
        );
      }
      for (const f of files) {
        const id = path.posix.join(sub, cls, f);
        items.push({
          image: { kind: "file", path: path.join(base, cls, f) },
          id,
          rawLabel: cls,
          group: options.groupOf ? options.groupOf(f, cls) : id,
          ...(split ? { official: split } : {}),
        });
      }
    }
  }
  if (items.length === 0) {
    throw new Error(`No images found in ${dir}. Expected <split>/<class>/*.{jpg,jpeg,png} or <class>/*.{jpg,jpeg,png}.`);
  }
  return items;
}

/**
 * Kermany file names carry the patient: person123_bacteria_456.jpeg, IM-0115-0001.jpeg,
 * NORMAL2-IM-1427-0001.jpeg. Pneumonia patients are numbered per type: 979 ids occur with both
 * "bacteria" and "virus", and with (id, type) as the key the official train and test share no
 * patient (with the id alone, 58 would straddle them, each with a different type on each side).
 */
export function kermanyPatient(file: string): string {
  const m = /^(person\d+_(?:bacteria|virus))_/i.exec(file) ?? /^(person\d+)_/i.exec(file) ?? /^((?:NORMAL\d*-)?IM-\d+)-/i.exec(file);
  return m ? m[1].toLowerCase() : file;
}

/** Kermany pneumonia subtype from the file name (used by the 3-class task). */
export function kermanySubtype(file: string): "bacteria" | "virus" | null {
  if (/_bacteria_/i.test(file)) return "bacteria";
  if (/_virus_/i.test(file)) return "virus";
  return null;
}

/** Parses a CSV with a header row; checks the required columns exist. */
export function readCsv(file: string, required: readonly string[]): Record<string, string>[] {
  if (!fs.existsSync(file)) throw new Error(`Label file ${file} does not exist.`);
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(file, "utf8"), { header: true, skipEmptyLines: true, transformHeader: (h) => h.trim() });
  const fields = parsed.meta.fields ?? [];
  const missing = required.filter((c) => !fields.includes(c));
  if (missing.length > 0) {
    throw new Error(`${file} lacks column(s) ${missing.join(", ")} (it has: ${fields.join(", ") || "none"}). Expected columns: ${required.join(", ")}.`);
  }
  const bad = parsed.errors.filter((e) => e.type !== "FieldMismatch" || e.code !== "TooFewFields");
  if (bad.length > 0) throw new Error(`${file}: malformed CSV at row ${(bad[0].row ?? 0) + 2}: ${bad[0].message}`);
  return parsed.data;
}

export interface CsvSourceOptions {
  /** The label CSV. */
  readonly csv: string;
  /** Folders searched for the images, in order. */
  readonly imageDirs: readonly string[];
  readonly imageColumn: string;
  readonly labelColumn: string;
  /** Column naming the group (patient, lesion); default: the image itself. */
  readonly groupColumn?: string;
  /** Derives the group from the image name when there is no group column. */
  readonly groupOf?: (image: string) => string;
  /** Extensions tried when the image column has no extension. */
  readonly extensions?: readonly string[];
  /** Accepted labels; anything else is an error naming the row. */
  readonly labels?: readonly string[];
  /**
   * Rows whose image is missing, rows with an empty label and images with no row are errors by
   * default; with this they are left out (e.g. the full Kaggle CSV with only some image archives downloaded).
   */
  readonly allowMissing?: boolean;
}

/** A labelled image set described by a CSV (Kaggle DR, HAM10000, or a user's own). */
export function scanCsvSource(o: CsvSourceOptions): SourceItem[] {
  const rows = readCsv(o.csv, [o.imageColumn, o.labelColumn, ...(o.groupColumn ? [o.groupColumn] : [])]);
  const dirs = o.imageDirs.filter((d) => fs.existsSync(d));
  if (dirs.length === 0) throw new Error(`No image folder found: looked for ${o.imageDirs.join(", ")}.`);
  // Index the image files once: name without extension -> path.
  const files = new Map<string, string>();
  for (const d of dirs) for (const f of fs.readdirSync(d).filter(isImage)) if (!files.has(f)) files.set(f, path.join(d, f));
  const exts = o.extensions ?? IMAGE_EXTENSIONS;
  const root = path.dirname(o.csv);
  const items: SourceItem[] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  rows.forEach((row, r) => {
    const image = (row[o.imageColumn] ?? "").trim();
    const label = (row[o.labelColumn] ?? "").trim();
    if (image === "") throw new Error(`${o.csv} row ${r + 2}: empty '${o.imageColumn}'.`);
    if (label === "") {
      // An empty cell would otherwise become a class named "".
      if (o.allowMissing) return;
      throw new Error(`${o.csv} row ${r + 2}: empty '${o.labelColumn}' for ${image}. Fill in its label or delete the row (or pass allowMissing, CLI --allow-missing, to leave unlabelled rows out).`);
    }
    if (o.labels && !o.labels.includes(label)) {
      throw new Error(`${o.csv} row ${r + 2}: unknown ${o.labelColumn} '${label}' for ${image} (expected one of: ${o.labels.join(", ")}).`);
    }
    const name = isImage(image) ? image : exts.map((e) => image + e).find((n) => files.has(n));
    const file = name !== undefined ? files.get(name) : undefined;
    if (file === undefined) {
      missing.push(image);
      return;
    }
    used.add(path.basename(file));
    const group = o.groupColumn ? (row[o.groupColumn] ?? "").trim() : o.groupOf ? o.groupOf(image) : image;
    items.push({ image: { kind: "file", path: file }, id: path.relative(root, file).split(path.sep).join("/"), rawLabel: label, group: group || image });
  });
  const unlabelled = [...files.keys()].filter((f) => !used.has(f));
  if (!o.allowMissing && (missing.length > 0 || unlabelled.length > 0)) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`${missing.length} row(s) of ${path.basename(o.csv)} have no image in ${dirs.join(", ")} (e.g. ${missing.slice(0, 3).join(", ")})`);
    if (unlabelled.length > 0) parts.push(`${unlabelled.length} image(s) have no row in ${path.basename(o.csv)} (e.g. ${unlabelled.slice(0, 3).join(", ")})`);
    throw new Error(`${parts.join("; ")}. Fix the folder, or pass allowMissing (CLI: --allow-missing) to use only the rows whose images exist.`);
  }
  if (items.length === 0) throw new Error(`${o.csv}: no row has an image in ${dirs.join(", ")}.`);
  return items;
}

/** Kaggle Diabetic Retinopathy: images/<patient>_<left|right>.jpeg + trainLabels.csv (image,level). */
export function scanKaggleDr(dir: string, options: { allowMissing?: boolean } = {}): SourceItem[] {
  return scanCsvSource({
    csv: path.join(dir, "trainLabels.csv"),
    imageDirs: [path.join(dir, "images"), path.join(dir, "train")],
    imageColumn: "image",
    labelColumn: "level",
    labels: ["0", "1", "2", "3", "4"],
    // Both eyes of a patient stay together.
    groupOf: (image) => image.replace(/_(left|right)$/i, ""),
    allowMissing: options.allowMissing,
  });
}

export const HAM10000_CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"] as const;

/** HAM10000: images/ (or the original HAM10000_images_part_{1,2}/) + HAM10000_metadata.csv. */
export function scanHam10000(dir: string, options: { allowMissing?: boolean } = {}): SourceItem[] {
  return scanCsvSource({
    csv: path.join(dir, "HAM10000_metadata.csv"),
    imageDirs: ["images", "HAM10000_images_part_1", "HAM10000_images_part_2"].map((d) => path.join(dir, d)),
    imageColumn: "image_id",
    labelColumn: "dx",
    // Several images of one lesion stay together.
    groupColumn: "lesion_id",
    labels: HAM10000_CLASSES,
    extensions: [".jpg", ".jpeg", ".png"],
    allowMissing: options.allowMissing,
  });
}
