"""Finding the students' submissions in a folder: one entry per student."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment
from autograder.engine import tree_hash


@dataclass(frozen=True)
class Submission:
    student_id: str
    folder: Path  # the folder that holds the student's files
    notes: tuple[str, ...] = ()  # student-facing remarks about the submission as a whole
    hash: str = ""


def describe_files(folder: Path, assignment: Assignment) -> tuple[str, ...]:
    """Notes on missing and unexpected files."""
    notes = []
    present = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    for name, functions in assignment.files.items():
        if name not in present:
            notes.append(f"{name} was not submitted: {', '.join(functions)} could not be graded.")
    extra = sorted(n for n in present if n.endswith(".py") and n not in assignment.files)
    if extra:
        notes.append(f"Files that are not part of the assignment were not graded: {', '.join(extra)}.")
    return tuple(notes)


def discover(root: Path, assignment: Assignment) -> tuple[list[Submission], list[str]]:
    """Submissions under ``root`` (a folder per student), and messages about skipped entries."""
    subs, skipped = [], []
    for entry in sorted(Path(root).iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            files = [p for p in entry.rglob("*") if p.is_file()]
            subs.append(Submission(entry.name, entry.resolve(), describe_files(entry, assignment),
                                   tree_hash(files, entry)))
        else:
            skipped.append(f"{entry.name}: not a folder; skipped")
    return subs, skipped
