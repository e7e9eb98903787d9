"""Stub generation: build_assignment writes the stub of every solution file, only when it changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.author.stubs import build_assignment, stale_stubs

B = "### BEGIN " + "SOLUTION"  # in pieces, so a grep for markers finds only solutions/
E = "### END " + "SOLUTION"


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def write_solutions(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "b.py").write_text(lines("def b():", f"    {B}", "    return 2", f"    {E}"))
    (folder / "a.py").write_text(lines("def a():", f"    {B}", "    return 1", f"    {E}"))
    (folder / "notes.txt").write_text("not a python file\n")


def test_build_writes_sorted_stubs_and_is_idempotent(tmp_path: Path) -> None:
    solutions, stubs = tmp_path / "solutions" / "hwX", tmp_path / "assignments" / "hwX"
    write_solutions(solutions)
    written = build_assignment(solutions, stubs)
    assert written == [stubs / "a.py", stubs / "b.py"]
    assert sorted(p.name for p in stubs.iterdir()) == ["a.py", "b.py"]
    assert (stubs / "a.py").read_bytes() == (
        b'def a():\n    raise NotImplementedError("a: write your code here")\n'
    )
    mtime = (stubs / "a.py").stat().st_mtime_ns
    assert build_assignment(solutions, stubs) == []
    assert (stubs / "a.py").stat().st_mtime_ns == mtime


def test_build_rewrites_only_changed_files(tmp_path: Path) -> None:
    solutions, stubs = tmp_path / "solutions", tmp_path / "stubs"
    write_solutions(solutions)
    build_assignment(solutions, stubs)
    (stubs / "b.py").write_text("edited by hand\n")
    assert build_assignment(solutions, stubs) == [stubs / "b.py"]


def test_build_writes_nothing_when_a_file_is_malformed(tmp_path: Path) -> None:
    solutions, stubs = tmp_path / "solutions", tmp_path / "stubs"
    write_solutions(solutions)
    (solutions / "c.py").write_text(lines("def c():", f"    {B}"))
    with pytest.raises(ValueError, match=r"c\.py:2: "):
        build_assignment(solutions, stubs)
    assert not stubs.exists() or list(stubs.iterdir()) == []


def test_stale_stubs_reports_missing_and_changed(tmp_path: Path) -> None:
    solutions, stubs = tmp_path / "solutions", tmp_path / "stubs"
    write_solutions(solutions)
    assert stale_stubs(solutions, stubs) == ["a.py", "b.py"]
    build_assignment(solutions, stubs)
    assert stale_stubs(solutions, stubs) == []
    (solutions / "a.py").write_text(
        lines("def a():", f"    {B}", "    return 3", f"    {E}", "# v2")
    )
    assert stale_stubs(solutions, stubs) == ["a.py"]
    build_assignment(solutions, stubs)
    (stubs / "b.py").write_bytes((stubs / "b.py").read_bytes().replace(b"\n", b"\r\n"))
    assert stale_stubs(solutions, stubs) == ["b.py"]


def test_committed_hw07_stubs_are_not_stale() -> None:
    solutions, stubs = REPO / "solutions" / "hw07", REPO / "assignments" / "hw07"
    if not list(solutions.glob("*.py")) or not list(stubs.glob("*.py")):
        pytest.fail(f"no hw07 solution files or stubs in {REPO}: run make assignments")
    stale = stale_stubs(solutions, stubs)
    assert stale == [], f"stubs out of date with solutions/hw07: {stale}; run make assignments"
