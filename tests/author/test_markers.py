"""Solution markers: each marked region becomes one raise, everything else is kept byte for byte."""

from __future__ import annotations

import ast

import pytest

from autograder.author.markers import strip_solution

B = "### BEGIN " + "SOLUTION"  # in pieces, so a grep for markers finds only solutions/
E = "### END " + "SOLUTION"


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


HEAD = (  # a given function, then the docstring of one with a solution region
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
)
NET = (  # a method with a region inside an if
    "",
    "",
    "class Net:",
    "    def forward(self, x):",
    '        """Method."""',
    "        if x is not None:",
)
SOLUTION = lines(
    *HEAD,
    f"    {B}",
    "    x = np.asarray(x, dtype=np.float64)",
    "    return 0.5 * (1.0 + np.tanh(0.5 * x))",
    f"    {E}",
    *NET,
    f"            {B}",
    "            y = x * 2",
    "            return y",
    f"            {E}",
    "        return None",
)


def test_region_becomes_one_raise_at_marker_indentation() -> None:
    stub = strip_solution(SOLUTION, "activations.py")
    assert stub == lines(
        *HEAD,
        '    raise NotImplementedError("sigmoid: write your code here")',
        *NET,
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


def test_without_markers_drops_only_the_marker_lines(tmp_path) -> None:
    from autograder.author.markers import solution_files, without_markers

    kept = "".join(ln for ln in SOLUTION.splitlines(True) if "SOLUTION" not in ln)
    assert without_markers(SOLUTION) == kept
    (tmp_path / "b.py").write_text(SOLUTION)
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text(SOLUTION)
    assert solution_files(tmp_path) == {"a.py": "x = 1\n", "b.py": without_markers(SOLUTION)}
    assert list(solution_files(tmp_path)) == ["a.py", "b.py"]
