/**
 * Rich output for tslab notebooks. tslab's public `display.*` sends one mime type per output;
 * a figure needs several in one bundle (interactive HTML, the plotly JSON for JupyterLab, a
 * PNG for viewers that run no scripts), so this writes bundles through the same hook tslab
 * uses. Outside a notebook (CLI, tests) it prints the text/plain part instead.
 */

/** mime type -> payload. Binary payloads are base64-encoded; *json payloads go as objects. */
export type MimeBundle = Record<string, string | Uint8Array | object>;

type WriteDisplayData = (data: { data: Record<string, unknown>; metadata: object; transient: object }, update: boolean) => void;

function tslabWriter(): WriteDisplayData | null {
  try {
    // The kernel process loaded this very module file, so we see the live hook it sets per cell.
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** True when running inside a tslab kernel cell (rich output possible). */
export function inNotebook(): boolean {
  return tslabWriter() !== null;
}

export function encodeBundle(bundle: MimeBundle): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (value instanceof Uint8Array) out[mime] = Buffer.from(value).toString("base64");
    else if (typeof value === "string" || /json$/.test(mime)) out[mime] = value;
    else throw new Error(`display: payload for '${mime}' must be a string or bytes`);
  }
  return out;
}

/**
 * Shows a mime bundle. With `displayId`, a later call with the same id and `update: true`
 * replaces it in place (progress displays).
 */
export function display(bundle: MimeBundle, options: { displayId?: string; update?: boolean } = {}): void {
  const write = tslabWriter();
  if (write === null) {
    const text = bundle["text/plain"];
    const kinds = Object.keys(bundle).filter((m) => m !== "text/plain");
    console.log(typeof text === "string" ? text : `[${kinds.join(", ")} output: shown in notebooks only]`);
    return;
  }
  write(
    { data: encodeBundle(bundle), metadata: {}, transient: options.displayId ? { display_id: options.displayId } : {} },
    options.update ?? false,
  );
}
