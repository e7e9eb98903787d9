"""Peers side by side: the same 10 solved hw07 notebooks graded by `nbgrader autograde`, `otter run`
and `autograder grade`, in one run (all three installed by the dev extra; no Docker).

Each tool gets the notebook in its own format, with the same solution code: nbgrader the released
notebook with every solution cell filled in (as a student would); autograder the very same files,
as `<student>.ipynb`; otter the solved notebook `otter assign` writes. Set-up (export, generate,
assign) is not timed; grading is, from the command's start to its end, cold.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "JUPYTER_PLATFORM_DIRS": "1", "PYTHONWARNINGS": "ignore"}


def run(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_env(), timeout=1800)
    dt = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return dt


def nbgrader_and_autograder(tmp: Path, n: int) -> tuple[float, float]:
    import nbformat

    from autograder.author.markers import without_markers

    root = tmp / "nbgrader"
    # a command of its own, as an instructor runs it: it checks the released tests with pytest, and a
    # second pytest session in this process (the bench's in-process floor ran one) would clash on the
    # tests' module names
    run([str(BIN / "autograder"), "export", "nbgrader", "hw07", "--out", str(root), "--course", str(ROOT)],
        tmp)
    run([sys.executable, "-m", "nbgrader", "generate_assignment", "hw07", f"--CourseDirectory.root={root}"],
        root)
    source = nbformat.read(root / "source" / "hw07" / "hw07.ipynb", as_version=4)
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(root / "release" / "hw07" / "hw07.ipynb", as_version=4)
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            c.source = without_markers(solution[meta["grade_id"]])
    ours = tmp / "ours"
    ours.mkdir()
    for i in range(n):
        folder = root / "submitted" / f"s{i:02d}" / "hw07"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "hw07.ipynb")
        shutil.copy(folder / "hw07.ipynb", ours / f"s{i:02d}.ipynb")
    t_nbgrader = run([sys.executable, "-m", "nbgrader", "autograde", "hw07",
                      f"--CourseDirectory.root={root}"], root)
    t_ours = run([str(BIN / "autograder"), "grade", str(ours), "--assignment", "hw07", "--out",
                  str(tmp / "ours-out"), "--course", str(ROOT), "--no-progress"], tmp)
    return t_nbgrader, t_ours


def otter(tmp: Path, n: int) -> float:
    out = tmp / "otter"
    out.mkdir()
    # its own command too: it records the public tests' calls with a pytest session (see above)
    run([str(BIN / "autograder"), "export", "otter", "hw07", "--out", str(out), "--course", str(ROOT)], tmp)
    master = out / "hw07.ipynb"
    run([str(BIN / "otter"), "assign", "--no-run-tests", master.name, "dist"], out)
    [zip_path] = (out / "dist" / "autograder").glob("hw07-autograder_*.zip")
    solved = out / "dist" / "autograder" / "hw07.ipynb"
    total = 0.0
    for i in range(n):
        res = out / f"run{i:02d}"
        res.mkdir()
        sub = res / "hw07.ipynb"
        shutil.copy(solved, sub)
        total += run([str(BIN / "otter"), "run", "-a", str(zip_path), "-o", str(res), "--no-logo", str(sub)],
                     out)
    return total


def main(n: int = 10) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        tmp = Path(tmp)
        t_nbgrader, t_ours = nbgrader_and_autograder(tmp, n)
        t_otter = otter(tmp, n)
    rows = {"autograder grade": t_ours, "nbgrader autograde": t_nbgrader, "otter run": t_otter}
    print(f"peers: the same {n} solved notebooks, one run (cold; set-up not timed)")
    print(f"{'tool':<20} {'seconds':>8} {'s/submission':>13} {'vs autograder':>14}")
    for tool, dt in rows.items():
        print(f"{tool:<20} {dt:>8.2f} {dt / n:>13.3f} {dt / t_ours:>13.1f}x")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
