"""What many tests build on, written once: the repository, the hw07 solution, files and zips in a folder,
and a tiny course (the fixtures in conftest.py are made from these).

The tiny course: the real hw07 assignment.toml and reference, and a few tiny hidden tests (by default
sigmoid: 2 points, sgd_step: 2 points), so end-to-end tests do not depend on the real hidden tests and
stay fast. Students are made from the solution, without its markers.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from autograder.author.markers import solution_files

REPO = Path(__file__).resolve().parents[1]
SOL = solution_files(REPO / "solutions" / "hw07")  # file name -> the solution without its markers
WRONG_SIGMOID = SOL["activations.py"].replace("def sigmoid(x):",
                                              "def sigmoid(x):\n    return x\n\n\ndef _s(x):")

HIDDEN_IMPORTS = '''
import numpy as np
import pytest
'''
SIGMOID_TEST = '''

@pytest.mark.exercise("sigmoid")
@pytest.mark.points(2)
def test_sigmoid(student, ref, rng):
    """values on random inputs"""
    z = rng.normal(size=(3, 4))
    np.testing.assert_allclose(student.sigmoid(z), ref.sigmoid(z), rtol=1e-6)
'''
SGD_TEST = '''

@pytest.mark.exercise("sgd_step")
@pytest.mark.points({points})
def test_sgd_step(student, rng):
    """in place"""
    p, g = {{"w": rng.normal(size=4)}}, {{"w": rng.normal(size=4)}}
    want = p["w"] - 0.1 * g["w"]
    np.testing.assert_allclose(student.call("sgd_step", p, g, 0.1).args_after[0]["w"], want)
'''
HIDDEN = HIDDEN_IMPORTS + SIGMOID_TEST + SGD_TEST.format(points=2)
DUE = "2026-12-01T23:59:00+03:00"
LATE = '''
[late]
due = "{due}"
grace_minutes = 15
penalty_per_day = 0.1
max_penalty = 0.3
'''
HW07_LATE = "hw07"  # make_course(due=HW07_LATE): keep hw07's own [late] table


def make_course(root: Path, due: str | None = DUE, hidden: str = HIDDEN) -> Path:
    """A course in ``root``: hw07's assignment.toml with a late policy due at ``due`` (None: no policy;
    HW07_LATE: hw07's own), its reference, and ``hidden`` as the hidden tests (test_hidden.py)."""
    (root / "assignments" / "hw07").mkdir(parents=True)
    toml = (REPO / "assignments/hw07/assignment.toml").read_text(encoding="utf-8")
    if due != HW07_LATE:
        toml = without_late(toml) + (LATE.format(due=due) if due else "")
    (root / "assignments/hw07/assignment.toml").write_text(toml)
    (root / "reference" / "hw07" / "tests").mkdir(parents=True)
    shutil.copy(REPO / "reference/hw07/hw07_reference.py", root / "reference/hw07/")
    (root / "reference/hw07/tests/test_hidden.py").write_text(hidden)
    return root


def without_late(toml: str) -> str:
    """assignment.toml text without its ``[late]`` table (hw07's own policy, if it has one)."""
    keep, inside = [], False
    for line in toml.splitlines(True):
        if line.startswith("["):
            inside = line.strip() == "[late]"
        if not inside:
            keep.append(line)
    return "".join(keep)


def set_due(root: Path, due: str) -> None:
    toml = root / "assignments/hw07/assignment.toml"
    toml.write_text(without_late(toml.read_text()) + LATE.format(due=due))


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``folder``, making folders as needed."""
    for name, data in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return folder


def student(folder: Path, changes: dict[str, str] | None = None) -> Path:
    """A student's folder: the solution, with ``changes`` (file name -> text) applied."""
    folder.mkdir(parents=True)
    return write_files(folder, {**SOL, **(changes or {})})


def copy_assignment(dest: Path) -> Path:
    """The hw07 assignment folder as a student gets it: stubs, assignment.toml, README, tests/."""
    shutil.copytree(REPO / "assignments" / "hw07", dest,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def put_solution(folder: Path) -> Path:
    """Overwrite the stubs in ``folder`` with the solution files (without their markers)."""
    return write_files(folder, SOL)


def zip_student(path: Path, changes: dict[str, str], date: tuple = (2026, 1, 1, 0, 0, 0)) -> Path:
    """A student's zip, ``hw07/<file>`` entries: the solution with ``changes`` applied."""
    with zipfile.ZipFile(path, "w") as z:
        for name, text in {**SOL, **changes}.items():
            z.writestr(zipfile.ZipInfo(f"hw07/{name}", date), text)
    return path
