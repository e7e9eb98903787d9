"""Grading results as small frozen values; renderers (JSON, CSV, Markdown) live in ``render``."""

from __future__ import annotations

from dataclasses import dataclass

from autograder.course.kinds import Kind, Status, Visibility


@dataclass(frozen=True)
class TestResult:
    nodeid: str  # stable id of the test (file::function[params]) — for item analysis
    name: str  # what the student sees: "sigmoid: values on random inputs"
    exercise: str
    score: float
    max_score: float
    status: Status
    feedback: str = ""  # student-facing: what is wrong, on what kind of input, the error
    kind: Kind = Kind.NONE  # why it failed
    mistake: str = ""  # name of the likely mistake, when one is recognised
    visibility: Visibility = Visibility.VISIBLE

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED


@dataclass(frozen=True)
class ExerciseScore:
    id: str
    score: float
    max_score: float
    core: bool


@dataclass(frozen=True)
class SubmissionResult:
    student_id: str
    assignment: str
    tests: tuple[TestResult, ...]
    exercises: tuple[ExerciseScore, ...]  # in grade-column order
    notes: tuple[str, ...] = ()  # about the submission as a whole: missing or extra files ...
    layers: tuple[str, ...] = ()  # isolation layers that were active
    submission_hash: str = ""  # content hash of the submitted files
    assignment_hash: str = ""  # hash of the assignment, reference and hidden tests
    execution_time: float = 0.0  # the one timing field; kept out of determinism checks
    error: str = ""  # set when the grader itself could not grade this submission
    # The late policy (autograder.course.late): the time it was applied from ("" = unknown, on time),
    # the due date ("" = no policy), started days late after the grace period, points taken off.
    submitted_at: str = ""
    due: str = ""
    late_days: int = 0
    late_penalty: float = 0.0
    lang: str = "en"  # the language its feedback was composed in (autograder.course.i18n)

    @property
    def raw_score(self) -> float:
        """Points the tests gave, before the late penalty."""
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def score(self) -> float:
        """The final score: raw score minus the late penalty."""
        return round(self.raw_score - self.late_penalty, 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)


def exercise_scores(tests: tuple[TestResult, ...], exercises: list[tuple[str, bool]]
                    ) -> tuple[ExerciseScore, ...]:
    """Sum test points per exercise, in the order given by ``exercises`` ((id, core) pairs)."""
    out = []
    for ex_id, core in exercises:
        mine = [t for t in tests if t.exercise == ex_id]
        out.append(ExerciseScore(ex_id, round(sum(t.score for t in mine), 6),
                                 round(sum(t.max_score for t in mine), 6), core))
    return tuple(out)
