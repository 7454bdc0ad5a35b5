#!/usr/bin/env python3
"""Execute one DiffInv notebook headless with the real JJava kernel.

Usage: run_notebook.py NOTEBOOK --mode smoke|quick|full --out DIR [--inplace] [--timeout S]

The notebook runs with its own folder as the working directory (so its first cell,
`%load ../lib/diffinv.jshell`, finds the kit), with DIFFINV_MODE set to the mode and
DIFFINV_RESULTS pointing at DIR, where the notebook writes its CSV and PNG artifacts.
The executed notebook is written to DIR/<name>.ipynb (and over the source with --inplace).
Exit status: 0 when every cell ran, 1 when a cell raised an error (its traceback is printed),
2 for bad arguments.
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebook")
    p.add_argument("--mode", default="quick", choices=["smoke", "quick", "full"])
    p.add_argument("--out", required=True, help="directory for the executed notebook and artifacts")
    p.add_argument("--inplace", action="store_true", help="also overwrite the source notebook with the outputs")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none in full mode, 1800 otherwise)")
    args = p.parse_args()

    path = os.path.abspath(args.notebook)
    if not os.path.isfile(path):
        print(f"kit run: no notebook at {args.notebook}", file=sys.stderr)
        return 2
    name = os.path.splitext(os.path.basename(path))[0]
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    os.environ["DIFFINV_MODE"] = args.mode
    # the kit's Results.forRun(name) writes under $DIFFINV_RESULTS/<name>, i.e. beside the executed notebook
    os.environ["DIFFINV_RESULTS"] = os.path.dirname(out_dir)

    nb = nbformat.read(path, as_version=4)
    timeout = args.timeout if args.timeout is not None else (None if args.mode == "full" else 1800)
    client = NotebookClient(nb, kernel_name="java", timeout=timeout, startup_timeout=180,
                            resources={"metadata": {"path": os.path.dirname(path)}})
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    print(f"kit run: {name} ({len(code_cells)} code cells) in {args.mode} mode -> {out_dir}", flush=True)
    t0 = time.time()
    failed = None
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            n = code_cells.index(cell) + 1
            t = time.time()
            try:
                client.execute_cell(cell, index)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                failed = (n, e)
                break
            print(f"  cell {n}/{len(code_cells)} ok ({time.time() - t:.1f} s)", flush=True)
    # JJava reports some compile errors as stderr text rather than an error output: treat both as failures.
    if failed is None:
        for n, cell in enumerate(code_cells, 1):
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    failed = (n, "\n".join(o.get("traceback", [])))
    nb.metadata.setdefault("diffinv", {})["run"] = {
        "mode": args.mode,
        "seconds": round(time.time() - t0, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    out_path = os.path.join(out_dir, name + ".ipynb")
    nbformat.write(nb, out_path)
    if failed is not None:
        n, e = failed
        print(f"kit run: {name} FAILED at code cell {n}:\n{e}", file=sys.stderr)
        print(f"kit run: partial notebook written to {out_path}", file=sys.stderr)
        return 1
    if args.inplace:
        nbformat.write(nb, path)
        print(f"kit run: outputs saved into {args.notebook}")
    print(f"kit run: {name} passed in {time.time() - t0:.1f} s; executed notebook: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
