/**
 * A live session as a user has it: `make notebook` (Debian's classic Notebook server, as root
 * here) on loopback, a notebook opened in headless Chromium and run cell by cell on the smoke
 * profile through the tslab kernel. Checks that every plotly figure is live (a Plotly graph div
 * holding its traces), still live after its cell is run again, that the smoke run's figures go to
 * build/figures/smoke/ (not figures/), and that the page logs no error of the project's.
 * Needs `make setup` (run as root it installs jupyter-notebook and chromium).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { closeBrowser, newPage } from "../src/plots/browser";

const ROOT = path.resolve(__dirname, "..", "..");
const hasUi = spawnSync("sh", ["-c", "command -v jupyter-notebook"]).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface PlotState {
  traces: number;
  live: boolean;
  fallbackLeft: number;
}

test("make notebook serves a live session: figures live, still live after a re-run, smoke figures kept apart, no project errors", { skip: hasUi ? false : "jupyter-notebook is not installed (make setup installs it when run as root)", timeout: 300_000 }, async () => {
  const port = await freePort();
  const token = randomBytes(12).toString("hex");
  const name = `00-environment-live-test-${process.pid}.ipynb`;
  const copy = path.join(ROOT, "notebooks", name);
  fs.copyFileSync(path.join(ROOT, "notebooks", "00-environment.ipynb"), copy);
  const realIndex = path.join(ROOT, "figures", "INDEX.md");
  const realIndexBefore = fs.existsSync(realIndex) ? fs.statSync(realIndex).mtimeMs : undefined;
  const started = Date.now();
  // NOTEBOOK_DEPS= : no set-up (it could recompile the dist/ this test runs from).
  const server = spawn("make", ["--no-print-directory", "notebook", "NOTEBOOK_DEPS=", `NOTEBOOK_PORT=${port}`, `NOTEBOOK_ARGS=--NotebookApp.token=${token}`, "PROFILE=smoke"], {
    cwd: ROOT,
    env: { ...process.env, MIA_FIGURES_DIR: "", MIA_PROFILE: "" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  server.stdout.on("data", (b: Buffer) => (log += b.toString()));
  server.stderr.on("data", (b: Buffer) => (log += b.toString()));
  const page = await newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  try {
    await waitFor("the Notebook server", async () => ((await fetch(`http://127.0.0.1:${port}/api`)).ok ? true : undefined), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log}`);
    });
    assert.match(log, new RegExp(`\\[notebook\\] jupyter-notebook on http://127\\.0\\.0\\.1:${port}/ .*profile smoke`));
    if (process.getuid?.() === 0) assert.doesNotMatch(log, /Running as root is not recommended\. Use --allow-root/);
    await page.goto(`http://127.0.0.1:${port}/notebooks/${name}?token=${token}`, { waitUntil: "load", timeout: 60_000 });
    await page.waitForFunction(() => {
      const nb = (window as any).Jupyter?.notebook; // eslint-disable-line @typescript-eslint/no-explicit-any
      return nb?.kernel?.is_connected?.() && nb.kernel.info_reply?.implementation === "tslab";
    }, undefined, { timeout: 90_000 });
    const runAndWait = async (index?: number) => {
      await page.evaluate((i) => {
        const nb = (window as any).Jupyter.notebook; // eslint-disable-line @typescript-eslint/no-explicit-any
        if (i === undefined) nb.execute_all_cells();
        else nb.get_cell(i).execute();
      }, index);
      await page.waitForFunction(() => {
        const nb = (window as any).Jupyter.notebook; // eslint-disable-line @typescript-eslint/no-explicit-any
        return document.querySelectorAll(".cell.running").length === 0 && nb.get_cells().every((c: any) => c.cell_type !== "code" || typeof c.input_prompt_number === "number"); // eslint-disable-line @typescript-eslint/no-explicit-any
      }, undefined, { timeout: 240_000, polling: 500 });
    };
    await runAndWait();
    const errorsIn = () =>
      page.evaluate(() =>
        (window as any).Jupyter.notebook // eslint-disable-line @typescript-eslint/no-explicit-any
          .get_cells()
          .flatMap((c: any) => (c.output_area?.outputs ?? []).filter((o: any) => o.output_type === "error" || o.name === "stderr").map((o: any) => o.text ?? `${o.ename}: ${o.evalue}`)), // eslint-disable-line @typescript-eslint/no-explicit-any
      );
    assert.deepEqual(await errorsIn(), [], "no cell printed an error or to stderr");
    const plots = () =>
      page.evaluate(() =>
        [...document.querySelectorAll(".mia-plotly")].map((d) => ({
          traces: ((d as unknown as { data?: unknown[] }).data ?? []).length,
          live: d.classList.contains("js-plotly-plot") && (d.querySelector("svg.main-svg") !== null || d.querySelector("canvas") !== null),
          fallbackLeft: d.querySelectorAll("img[alt=figure]").length,
        })),
      );
    const livePlots = (n: number) =>
      waitFor(`${n} live figures with their traces`, async () => {
        const ps = await plots();
        return ps.length === n && ps.every((p) => p.live && p.traces > 0) ? ps : undefined;
      }, 30_000).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(await plots())}`);
      });
    const first: PlotState[] = await livePlots(3);
    assert.deepEqual(first.map((p) => p.traces), [2, 1, 1], "line chart (2 traces), heatmap, 3-D surface, each live");
    assert.ok(first.every((p) => p.fallbackLeft === 0), "the static PNGs were replaced by live plots");
    const shots = path.join(ROOT, "build", "screenshots");
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "live-session.png") });
    await page.locator(".mia-plotly").first().screenshot({ path: path.join(shots, "live-session-figure.png") });
    // Run the first plot cell again: its new output must find plotly.js by itself.
    const plotCell = await page.evaluate(() => (window as any).Jupyter.notebook.get_cells().findIndex((c: any) => c.cell_type === "code" && c.get_text().includes("showFigure"))); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(plotCell >= 0);
    await runAndWait(plotCell);
    const again: PlotState[] = await livePlots(3);
    assert.deepEqual(again.map((p) => p.traces), [2, 1, 1], "still live after the re-run");
    await page.locator(".mia-plotly").first().screenshot({ path: path.join(shots, "live-session-figure-rerun.png") });
    assert.deepEqual(await errorsIn(), []);
    // The smoke run's figures went to build/figures/smoke/, the real run's figures/ untouched.
    const smokeFig = path.join(ROOT, "build", "figures", "smoke", "env_loss-line.html");
    assert.ok(fs.existsSync(smokeFig) && fs.statSync(smokeFig).mtimeMs >= started, "smoke figures in build/figures/smoke/");
    assert.equal(fs.existsSync(realIndex) ? fs.statSync(realIndex).mtimeMs : undefined, realIndexBefore, "figures/INDEX.md untouched");
    const ours = problems.filter((p) => /mia|plotly|Plotly/i.test(p));
    assert.deepEqual(ours, [], `the project's errors in the browser console (all: ${JSON.stringify(problems)})`);
  } finally {
    await page.close().catch(() => undefined);
    await closeBrowser();
    try {
      process.kill(-server.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    fs.rmSync(copy, { force: true });
    fs.rmSync(path.join(ROOT, "notebooks", ".ipynb_checkpoints", name.replace(/\.ipynb$/, "-checkpoint.ipynb")), { force: true });
  }
});
