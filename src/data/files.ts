/**
 * Reading the project's own artifacts (.npy arrays, JSON sidecars) with errors that name the file
 * and how to recreate it, instead of a raw SyntaxError or a short read.
 */
import * as fs from "node:fs";
import { parseNpy, type NpyArray, type NpyDtype } from "./npy";

/** A C-order .npy of `dtype`; `fix` says how to recreate the file when it is missing or damaged. */
export function readNpyFile(file: string, dtype: NpyDtype, fix: string): NpyArray {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing. ${fix}`);
  let a: NpyArray;
  try {
    a = parseNpy(fs.readFileSync(file), file);
  } catch (e) {
    // The parser's advice is for downloaded datasets; an artifact of ours is recreated, not downloaded.
    throw new Error(`${(e as Error).message.replace(/[;,]? ?(—|-)? ?re-download it/g, "")}. ${fix}`);
  }
  if (a.dtype !== dtype || a.fortranOrder) throw new Error(`${file} holds ${a.dtype}${a.fortranOrder ? " (Fortran order)" : ""}, expected C-order ${dtype}. ${fix}`);
  return a;
}

/** A JSON object; `fix` says how to recreate the file when it is missing or not valid JSON. */
export function readJsonFile(file: string, fix: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing (absent, or not written completely). ${fix}`);
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}). ${fix}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${file} does not hold a JSON object. ${fix}`);
  return v as Record<string, unknown>;
}
