"""The assignment bundle: what a cluster worker needs to grade, shipped as bytes, named by its hash.

assignment.toml and the public catalogues (``assignments/<name>/``), the reference, the hidden tests
and their catalogues (``reference/<name>/``). A worker unpacks it into a private folder of its own
course root only after the bytes match the hash it was sent under (``Bundle.verify``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.course.errors import ClusterError

MAX_BYTES = 64 << 20  # a course's secrets are kilobytes; anything near this is a mistake


@dataclass(frozen=True)
class Bundle:
    name: str  # the assignment, e.g. "hw07"
    files: tuple[tuple[str, bytes], ...]  # (course-relative POSIX path, bytes), sorted by path
    digest: str  # sha256 of the files (``bundle_digest``)

    def verify(self) -> None:
        """ClusterError unless the bytes are the ones the digest names and every path stays inside."""
        if bundle_digest(self.files) != self.digest:
            raise ClusterError(f"the assignment bundle of {self.name} does not match its hash "
                               f"{self.digest[:12]} (corrupted or tampered with on the way)")
        for rel, _ in self.files:
            p = PurePosixPath(rel)
            if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] not in ("assignments",
                                                                                       "reference"):
                raise ClusterError(f"the assignment bundle of {self.name} holds a bad path {rel!r}")

    def unpack(self, root: Path) -> Path:
        """Write the files under ``root`` (a new private folder) after ``verify``; returns ``root``."""
        self.verify()
        root = Path(root)
        root.mkdir(mode=0o700, parents=True, exist_ok=False)
        for rel, data in self.files:
            dest = root.joinpath(*PurePosixPath(rel).parts)
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        return root


def bundle_digest(files: tuple[tuple[str, bytes], ...]) -> str:
    """sha256 over (path, bytes) of every file, in the given (sorted) order."""
    h = hashlib.sha256()
    for rel, data in files:
        h.update(rel.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def make_bundle(course_root: Path, name: str) -> Bundle:
    """The bundle of assignment ``name`` of the course at ``course_root`` (AssignmentError if unknown)."""
    from autograder.course.assignment import find_assignment

    course_root = Path(course_root).resolve()
    a, secrets = find_assignment(course_root, name)
    paths = [a.folder / "assignment.toml", *_tree(a.locale), *_tree(secrets.hidden_tests.parent)]
    files, total = [], 0
    for p in sorted(set(paths)):
        data = p.read_bytes()
        total += len(data)
        if total > MAX_BYTES:
            raise ClusterError(f"the assignment bundle of {name} is larger than {MAX_BYTES >> 20} MiB "
                               f"(at {p}); a worker is sent only assignment.toml, locale/ and reference/")
        files.append((p.relative_to(course_root).as_posix(), data))
    files.sort()
    return Bundle(name, tuple(files), bundle_digest(tuple(files)))


def _tree(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
            and "__pycache__" not in p.parts and p.suffix != ".pyc"]
