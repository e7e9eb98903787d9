"""One student's submission as intake hands it on: vetted files, notes, the hash that decides the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.outdir import is_reserved
from autograder.intake.unpack import show


def id_problem(name: str, sid: str) -> str:
    """Why ``sid`` (of the entry ``name``) cannot be a student id, as a line for the TA; "" when it can.

    A class-level name of OUT (``course.outdir``: grades.csv, report.html, item_analysis.csv, the
    gradebook, exports ...) is refused, never graded into a folder the grader overwrites."""
    if sid and is_reserved(sid) and not sid.startswith("."):
        return (f"{show(name)}: the student id {show(sid)!r} is a name the grader writes in the results "
                f"folder; rename the entry (e.g. to {show(sid.replace('.', '_'))}) to grade it; skipped")
    if not sid or sid.startswith(".") or not sid.isprintable():
        return f"{show(name)}: {show(sid)!r} cannot be a student id; skipped"
    return ""


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
    lazy: bool = False  # the vetted files were not kept (``files`` is empty): ``discover.load_files``
