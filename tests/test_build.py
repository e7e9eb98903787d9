"""Stub generation: solution regions become one raise, everything else is kept byte for byte."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.author.markers import strip_solution
from autograder.author.stubs import build_assignment, stale_stubs

REPO = Path(__file__).resolve().parents[1]
B = "### BEGIN " + "SOLUTION"  # in pieces, so a grep for markers finds only solutions/
E = "### END " + "SOLUTION"


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


SOLUTION = lines(
    '"""Activations."""',
    "",
    "import numpy as np",
    "",
    "",
    "def given(x):",
    '    """Given complete: not touched."""',
    "    return x  # a comment",
    "",
    "",
    "def sigmoid(x):",
    '    """σ(x) = 1 / (1 + e^-x); same shape as x."""',
    f"    {B}",
    "    x = np.asarray(x, dtype=np.float64)",
    "    return 0.5 * (1.0 + np.tanh(0.5 * x))",
    f"    {E}",
    "",
    "",
    "class Net:",
    "    def forward(self, x):",
    '        """Method."""',
    "        if x is not None:",
    f"            {B}",
    "            y = x * 2",
    "            return y",
    f"            {E}",
    "        return None",
)


def test_region_becomes_one_raise_at_marker_indentation() -> None:
    stub = strip_solution(SOLUTION, "activations.py")
    assert stub == lines(
        '"""Activations."""',
        "",
        "import numpy as np",
        "",
        "",
        "def given(x):",
        '    """Given complete: not touched."""',
        "    return x  # a comment",
        "",
        "",
        "def sigmoid(x):",
        '    """σ(x) = 1 / (1 + e^-x); same shape as x."""',
        '    raise NotImplementedError("sigmoid: write your code here")',
        "",
        "",
        "class Net:",
        "    def forward(self, x):",
        '        """Method."""',
        "        if x is not None:",
        '            raise NotImplementedError("forward: write your code here")',
        "        return None",
    )
    ast.parse(stub)
    assert "SOLUTION" not in stub and "tanh" not in stub


def test_innermost_function_names_the_region() -> None:
    source = lines(
        "def outer(x):",
        "    def inner(y):",
        f"        {B}",
        "        return y",
        f"        {E}",
        "    z = 'def fake(): a string is not a def'",
        f"    {B}",
        "    return inner(x)",
        f"    {E}",
        "",
        "async def later():",
        f"    {B}",
        "    return 1",
        f"    {E}",
    )
    stub = strip_solution(source, "nested.py")
    assert '        raise NotImplementedError("inner: write your code here")\n' in stub
    assert '    raise NotImplementedError("outer: write your code here")\n' in stub
    assert '    raise NotImplementedError("later: write your code here")\n' in stub


def test_file_without_markers_is_unchanged_byte_for_byte() -> None:
    source = "def f(x):\n\treturn x  # tab\n\n\n# trailing comment without newline"
    assert strip_solution(source, "given.py") == source


def test_line_endings_and_missing_final_newline_are_kept() -> None:
    source = f"def f(x):\r\n    {B}\r\n    return x\r\n    {E}"
    assert strip_solution(source, "crlf.py") == (
        'def f(x):\r\n    raise NotImplementedError("f: write your code here")'
    )


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        (lines("def f():", f"    {B}", "    return 1"), 2, "never closed"),
        (lines("def f():", "    return 1", f"    {E}"), 3, "without a matching"),
        (lines("def f():", f"    {B}", f"    {B}", "    return 1", f"    {E}"), 3, "nested"),
        (lines("def f():", f"    {B}", "    return 1", f"    {E}", f"    {E}"), 5, "without"),
        (lines("def f():", f"    {B} (Task 1)", "    return 1", f"    {E}"), 2, "alone"),
        (lines("x = 1", B, "y = 2", E), 2, "not inside a function"),
        (lines("def f():", f"{B}", "    return 1", f"{E}", "    return 2"), 2, "not valid"),
    ],
    ids=["unclosed", "end-only", "nested", "extra-end", "text-after", "module", "dedent"],
)
def test_malformed_markers_name_file_and_line(source: str, line: int, words: str) -> None:
    with pytest.raises(ValueError, match=rf"^bad\.py:{line}: .*{words}"):
        strip_solution(source, "bad.py")


def test_invalid_solution_is_reported() -> None:
    with pytest.raises(ValueError, match=r"^bad\.py:1: .*not valid Python"):
        strip_solution("def f(:\n    pass\n", "bad.py")


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
