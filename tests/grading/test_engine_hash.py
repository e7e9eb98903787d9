"""The engine is part of the assignment hash: a changed tolerance regrades every student."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_course import WRONG_SIGMOID, make_course, student

from autograder.grading.hashes import PACKAGE, engine_hash


def _copy_engine(dest: Path) -> Path:
    shutil.copytree(PACKAGE, dest / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "autograder"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_engine_hash_follows_grading_sources_and_ignores_the_rest(tmp_path):
    copy = _copy_engine(tmp_path)
    assert engine_hash(copy) == engine_hash(PACKAGE)  # the bytes decide, not where they are
    _edit(copy / "render" / "report.py", '"""', '"""Only the class report changed. ')
    assert engine_hash.__wrapped__(copy) == engine_hash(PACKAGE)
    _edit(copy / "testkit" / "expect.py", "RTOL = 1e-9", "RTOL = 0.0")
    assert engine_hash.__wrapped__(copy) != engine_hash(PACKAGE)


@pytest.mark.slow
def test_a_rerun_after_changing_a_tolerance_in_the_engine_regrades_every_student(tmp_path):
    """``autograder grade`` from a copy of the engine: rerun as is (nothing regraded), then with a
    tolerance of the checks changed (every student regraded)."""
    root = tmp_path / "root"
    root.mkdir()
    copy = _copy_engine(root)
    course = make_course(root / "course")
    student(root / "subs" / "alice")
    student(root / "subs" / "bob", {"activations.py": WRONG_SIGMOID})

    def grade() -> str:
        cmd = [sys.executable, "-m", "autograder", "grade", "subs", "--assignment", "hw07", "--out", "out",
               "--course", str(course), "--jobs", "1", "--no-progress"]
        run = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        return run.stdout

    first = grade()
    assert "2 submissions (2 graded now)" in first
    assert "2 submissions (0 graded now)" in grade()
    _edit(copy / "testkit" / "expect.py", "RTOL = 1e-9", "RTOL = 1e-8")
    assert "2 submissions (2 graded now)" in grade()
