"""The executor seam as the dispatcher uses it (``autograder.grading.executor``, EXECUTOR.md)."""

from __future__ import annotations

from autograder.grading.executor import AssignmentRef, GradeTask, TaskOutcome
from autograder.grading.hashes import grading_hash


def local_executor(ref: AssignmentRef, jobs: int, log_dir):
    """The grading processes of this machine (``LocalExecutor``)."""
    from autograder.grading.executor import LocalExecutor

    return LocalExecutor(ref, jobs, log_dir=log_dir)


__all__ = ["AssignmentRef", "GradeTask", "TaskOutcome", "grading_hash", "local_executor"]
