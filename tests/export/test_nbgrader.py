"""`autograder export nbgrader` with the real nbgrader (from PyPI): generate_assignment, then autograde a
student who filled in the solution (full marks) and one who handed in the stubs (zero); then
`autograder grade` on the same course folder gives the same scores and reads nbgrader's timestamps."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from tiny_course import REPO

from autograder.author.markers import without_markers
from autograder.cli import main

STAMP = "2026-11-27 09:06:25.123456 UTC"  # nbgrader's default timestamp format
SCORES = """
import json, sys
from nbgrader.api import Gradebook
with Gradebook("sqlite:///" + sys.argv[1]) as gb:
    print(json.dumps({s: [gb.find_submission("hw07", s).score, gb.find_submission("hw07", s).max_score]
                      for s in sys.argv[2:]}))
"""


def nbgrader(*args: str, cwd: Path) -> str:
    # nbgrader runs `alembic` (its database migrations) by name: the venv's bin/ must be on PATH
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "JUPYTER_PLATFORM_DIRS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={cwd}"],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """An nbgrader course after generate_assignment, collect (two students) and autograde."""
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    assert main(["export", "nbgrader", "hw07", "--out", str(root), "--course", str(REPO)]) == 0
    nbgrader("generate_assignment", "hw07", cwd=root)

    source = nbformat.read(root / "source" / "hw07" / "hw07.ipynb", as_version=4)
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    for student in ("alice", "bob"):
        nb = nbformat.read(root / "release" / "hw07" / "hw07.ipynb", as_version=4)
        if student == "alice":  # fills in every solution cell, as a student would
            for c in nb.cells:
                meta = c.metadata.get("nbgrader", {})
                if meta.get("solution"):
                    c.source = without_markers(solution[meta["grade_id"]])
        folder = root / "submitted" / student / "hw07"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "hw07.ipynb")
        (folder / "timestamp.txt").write_text(STAMP, encoding="utf-8")
    nbgrader("autograde", "hw07", cwd=root)
    return root


def test_source_notebook_has_nbgrader_cells_and_no_reference(course: Path) -> None:
    nb = nbformat.read(course / "source" / "hw07" / "hw07.ipynb", as_version=4)
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    tests = [m for m in meta if m.get("grade")]
    assert [m["grade_id"] for m in tests][:3] == ["test_sigmoid", "test_sigmoid_grad", "test_relu"]
    assert len(tests) == 13 and sum(m["points"] for m in tests) == 100
    assert sum(bool(m.get("solution")) for m in meta) == 13 and all(m.get("locked") for m in tests)
    assert all("schema_version" in m for m in meta)
    text = "\n".join(c.source for c in nb.cells)
    assert text.count("### BEGIN HIDDEN TESTS") == 13 and "hw07_reference" not in text
    assert "ref." not in text and "import reference" not in text
    assert (course / "nbgrader_config.py").is_file()

    released = (course / "release" / "hw07" / "hw07.ipynb").read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in released and "np.exp(-np.abs(x))" not in released  # no solution
    assert "check_call(" in released  # the visible checks stay


def test_nbgrader_autograde_gives_full_marks_and_zero(course: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCORES, str(course / "gradebook.db"), "alice", "bob"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == {"alice": [100.0, 100.0], "bob": [0.0, 100.0]}


def test_autograder_grade_on_the_nbgrader_course_agrees(course: Path, capsys) -> None:
    out = course / "ours"  # inside the course root: only submitted/ holds submissions
    assert main(["grade", str(course), "--assignment", "hw07", "--out", str(out), "--course", str(REPO),
                 "--jobs", "2", "--no-progress"]) == 0
    assert f"nbgrader layout: grading {course / 'submitted'}/<student>/hw07/" in capsys.readouterr().out
    text = (out / "grades.csv").read_text(encoding="utf-8")
    rows = {r["student_id"]: r for r in csv.DictReader(text.splitlines())}
    assert (rows["alice"]["score"], rows["alice"]["max_score"], rows["bob"]["score"]) == ("100", "100", "0")
    doc = json.loads((out / "alice" / "results.json").read_text(encoding="utf-8"))
    assert doc["extra_data"]["submitted_at"] == "2026-11-27T09:06:25.123456+00:00"
    assert doc["output"].startswith("hw07.ipynb was graded: its code cells as one module")
