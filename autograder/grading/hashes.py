"""What decides whether a stored result is still current: hashes of the assignment and its tests."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from autograder import __version__
from autograder.course.assignment import Assignment, Secrets


def tree_hash(paths: Iterable[Path], root: Path) -> str:
    """sha256 over (relative path, bytes) of every file, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(paths):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


PACKAGE = Path(__file__).resolve().parents[1]
# What decides a grade or what results.json and feedback.md say: the engine's sources that a change
# of must regrade (the class report, the gradebook, exports and the CLI do not). Folders hold .py, .ini
# and the engine's catalogues; a file stands for itself.
GRADING_SOURCES = ("course", "testkit", "sandbox", "intake", "grading", "render/gradescope.py",
                   "render/feedback.py", "render/grades_csv.py", "render/csv_cells.py", "__init__.py")
_SOURCE_SUFFIXES = (".py", ".ini")


@functools.lru_cache(maxsize=4)
def engine_hash(package: Path = PACKAGE) -> str:
    """sha256 over the grading-relevant sources of the engine in ``package`` (``GRADING_SOURCES``):
    a changed tolerance, check or message regrades every student, whatever ``__version__`` says."""
    files = []
    for rel in GRADING_SOURCES:
        p = Path(package) / rel
        files += [f for f in p.rglob("*") if f.suffix in _SOURCE_SUFFIXES] if p.is_dir() else [p]
    return tree_hash(files, Path(package))


def assignment_hash(assignment: Assignment, secrets: Iterable[Path] = (), lang: str = "en") -> str:
    """Changes when assignment.toml, the hidden tests or reference, or the grader (``engine_hash``)
    change; and with the language of the feedback (pass its catalogues in ``secrets``: a fixed
    translation regrades)."""
    h = hashlib.sha256(__version__.encode())
    h.update(engine_hash().encode())
    if lang != "en":  # English results of earlier versions stay current
        h.update(f"lang={lang}".encode())
    h.update(tree_hash([assignment.folder / "assignment.toml"], assignment.folder).encode())
    for p in secrets:
        files = list(p.rglob("*")) if p.is_dir() else [p]
        h.update(tree_hash(files, p if p.is_dir() else p.parent).encode())
    return h.hexdigest()[:16]


def grading_hash(assignment: Assignment, secrets: Secrets, lang: str) -> str:
    """The assignment hash of results graded in ``lang``: reference, hidden tests, and the catalogues."""
    from autograder.course import i18n

    catalogues = i18n.catalogues(lang, (secrets.locale, assignment.locale))
    return assignment_hash(assignment, (secrets.reference, secrets.hidden_tests, *catalogues), lang)
