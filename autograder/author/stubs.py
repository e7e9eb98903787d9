"""Student stubs from solution files: every marked solution region becomes one ``raise``
(``autograder.author.markers.strip_solution``). In an assignment folder (one with
``assignment.toml`` and ``README.md``) the notebook variant ``<name>.ipynb`` is generated too
(``autograder.author.notebook``), and is stale like any stub when it differs.
"""

from __future__ import annotations

from pathlib import Path

from autograder.author.markers import strip_solution
from autograder.course.files import write_atomic


def _stubs(solution_dir: Path) -> dict[str, str]:
    """Stub text per file name, for every ``*.py`` in solution_dir (all built before any write)."""
    solution_dir = Path(solution_dir)
    if not solution_dir.is_dir():
        raise FileNotFoundError(f"solution folder not found: {solution_dir}")
    stubs = {}
    for path in sorted(p for p in solution_dir.glob("*.py") if p.is_file()):
        stubs[path.name] = strip_solution(path.read_text(encoding="utf-8"), str(path))
    return stubs


def _generated(solution_dir: Path, out_dir: Path) -> dict[str, str]:
    """The stubs, and in an assignment folder its notebook: file name -> text."""
    from autograder.author.notebook import assignment_notebook

    return {**_stubs(solution_dir), **assignment_notebook(solution_dir, out_dir)}


def _is_current(path: Path, text: str) -> bool:
    return path.is_file() and path.read_bytes() == text.encode("utf-8")


def build_assignment(solution_dir: Path, out_dir: Path) -> list[Path]:
    """Write the stub of every solution file into out_dir; return only the files that changed."""
    out_dir = Path(out_dir)
    stubs = _generated(solution_dir, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in stubs.items():
        target = out_dir / name
        if not _is_current(target, text):
            write_atomic(target, text)
            written.append(target)
    return written


def stale_stubs(solution_dir: Path, out_dir: Path) -> list[str]:
    """Names of the stubs in out_dir that differ from what build_assignment would write."""
    out_dir = Path(out_dir)
    return [
        name for name, text in _generated(solution_dir, out_dir).items()
        if not _is_current(out_dir / name, text)
    ]
