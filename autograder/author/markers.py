"""What generated files are marked with: solution regions in solution files, self-check cells in notebooks.

A solution file marks the code students write with nbgrader-style markers, each alone on its
line (three hashes, then ``BEGIN SOLUTION`` / ``END SOLUTION``). ``strip_solution`` replaces each
region, markers included, by ``raise NotImplementedError("<function>: write your code here")`` at
the BEGIN marker's indentation and keeps every other byte as it is. The notebook generator tags the
cells it adds to run the public tests with ``SELF_CHECK_TAG``; the grader leaves them out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SELF_CHECK_TAG = "autograder-self-check"  # cells the notebook generator adds to run the public tests

# Spelled in pieces so this module, which ships in the student bundle, never contains a marker.
_HASHES = "###"
BEGIN_MARKER = f"{_HASHES} BEGIN SOLUTION"
END_MARKER = f"{_HASHES} END SOLUTION"

_MARKER_LINE = re.compile(r"[ \t]*###[ \t]*(BEGIN|END) SOLUTION[ \t]*\r?")
_MARKER_TEXT = re.compile(r"(BEGIN|END) SOLUTION")
_RAISE = 'raise NotImplementedError("{name}: write your code here")'


def _split_lines(source: str) -> list[str]:
    """Lines with their endings, split on '\\n' only (the way Python counts lines)."""
    parts = source.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _innermost_function(tree: ast.AST, lineno: int) -> str | None:
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.lineno <= lineno <= (node.end_lineno or node.lineno):
                if best is None or node.lineno > best.lineno:
                    best = node
    return best.name if best is not None else None


def strip_solution(source: str, filename: str) -> str:
    """The student stub of one solution file; ValueError (``filename:line: ...``) if malformed."""
    out: list[str] = []
    stub_to_solution: list[int] = []  # solution line number of each stub line
    regions: list[tuple[int, int, str]] = []  # (stub index, BEGIN line, indentation)
    open_line: int | None = None
    indent = ""
    for lineno, line in enumerate(_split_lines(source), start=1):
        marker = _MARKER_LINE.fullmatch(line.rstrip("\n"))
        kind = marker.group(1) if marker else None
        if kind == "BEGIN":
            if open_line is not None:
                raise ValueError(
                    f"{filename}:{lineno}: nested {BEGIN_MARKER!r}: the region opened at line "
                    f"{open_line} is not closed yet"
                )
            open_line = lineno
            indent = line[: len(line) - len(line.lstrip(" \t"))]
        elif kind == "END":
            if open_line is None:
                raise ValueError(
                    f"{filename}:{lineno}: {END_MARKER!r} without a matching {BEGIN_MARKER!r}"
                )
            ending = line[len(line.rstrip("\r\n")) :]
            regions.append((len(out), open_line, indent))
            out.append(indent + _RAISE.format(name="?") + ending)
            stub_to_solution.append(open_line)
            open_line = None
        elif open_line is None:
            if _MARKER_TEXT.search(line):
                raise ValueError(
                    f"{filename}:{lineno}: solution marker text outside a marker line; "
                    f"write {BEGIN_MARKER!r} and {END_MARKER!r} alone on their lines"
                )
            out.append(line)
            stub_to_solution.append(lineno)
    if open_line is not None:
        raise ValueError(
            f"{filename}:{open_line}: {BEGIN_MARKER!r} is never closed by {END_MARKER!r}"
        )

    tree = _parse(out, stub_to_solution, filename)
    for index, begin_line, indent in regions:
        name = _innermost_function(tree, index + 1)
        if name is None:
            raise ValueError(
                f"{filename}:{begin_line}: solution region is not inside a function "
                f"(a module-level raise would make the stub unimportable)"
            )
        ending = out[index][len(out[index].rstrip("\r\n")) :]
        out[index] = indent + _RAISE.format(name=name) + ending
    stub = "".join(out)
    _parse(out, stub_to_solution, filename)
    return stub


def _parse(lines: list[str], stub_to_solution: list[int], filename: str) -> ast.AST:
    try:
        return ast.parse("".join(lines), filename=filename)
    except SyntaxError as exc:
        stub_line = exc.lineno or 1
        known = stub_to_solution[: max(stub_line, 1)]
        where = known[-1] if known else 1
        raise ValueError(
            f"{filename}:{where}: the stub is not valid Python after stripping the solution "
            f"(stub line {stub_line}: {exc.msg})"
        ) from None


def without_markers(source: str) -> str:
    """The solution as it runs: ``source`` without its marker lines (the code between them kept)."""
    return "".join(ln for ln in source.splitlines(True) if ln.strip() not in (BEGIN_MARKER, END_MARKER))


def solution_files(folder: Path) -> dict[str, str]:
    """File name -> text without marker lines, for every ``*.py`` of a solution folder, in name order."""
    return {p.name: without_markers(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.py"))}
