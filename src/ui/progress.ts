/**
 * Progress for long loops (training epochs, attack sweeps, decoding). In a notebook: one HTML
 * progress bar updated in place (a display id); in a terminal: a bar rewritten on one line; in a
 * log (no TTY): a line every few seconds. Each shows done/total, rate and ETA.
 */
import { randomBytes } from "node:crypto";
import { display, inNotebook } from "./display";

export interface Progress {
  /** Records that `done` of `total` are finished; `info` (e.g. "loss 0.31") is shown beside. */
  update(done: number, info?: string): void;
  /** Marks the loop finished (shows the final state whatever the throttling). */
  finish(info?: string): void;
}

const fmtTime = (s: number): string => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(s < 10 ? 1 : 0)}s`);

/** "12/40 (30%), 3.1/s, ETA 9.0s, loss 0.3" */
export function progressText(label: string, done: number, total: number, elapsedS: number, info?: string): string {
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const pct = total > 0 ? Math.round((100 * done) / total) : 100;
  const eta = done < total && rate > 0 ? `, ETA ${fmtTime((total - done) / rate)}` : done >= total ? `, ${fmtTime(elapsedS)}` : "";
  return `${label}: ${done}/${total} (${pct}%)${rate > 0 ? `, ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s` : ""}${eta}${info ? `, ${info}` : ""}`;
}

export function progress(total: number, label: string, options: { minIntervalMs?: number; stream?: NodeJS.WriteStream } = {}): Progress {
  const t0 = Date.now();
  const notebook = inNotebook();
  const stream = options.stream ?? process.stderr;
  const tty = !notebook && stream.isTTY === true;
  const interval = options.minIntervalMs ?? (notebook ? 250 : tty ? 100 : 5000);
  const id = `mia-progress-${randomBytes(6).toString("hex")}`;
  let last = -Infinity;
  let shown = false;
  const render = (done: number, info: string | undefined, final: boolean) => {
    const text = progressText(label, Math.min(done, total), total, (Date.now() - t0) / 1000, info);
    if (notebook) {
      const html = `<div class="mia-progress" style="font:13px monospace"><progress value="${Math.min(done, total)}" max="${total}" style="width:240px"></progress> ${text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</div>`;
      display({ "text/html": html, "text/plain": text }, { displayId: id, update: shown });
    } else if (tty) {
      const width = 24;
      const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : width;
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\x1b[K${final ? "\n" : ""}`);
    } else {
      stream.write(`${text}\n`);
    }
    shown = true;
  };
  return {
    update(done, info) {
      const now = Date.now();
      if (now - last < interval && done < total) return;
      last = now;
      render(done, info, false);
    },
    finish(info) {
      render(total, info, true);
    },
  };
}
