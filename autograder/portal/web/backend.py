"""What the pages need from the submission service, as one small interface.

The pages never touch the service's tables directly: an adapter (``service_backend``) answers these
calls from the service's models, so the pages and their tests do not depend on how the service stores
things. Every call that takes a ``student_id`` answers only about that student; the pages decide who
may ask (a student only about themselves, a TA about anyone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class User:
    id: str
    role: str  # "student" | "ta" | "instructor"
    name: str = ""
    email: str = ""

    @property
    def staff(self) -> bool:
        return self.role in ("ta", "instructor")


@dataclass(frozen=True)
class AssignmentInfo:
    name: str
    title: str
    due: datetime | None  # the student's own due date when an extension applies
    closes: datetime | None  # the hard close: no uploads after it
    files: tuple[str, ...]  # the student files, e.g. activations.py


@dataclass(frozen=True)
class Attempts:
    """The attempt budget of one student for one assignment, as the service's policy computes it."""

    limit: int | None  # attempts per window (None: no limit)
    left: int | None
    window_hours: float | None
    next_at: datetime | None  # when the next attempt is possible, when none is left now
    open: bool  # uploads accepted now (not closed, an attempt left)
    reason: str = ""  # why not, in English (translated by the page)


@dataclass(frozen=True)
class SubmissionInfo:
    id: str
    student_id: str
    assignment: str
    status: str  # "queued" | "grading" | "graded" | "failed"
    received_at: datetime
    sha256: str
    files: tuple[str, ...]  # the names as uploaded (student-controlled: escaped wherever shown)
    queue_position: int | None = None
    score: float | None = None
    max_score: float | None = None
    late: bool = False
    counts: bool = False  # the submission that counts for the grade


@dataclass(frozen=True)
class Extension:
    student_id: str
    assignment: str
    until: datetime
    granted_by: str = ""


class Rejected(Exception):
    """The service refused an upload: ``status`` is the HTTP status its API would give."""

    def __init__(self, message: str, status: int = 422, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class Backend(Protocol):
    def user(self, user_id: str) -> User | None: ...

    def students(self) -> list[User]: ...

    def assignments(self, student_id: str | None = None) -> list[AssignmentInfo]: ...

    def assignment(self, name: str, student_id: str | None = None) -> AssignmentInfo | None: ...

    def attempts(self, student_id: str, assignment: str) -> Attempts: ...

    def submit(self, student_id: str, assignment: str, files: list[tuple[str, bytes]]) -> SubmissionInfo:
        """Store and queue an upload (raises Rejected); returns once it is durable."""

    def submission(self, submission_id: str) -> SubmissionInfo | None: ...

    def submissions(self, student_id: str, assignment: str) -> list[SubmissionInfo]:
        """The student's submissions, newest first."""

    def results(self, submission_id: str, staff: bool) -> dict | None:
        """The results.json document (as the student may see it unless ``staff``), or None."""

    def class_rows(self, assignment: str) -> list[tuple[User, SubmissionInfo | None, int]]:
        """Every student, the submission that counts (else the newest; None: nothing submitted), and
        how many they made."""

    def counting_results(self, assignment: str) -> dict[str, tuple[str, float, str, str]]:
        """student -> (submission id, score, results.json, assignment hash) of the results that count."""

    def grades_csv(self, assignment: str) -> str: ...

    def extensions(self, assignment: str) -> list[Extension]: ...

    def set_extension(self, student_id: str, assignment: str, until: datetime | None, by: str) -> None:
        """Grant (or, with None, remove) an extension."""
