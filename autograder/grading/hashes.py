"""What decides whether a stored result is still current: hashes of the assignment and its tests."""

from __future__ import annotations

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


def assignment_hash(assignment: Assignment, secrets: Iterable[Path] = (), lang: str = "en") -> str:
    """Changes when assignment.toml, the hidden tests or reference, or the grader change; and with
    the language of the feedback (pass its catalogues in ``secrets``: a fixed translation regrades)."""
    h = hashlib.sha256(__version__.encode())
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
