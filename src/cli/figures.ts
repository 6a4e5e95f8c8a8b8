/** `mia figures --check`: the exported figures are print size and image figures carry their labels. */
import { parseCommand } from "./usage";
import { checkFigures, figuresDir } from "../plots";

const HELP = `Usage: mia figures --check [--dir DIR]

Checks the figures a run exported (DIR/index.json, the list behind INDEX.md): every PNG is at
least print size (1063 px wide: one 90-mm journal column at 300 dpi), and every image figure
(saliency maps, representations, attack examples) has its SVG with its title, row labels,
column headers and colour-bar labels drawn as text.

Options:
  --dir DIR   the figures folder (default: MIA_FIGURES_DIR, else figures/; build/figures/smoke
              when MIA_PROFILE=smoke)
Exit codes: 0 every figure passes, 1 a figure fails (each problem is printed), 2 bad usage.`;

export async function runFigures(argv: string[]): Promise<void> {
  const v = parseCommand(argv, { check: { type: "boolean" }, dir: { type: "string" } }, HELP);
  if (!v) return;
  if (!v.check) {
    console.log(HELP);
    return;
  }
  const r = await checkFigures(v.dir ?? figuresDir());
  for (const p of r.problems) console.error(`  ${p}`);
  if (r.problems.length) throw new Error(`${r.problems.length} problem(s) in ${r.dir}: re-export the figures named above (re-run their notebooks).`);
  console.log(`[figures] ${r.checked} PNG figures in ${r.dir} are print size; ${r.imageFigures} image figures carry their labels as SVG text`);
}
