"""The assignment notebook as students use it: generated with the stubs, shipped in the bundle, run top
to bottom in a real Jupyter kernel (nbclient + ipykernel), and checked with `autograder check hw07.ipynb`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from tiny_course import REPO

from autograder.author.markers import SELF_CHECK_TAG
from autograder.author.notebook import plan, student_notebook
from autograder.author.release import release
from autograder.author.stubs import build_assignment, stale_stubs
from autograder.cli import main

SOLUTIONS = REPO / "solutions" / "hw07"

RUN = """
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, startup_timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
    nbformat.write(nb, path)
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The student bundle, unzipped, with a filled-in copy of the notebook beside the stub one."""
    root = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(release(REPO, "hw07", root / "dist")) as z:
        z.extractall(root)
    folder = root / "hw07"
    solved = student_notebook(plan(SOLUTIONS, REPO / "assignments" / "hw07"), "solution")
    (folder / "solved.ipynb").write_text(solved, encoding="utf-8")
    return folder


def run_notebooks(*paths: Path) -> list:
    """Execute the notebooks in place with a real kernel; a cell that raises fails the run."""
    env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", RUN, *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return [nbformat.read(p, as_version=4) for p in paths]


def self_checks(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and SELF_CHECK_TAG in cell.metadata.get("tags", ()):
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
            out[cell.id] = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return out


def test_bundle_ships_the_notebook(bundle: Path) -> None:
    assert (bundle / "hw07.ipynb").read_bytes() == (REPO / "assignments" / "hw07" / "hw07.ipynb").read_bytes()


def test_notebook_runs_top_to_bottom_in_jupyter(bundle: Path) -> None:
    stub = bundle / "stub-run.ipynb"
    shutil.copy(bundle / "hw07.ipynb", stub)
    solved, stubbed = run_notebooks(bundle / "solved.ipynb", stub)

    checks = self_checks(solved)
    assert list(checks) == ["self-check-setup", "check-activations", "check-gates", "check-optim",
                            "check-logreg", "check-all"]
    for cid, text in checks.items():
        if cid != "self-check-setup":
            assert "public tests passed." in text and "FAIL" not in text, (cid, text)
    assert "All 38 public tests passed." in checks["check-all"]
    assert "Only the public tests were run; the hidden tests were not run." in checks["check-all"]

    # The stubs: every self-check reports NotImplementedError, and the run still reaches the end.
    checks = self_checks(stubbed)
    assert "sigmoid is not implemented yet (it raised NotImplementedError)" in checks["check-activations"]
    assert "sgd_step is not implemented yet (it raised NotImplementedError)" in checks["check-optim"]
    assert "0/38 public tests passed." in checks["check-all"]
    errors = [o for c in stubbed.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []


def test_autograder_check_on_a_notebook(bundle: Path, capsys) -> None:
    assert main(["check", str(bundle / "solved.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "All 38 public tests passed." in out
    assert "note: solved.ipynb was graded: its code cells as one module" in out

    assert main(["check", str(bundle / "hw07.ipynb")]) == 1
    assert "0/38 public tests passed." in capsys.readouterr().out

    (bundle / "cut.ipynb").write_text('{"cells": [', encoding="utf-8")
    assert main(["check", str(bundle / "cut.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "autograder check: cut.ipynb is not a valid notebook: it is not JSON (line 1, column 12" in err
    assert main(["check", str(bundle / "missing.ipynb")]) == 2


def test_an_edited_notebook_is_stale_and_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "hw07"
    shutil.copytree(REPO / "assignments" / "hw07", folder)
    assert stale_stubs(SOLUTIONS, folder) == []
    nb = folder / "hw07.ipynb"
    nb.write_text(nb.read_text(encoding="utf-8").replace("write your code here", "edited"), encoding="utf-8")
    assert stale_stubs(SOLUTIONS, folder) == ["hw07.ipynb"]
    assert build_assignment(SOLUTIONS, folder) == [nb]
    assert nb.read_bytes() == (REPO / "assignments" / "hw07" / "hw07.ipynb").read_bytes()
    assert stale_stubs(SOLUTIONS, folder) == []


def test_notebook_text_cells_russian_first_english_folded() -> None:
    nb = nbformat.read(REPO / "assignments" / "hw07" / "hw07.ipynb", as_version=4)
    intro = nb.cells[0].source
    assert intro.index("Как работать с этим блокнотом") < intro.index("<details><summary><b>English</b>")
    assert "**Working in this notebook**" in intro
    todo = [c for c in nb.cells if c.id.startswith("todo-")]
    assert [c.id for c in todo][:2] == ["todo-sigmoid", "todo-sigmoid_grad"] and len(todo) == 13
    assert all("raise NotImplementedError" in c.source and "BEGIN" not in c.source for c in todo)
    assert not any("from activations import" in c.source for c in nb.cells)  # one namespace
