"""One student's submission as intake hands it on: vetted files, notes, the hash that decides the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RESERVED_IDS = {"grades.csv"}  # names the grader writes at the top of OUT


@dataclass(frozen=True)
class Submission:
    student_id: str
    folder: Path  # the entry in the submissions folder; after ``prepare``, the vetted copy
    notes: tuple[str, ...] = ()  # student-facing remarks about the submission as a whole
    hash: str = ""  # of the vetted files and the notes: what decides the result
    source: str = ""  # the entry's name(s) in the submissions folder
    error: str = ""  # set when nothing can be graded (the reason is also in ``notes``)
    submitted_at: str = ""  # ISO 8601 with offset, when known (nbgrader timestamp.txt, Gradescope, TA)
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False, compare=False)
