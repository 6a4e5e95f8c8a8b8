#!/usr/bin/python3
"""Execute the project's notebooks headless with the tslab kernel (Debian's nbclient).

Source notebooks in notebooks/ stay output-free; executed copies (with outputs) and HTML
exports go to build/notebooks/<profile>/. Stops at the first failing cell, names the notebook
and the cell, and still writes the partly executed copy so no output is lost.

Usage: run_notebooks.py [--profile P] [--tasks a,b] [--out DIR] [--timeout SEC] [--no-html] [NOTEBOOK ...]
--tasks (or MIA_TASKS) runs the notebooks on those tasks instead of the profile's (your own data:
a task trained with 'mia train --imagefolder DIR --name NAME'); outputs then go to
build/notebooks/<profile>-tasks-a+b/ and figures to figures/tasks-a+b/.
Without NOTEBOOK arguments, runs notebooks/*.ipynb in name order.
"""
import argparse
import re
import json
import os
import subprocess
import sys
import time
from pathlib import Path

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.exit(f"[run] {e}. Run 'make setup' (it installs Debian's jupyter-nbconvert python3-nbclient "
             "python3-ipykernel), and run this script with /usr/bin/python3.")

ROOT = Path(__file__).resolve().parent.parent


def resolve_profile(name: str) -> dict:
    """The profile as src/config defines it (the one place profiles live); exits on a bad name."""
    code = "const c=require('./dist/src/config');try{console.log(JSON.stringify(c.resolveProfile(process.argv[1])))}" \
           "catch(e){console.error(e.message);process.exit(2)}"
    res = subprocess.run(["node", "-e", code, name], cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"[run] {res.stderr.strip() or 'could not read src/config: run make setup'}")
    return json.loads(res.stdout)


def kernel_name() -> str:
    # The kernelspec lives in .jupyter/ (written by scripts/setup.sh), found via JUPYTER_PATH.
    spec = ROOT / ".jupyter" / "kernels" / "tslab" / "kernel.json"
    if not spec.exists():
        sys.exit("[run] the tslab kernel is not registered here: run 'make setup'.")
    paths = os.environ.get("JUPYTER_PATH", "")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(ROOT / ".jupyter"), paths] if p)
    return "tslab"


PLOTLY = ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js"


def export_html(nb, dest: Path) -> None:
    """nbconvert's HTML with plotly.js inlined once in the head, so every figure is live."""
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(nb)
    if PLOTLY.exists() and "mia-plotly" in body:
        lib = PLOTLY.read_text(encoding="utf-8").replace("</script", "<\\/script")
        body = body.replace("<head>", f'<head>\n<script type="text/javascript">{lib}</script>', 1)
    dest.write_text(body, encoding="utf-8")


def describe_cell(nb, index: int) -> str:
    src = nb.cells[index].source.strip().splitlines()
    head = src[0] if src else "<empty>"
    code_no = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    return f"cell {index + 1} (code cell {code_no}): {head[:100]}"


# A table cell that holds NaN: an HTML <td>NaN</td> or a box-drawn text table's "│ NaN". The
# project's rule is that a missing value says why ("— (reason)"), never NaN.
NAN_CELL = re.compile(r"<td[^>]*>\s*NaN\s*</td>|[│|]\s*NaN\s*[│|║]")


def nan_in_tables(nb) -> list:
    """The cells whose outputs show a table with a NaN in it, as describe_cell names them."""
    found = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            data = o.get("data", {})
            texts = [o.get("text", "")] + [data.get(k, "") for k in ("text/html", "text/plain")]
            if any(NAN_CELL.search("".join(t) if isinstance(t, list) else str(t)) for t in texts):
                found.append(describe_cell(nb, i))
                break
    return found


def run_one(path: Path, out_dir: Path, timeout: int, html: bool) -> bool:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name(),
        resources={"metadata": {"path": str(path.parent)}},  # cwd = notebooks/, so "../dist" resolves
        allow_errors=False,
        record_timing=True,
    )
    out_nb = out_dir / path.name
    started = time.time()
    failed = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as e:
        failed = e
    except Exception as e:  # kernel died, could not start, ...
        failed = e
    finally:
        nbformat.write(nb, out_nb)
        if html:
            try:
                export_html(nb, out_nb.with_suffix(".html"))
            except Exception as e:  # an export problem must not hide the run's result
                print(f"[run] warning: HTML export of {path.name} failed: {e}", file=sys.stderr)
    took = time.time() - started
    if failed is None:
        nan_cells = nan_in_tables(nb)
        if nan_cells:
            print(f"[run] FAILED {path.name}: a table shows NaN (a missing value must say why) at " + "; ".join(nan_cells), file=sys.stderr)
            print(f"[run] output kept in {out_nb}", file=sys.stderr)
            return False
        print(f"[run] ok     {path.name} ({took:.1f}s) -> {out_nb.relative_to(ROOT) if out_nb.is_relative_to(ROOT) else out_nb}", flush=True)
        return True
    # Find the cell that failed: the first code cell with an error output, else the last executed.
    idx = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if idx is None:
        executed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
        idx = executed[-1] if executed else 0
    kind = "timed out" if isinstance(failed, CellTimeoutError) else "failed"
    print(f"[run] FAILED {path.name} at {describe_cell(nb, idx)} ({kind} after {took:.1f}s)", file=sys.stderr)
    # tslab reports a thrown error as the cell's stderr stream and an empty error reply, so the
    # cell's own stderr is the useful message; nbclient's text is the fallback.
    cell = nb.cells[idx]
    err_text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
    err_text += "".join(f"{o.get('ename', '')}: {o.get('evalue', '')}\n" for o in cell.get("outputs", [])
                        if o.get("output_type") == "error")
    msg = err_text.strip() or str(failed).strip()
    print("\n".join(msg.splitlines()[-40:]), file=sys.stderr)
    print(f"[run] partial output kept in {out_nb}", file=sys.stderr)
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    ap.add_argument("--profile", default=os.environ.get("MIA_PROFILE", "cpu"))
    ap.add_argument("--tasks", default=os.environ.get("MIA_TASKS", ""), help="comma-separated task names (default: the profile's tasks)")
    ap.add_argument("--out", default=None, help="output folder (default build/notebooks/<profile>)")
    ap.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML export")
    args = ap.parse_args()

    # The kernel inherits MIA_TASKS: the notebooks' mia.init() then resolves the profile on those tasks.
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if tasks:
        os.environ["MIA_TASKS"] = ",".join(tasks)
    else:
        os.environ.pop("MIA_TASKS", None)
    profile = resolve_profile(args.profile)
    args.profile = profile["name"]
    # The kernel inherits it (and with it where figures go: smoke ones to build/figures/smoke/).
    os.environ["MIA_PROFILE"] = args.profile
    timeout = args.timeout or int(os.environ.get("MIA_CELL_TIMEOUT", profile["cellTimeoutSec"]))
    paths = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"[run] no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not paths:
        print("[run] no notebooks found in notebooks/", file=sys.stderr)
        return 2
    run_name = args.profile + (f"-tasks-{'+'.join(tasks)}" if tasks else "")
    out_dir = Path(args.out).resolve() if args.out else ROOT / "build" / "notebooks" / run_name
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"[run] profile {args.profile}{', tasks ' + ', '.join(tasks) if tasks else ''}, {len(paths)} notebook(s), cell timeout {timeout}s", flush=True)
    for p in paths:
        if not run_one(p, out_dir, timeout, not args.no_html):
            return 1
    print(f"[run] all {len(paths)} notebook(s) executed; outputs in {out_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
