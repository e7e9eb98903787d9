"""The executor seam as the dispatcher uses it (``autograder.grading.executor``, EXECUTOR.md)."""

from __future__ import annotations

try:
    from autograder.grading.executor import AssignmentRef, GradeTask, TaskOutcome
except ImportError:  # TEMPORARY: until the seam lands on main; the agreed interface, field for field
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class AssignmentRef:
        course_root: str
        name: str
        lang: str
        assignment_hash: str

    @dataclass(frozen=True)
    class GradeTask:
        key: str
        student_id: str
        files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
        notes: tuple[str, ...] = ()
        submission_hash: str = ""
        submitted_at: str = ""
        error: str = ""

    @dataclass(frozen=True)
    class TaskOutcome:
        key: str
        results_json: str | None
        failure: str = ""


try:
    from autograder.grading.hashes import grading_hash
except ImportError:  # TEMPORARY: until the seam lands on main
    from autograder.testkit.session import grading_hash


def local_executor(ref: AssignmentRef, jobs: int, log_dir):
    """The grading processes of this machine (``LocalExecutor``)."""
    from autograder.grading.executor import LocalExecutor

    return LocalExecutor(ref, jobs, log_dir=log_dir)


__all__ = ["AssignmentRef", "GradeTask", "TaskOutcome", "grading_hash", "local_executor"]
