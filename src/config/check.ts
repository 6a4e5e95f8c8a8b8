/**
 * The argument checks every floor shares, with one message shape: "<what> must be a whole number
 * >= k, got v". On the ground floor so that backend, data, train and the analyses all use them.
 */

/** v itself when it is a whole number >= min; otherwise an error naming what and the value (shown as given). */
export function checkWhole(v: number, what: string, min = 1, shown: unknown = v): number {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`${what} must be a whole number >= ${min}, got ${shown}`);
  return v;
}

/** v itself when it is a finite number > 0. */
export function checkPositive(v: number, what: string): number {
  if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new Error(`${what} must be a positive number, got ${v}`);
  return v;
}

/** v itself when it is a finite number >= 0 (a fraction of the pixel range). */
export function checkFraction(v: number, what: string): number {
  if (!(typeof v === "number" && Number.isFinite(v) && v >= 0)) throw new Error(`${what} must be a finite number >= 0 (a fraction of the pixel range), got ${v}`);
  return v;
}
