"""Handing tasks to an executor and surviving its losses: a small state machine.

State (as pytest-xdist's ``LoadScheduling``): ``pending`` (in order; a retried task goes first),
``in_flight`` (key -> task), ``done`` (keys), ``attempts`` (key -> how often it was handed out) and
``losses_in_a_row``. Transitions:

- ``fill``: pending -> in flight while the executor has capacity (attempts + 1);
- an outcome with results that ``accept`` takes: in flight -> done, yields ``Graded``;
- a lost task (no results, or results ``accept`` refuses): in flight -> pending (first) while it
  has had fewer than ``attempts`` tries, else -> done, yields ``GaveUp`` (a grader failure);
- more than ``max_losses`` losses in a row: GraderError ("the grading processes keep dying");
- finished when nothing is pending or in flight.

The owner drives it (``run``) and writes what it yields; the scheduler writes nothing.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from autograder.course.errors import GraderError
from autograder.grading.executor import Executor, GradeTask, TaskOutcome

ATTEMPTS = 2  # tries a task gets before it is recorded as a grader failure
WATCHDOG_SLACK = 60.0  # seconds past twice a submission's time budget: worker starts, the tests' own work


def watchdog_seconds(time_budget: float) -> float:
    """How long a grading process may hold one submission before it counts as having stopped
    answering (it is killed and the task is lost, then retried once): twice the submission's time
    budget (assignment.toml ``time_budget``, which bounds all calls into it) plus a minute. So a batch
    ends within about ceil(students / jobs) × that, even when a grading process hangs."""
    return 2 * time_budget + WATCHDOG_SLACK
R = TypeVar("R")


@dataclass(frozen=True)
class Graded(Generic[R]):
    task: GradeTask
    result: R  # what ``accept`` made of the results.json text


@dataclass(frozen=True)
class GaveUp:
    task: GradeTask
    failure: str  # why the last attempt was lost


class Scheduler(Generic[R]):
    """Runs ``tasks`` on ``executor``; ``accept(task, results_json)`` validates an outcome (returns
    the result, or raises ValueError: the outcome counts as lost). ``prepare(task)``: the task as it
    is handed out (the batch reads a submission's files only then, so only the tasks in flight
    hold their bytes); ``accept`` gets the prepared task."""

    def __init__(self, executor: Executor, tasks: Iterable[GradeTask],
                 accept: Callable[[GradeTask, str], R], *, attempts: int = ATTEMPTS,
                 max_losses: int | None = None, prepare: Callable[[GradeTask], GradeTask] | None = None):
        self.executor, self.accept = executor, accept
        self.prepare = prepare or (lambda task: task)
        self.max_attempts = attempts
        self.max_losses = max_losses if max_losses is not None else 2 * executor.capacity() + 3
        self.pending: deque[GradeTask] = deque(tasks)
        keys = [t.key for t in self.pending]
        if len(set(keys)) != len(keys):
            raise ValueError("Scheduler: task keys must be unique")
        self.in_flight: dict[str, GradeTask] = {}
        self.done: set[str] = set()
        self.attempts: Counter[str] = Counter()
        self.losses_in_a_row = 0
        self.last_failure = ""

    @property
    def finished(self) -> bool:
        return not self.pending and not self.in_flight

    def fill(self) -> None:
        """Hand out pending tasks while the executor wants more in flight."""
        while self.pending and len(self.in_flight) < self.executor.capacity():
            task = self.prepare(self.pending.popleft())
            self.attempts[task.key] += 1
            self.in_flight[task.key] = task
            self.executor.submit(task)

    def handle(self, outcome: TaskOutcome) -> Graded[R] | GaveUp | None:
        """One outcome: a result, a given-up task, or None (a retry, or an outcome nobody waits for)."""
        task = self.in_flight.pop(outcome.key, None)
        if task is None:
            return None  # not ours, or already decided
        failure = outcome.failure or "no results"
        if outcome.results_json is not None:
            try:
                result = self.accept(task, outcome.results_json)
            except ValueError as exc:
                failure = f"its results were refused: {exc}"
            else:
                self.done.add(task.key)
                self.losses_in_a_row = 0
                return Graded(task, result)
        return self._lost(task, failure)

    def _lost(self, task: GradeTask, failure: str) -> GaveUp | None:
        self.losses_in_a_row += 1
        self.last_failure = failure
        if self.losses_in_a_row > self.max_losses:
            raise GraderError(f"the grading processes keep dying ({self.losses_in_a_row} tasks lost in a "
                              f"row; the last: {failure}); finished results are kept")
        if self.attempts[task.key] < self.max_attempts:
            self.pending.appendleft(task)
            return None
        self.done.add(task.key)
        return GaveUp(task, failure)

    def run(self, poll: float = 1.0) -> Iterator[Graded[R] | GaveUp]:
        """Fill, wait up to ``poll`` s for outcomes, yield what was decided; until finished."""
        while not self.finished:
            self.fill()
            for outcome in self.executor.completed(timeout=poll):
                event = self.handle(outcome)
                if event is not None:
                    yield event


def state(s: Scheduler[Any]) -> dict[str, Any]:
    """The scheduler's state as plain data (for logs and tests)."""
    return {"pending": [t.key for t in s.pending], "in_flight": sorted(s.in_flight),
            "done": sorted(s.done), "attempts": dict(s.attempts), "losses_in_a_row": s.losses_in_a_row}
