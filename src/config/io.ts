/**
 * Writing the project's outputs (models, caches, adversarial sets, features, figures) so that a
 * failure names the path and the fix, and leaves no half-written file: each file goes to a
 * temporary name beside it and is renamed into place; the temporary is removed if anything fails.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "a folder is in the way",
  EEXIST: "a file is in the way",
  ENAMETOOLONG: "name too long",
  EMFILE: "too many open files",
};

/** "Cannot write PATH (ENOSPC: no space left on the device). HINT" */
export function ioError(err: unknown, target: string, hint = ""): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code ? `${code}: ${WHY[code] ?? (err as Error).message}` : String((err as Error)?.message ?? err);
  const e = new Error(`Cannot write ${target} (${why}).${hint ? ` ${hint}` : ""}`);
  (e as NodeJS.ErrnoException).code = code;
  return e;
}

/** Removes a file if it is there; never throws (it runs while another error is on its way). */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* the path cannot exist (e.g. through a file): nothing to remove */
  }
}

/** Writes `file` atomically (parent folders created); on failure the temporary is removed and the error names `file`. */
export function writeFileAtomic(file: string, data: string | Uint8Array, hint = ""): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    removeQuietly(tmp);
    throw ioError(err, file, hint);
  }
}

/**
 * Checks before any work that `dir` can be created and written (a probe file, removed again),
 * so a read-only or full folder is found at once, not after an hour of training.
 */
export function requireWritable(dir: string, hint = ""): void {
  const probe = path.join(dir, `.mia-write-probe-${process.pid}`);
  let created: string | undefined;
  try {
    created = fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, "ok");
  } catch (err) {
    throw ioError(err, dir, hint);
  } finally {
    removeQuietly(probe);
    // Leave no trace: the folders made for the check go again (those still empty), up to the first one made.
    if (created !== undefined) {
      for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        try {
          fs.rmdirSync(d);
        } catch {
          break;
        }
        if (d === path.resolve(created)) break;
      }
    }
  }
}
