"""Fixtures many test files share; what they are made from is in tiny_course.py (tests/ is on the path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_course import make_course

from autograder.sandbox.launch import SubprocessLauncher, ZygoteLauncher


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The tiny course (tiny_course.make_course) in ``tmp_path/course``; a test file may override it."""
    return make_course(tmp_path / "course")


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    """An empty submissions folder, ``tmp_path/subs``."""
    (tmp_path / "subs").mkdir()
    return tmp_path / "subs"


@pytest.fixture(scope="module", params=["zygote", "subprocess"])
def launcher(request):
    """Each way of starting workers in turn, one per test module."""
    lau = ZygoteLauncher() if request.param == "zygote" else SubprocessLauncher()
    yield lau
    lau.close()
