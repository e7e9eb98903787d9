"""The severity rule: within each exercise, the tests of its main result carry at least half its points.

The main result is what the function is for: its values on random inputs and, for a backward
function, its gradients (hidden tests mark these ``@pytest.mark.main_result``). So a function that
fails at its one job (``sgd_step`` with the wrong sign, or without the learning rate) keeps at most
half of the exercise, however many side properties (in place, no mutation, types) it gets right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.course.assignment import Assignment
from autograder.testkit.collect import CollectedTest, collect_tests

SHARE = 0.5  # the least share of an exercise's points its main-result tests carry


@dataclass(frozen=True)
class ExerciseSeverity:
    exercise: str
    main_points: float  # points of the tests marked main_result
    points: float  # all points of the exercise

    @property
    def ok(self) -> bool:
        return self.points > 0 and self.main_points >= SHARE * self.points

    def describe(self) -> str:
        return (f"{self.exercise}: main-result tests carry {self.main_points:g} of {self.points:g} points "
                f"({'ok' if self.ok else f'below {SHARE:.0%}'})")


def severity(assignment: Assignment, tests: tuple[CollectedTest, ...]) -> tuple[ExerciseSeverity, ...]:
    """Per exercise of ``assignment`` (in grade-column order) the points of its main-result tests."""
    return tuple(ExerciseSeverity(
        e.id, sum(t.points for t in tests if t.exercise == e.id and t.main_result),
        sum(t.points for t in tests if t.exercise == e.id)) for e in assignment.exercises)


def check_severity(assignment: Assignment, hidden_tests: Path) -> tuple[ExerciseSeverity, ...]:
    """``severity`` of the hidden tests in ``hidden_tests`` (collected, not run)."""
    return severity(assignment, collect_tests(hidden_tests))
