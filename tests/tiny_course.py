"""A small course in a folder, for end-to-end tests of the late policy and the gradebook.

The real hw07 assignment.toml (plus a ``[late]`` table) and reference, two tiny hidden tests
(sigmoid: 2 points, sgd_step: 2 points), and students made from the solution.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.author.markers import solution_files

REPO = Path(__file__).resolve().parents[1]
HIDDEN = '''
import numpy as np
import pytest


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(2)
def test_sigmoid(student, ref, rng):
    """values on random inputs"""
    z = rng.normal(size=(3, 4))
    np.testing.assert_allclose(student.sigmoid(z), ref.sigmoid(z), rtol=1e-6)


@pytest.mark.exercise("sgd_step")
@pytest.mark.points(2)
def test_sgd_step(student, rng):
    """in place"""
    p, g = {"w": rng.normal(size=4)}, {"w": rng.normal(size=4)}
    want = p["w"] - 0.1 * g["w"]
    np.testing.assert_allclose(student.call("sgd_step", p, g, 0.1).args_after[0]["w"], want)
'''
LATE = '''
[late]
due = "{due}"
grace_minutes = 15
penalty_per_day = 0.1
max_penalty = 0.3
'''


def solution() -> dict[str, str]:
    return solution_files(REPO / "solutions" / "hw07")


SOL = solution()
WRONG_SIGMOID = SOL["activations.py"].replace("def sigmoid(x):",
                                              "def sigmoid(x):\n    return x\n\n\ndef _s(x):")


def make_course(root: Path, due: str | None = "2026-12-01T23:59:00+03:00") -> Path:
    (root / "assignments" / "hw07").mkdir(parents=True)
    toml = without_late((REPO / "assignments/hw07/assignment.toml").read_text(encoding="utf-8"))
    (root / "assignments/hw07/assignment.toml").write_text(toml + (LATE.format(due=due) if due else ""))
    (root / "reference" / "hw07" / "tests").mkdir(parents=True)
    shutil.copy(REPO / "reference/hw07/hw07_reference.py", root / "reference/hw07/")
    (root / "reference/hw07/tests/test_hidden.py").write_text(HIDDEN)
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


def student(folder: Path, changes: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    for name, text in {**SOL, **(changes or {})}.items():
        (folder / name).write_text(text)
    return folder
