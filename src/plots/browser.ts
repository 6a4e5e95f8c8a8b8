/**
 * One headless Chromium per process, from Debian's `chromium` (or MIA_CHROMIUM), driven by
 * playwright-core: never a browser download. Flags suit a machine without network access.
 */
import * as fs from "node:fs";
// Types only: the library itself (~0.4 s to load) is required on first use, so importing the
// project does not pay for a browser it may never start.
import type { Browser, Page } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MIA_CHROMIUM?.trim();
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`MIA_CHROMIUM=${explicit} does not exist.`);
    return explicit;
  }
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error("No Chromium found for figure export: run 'make setup' (installs Debian's chromium as root), 'sudo apt-get install chromium', or set MIA_CHROMIUM.");
  return found;
}

let browser: Promise<Browser> | undefined;

export function getBrowser(): Promise<Browser> {
  browser ??= (require("playwright-core") as typeof import("playwright-core")).chromium
    .launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [
        ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    })
    .catch((e: unknown) => {
      browser = undefined;
      throw e;
    });
  return browser;
}

export async function newPage(): Promise<Page> {
  return (await getBrowser()).newPage();
}

export async function closeBrowser(): Promise<void> {
  const b = browser;
  browser = undefined;
  if (b) await (await b).close();
}
