"""The student bundle: ``<assignment>.zip`` with the stubs, task statement, public tests and engine.

The bundle is built only from ``assignments/<assignment>/`` and the ``autograder/`` package; the
secret folders are never walked. Solutions are read only by ``build.stale_stubs``, to refuse a
release whose stubs are out of date. The zip is deterministic: sorted entries, fixed timestamps
and permissions, so two releases of the same files are byte-identical.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from autograder.author.reproducible_zip import write_zip
from autograder.author.stubs import stale_stubs
from autograder.course.errors import StaleStubsError

FORBIDDEN_WORDS = frozenset({"solution", "solutions", "reference", "references", "hidden"})
SKIP_DIRS = frozenset(
    {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".ipynb_checkpoints"}
)
SKIP_SUFFIXES = (".pyc", ".pyo")
SKIP_FILES = frozenset({".DS_Store"})

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_MARKER_LINE = re.compile(rb"(?m)^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION")


def _is_forbidden(part: str) -> bool:
    """True if a path part has a word like solutions/reference/hidden (``Solution.py``)."""
    return any(word in FORBIDDEN_WORDS for word in re.split(r"[^a-z0-9]+", part.lower()))


def _collect(source: Path, prefix: str) -> list[tuple[str, Path]]:
    """(archive name, file) for every file under source, minus caches; refuses secrets and links."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in dirnames + filenames:
            path = here / name
            arcname = f"{prefix}/{path.relative_to(source).as_posix()}"
            if path.is_symlink():
                raise ValueError(f"refusing to release a symbolic link: {path}")
            bad = [part for part in arcname.split("/") if _is_forbidden(part)]
            if bad:
                raise ValueError(
                    f"refusing to release {path}: the name {bad[0]!r} looks like solutions, "
                    f"reference or hidden material"
                )
        for name in filenames:
            if name in SKIP_FILES or name.endswith(SKIP_SUFFIXES):
                continue
            path = here / name
            entries.append((f"{prefix}/{path.relative_to(source).as_posix()}", path))
    return entries


def release(course_root: Path, assignment: str, out_dir: Path) -> Path:
    """Write ``out_dir/<assignment>.zip``, the student bundle, and return its path."""
    course_root = Path(course_root)
    if not _NAME.fullmatch(assignment) or _is_forbidden(assignment):
        raise ValueError(f"not a valid assignment name: {assignment!r}")
    assignment_dir = course_root / "assignments" / assignment
    engine_dir = course_root / "autograder"
    for folder in (assignment_dir, engine_dir):
        if not folder.is_dir():
            raise FileNotFoundError(f"cannot release {assignment}: folder not found: {folder}")

    stale = stale_stubs(course_root / "solutions" / assignment, assignment_dir)
    if stale:
        raise StaleStubsError(
            f"the stubs in {assignment_dir} are out of date with solutions/{assignment} "
            f"({', '.join(stale)}): run `make assignments` and commit the stubs, then release"
        )

    entries = _collect(assignment_dir, assignment) + _collect(
        engine_dir, f"{assignment}/autograder"
    )
    entries.sort()
    counts = Counter(arcname for arcname, _ in entries)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise ValueError(
            f"{assignment_dir} has its own {duplicates[0]!r}, which would clash with the engine"
        )
    payloads = []
    for arcname, path in entries:
        data = path.read_bytes()
        if _MARKER_LINE.search(data):
            raise ValueError(f"refusing to release {path}: it contains a solution marker")
        payloads.append((arcname, data))

    return write_zip(Path(out_dir) / f"{assignment}.zip",
                     ((arcname, data, False) for arcname, data in payloads))
