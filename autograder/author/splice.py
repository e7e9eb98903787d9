"""The instructor's solution as submissions: its files without markers, its graded regions, and
the same solution with one function replaced (a correct variant, a mutant).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.author.markers import _MARKER_LINE, _innermost_function, _split_lines, without_markers


@dataclass(frozen=True)
class Region:
    """One graded region of a solution file: the lines strictly between its markers (1-based,
    inclusive, counted in the file *with* its markers), and the function it lies in."""

    file: str
    first: int
    last: int
    function: str


def solution_dir(course_root: Path, name: str) -> Path:
    return Path(course_root) / "solutions" / name


def graded_regions(source: str, filename: str) -> list[Region]:
    """The solution regions of ``source`` (between its BEGIN and END solution markers)."""
    tree = ast.parse(source, filename)
    regions, start = [], None
    for lineno, line in enumerate(_split_lines(source), start=1):
        marker = _MARKER_LINE.fullmatch(line.rstrip("\n"))
        if marker and marker.group(1) == "BEGIN":
            start = lineno
        elif marker and start is not None:
            function = _innermost_function(tree, start)
            if function is None:
                raise ValueError(f"{filename}:{start}: a solution region outside any function")
            regions.append(Region(filename, start + 1, lineno - 1, function))
            start = None
    return regions


def solution_files(course_root: Path, name: str, files: list[str]) -> dict[str, str]:
    """file -> its solution text without markers, for the student files ``files`` (a complete,
    correct submission)."""
    folder = solution_dir(course_root, name)
    return {f: without_markers((folder / f).read_text(encoding="utf-8")) for f in files}


def replace_function(source: str, function: str, new_code: str) -> str:
    """``source`` with the top-level ``def function`` replaced by ``new_code`` (one or more
    top-level definitions); ValueError when ``source`` has no such function."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            lines = _split_lines(source)
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return "".join(lines[:first - 1]) + new_code.strip("\n") + "\n" + "".join(lines[node.end_lineno:])
    raise ValueError(f"no top-level function {function}")


def write_submission(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
