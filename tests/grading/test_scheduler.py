"""The scheduler's states and transitions, driven by a fake executor (no processes, no pytest).

The fake runs a script per task key: each attempt either returns results, loses the task (a dead
grading process) or returns results the owner refuses.
"""

from __future__ import annotations

from collections import deque

import pytest

from autograder.course.errors import GraderError
from autograder.grading.executor import GradeTask, TaskOutcome
from autograder.grading.scheduler import GaveUp, Graded, Scheduler, state


class FakeExecutor:
    """``script[key]``: what each attempt of that task does: "ok", "lost" or "bad" (default "ok")."""

    def __init__(self, capacity: int = 2, script: dict[str, list[str]] | None = None, per_wait: int = 1):
        self._capacity, self.script, self.per_wait = capacity, script or {}, per_wait
        self.running: deque[GradeTask] = deque()
        self.submitted: list[str] = []
        self.closed = False

    def capacity(self) -> int:
        return self._capacity

    def submit(self, task: GradeTask) -> None:
        assert len(self.running) < self._capacity, "the scheduler went over capacity"
        self.submitted.append(task.key)
        self.running.append(task)

    def completed(self, timeout: float) -> list[TaskOutcome]:
        out = []
        for _ in range(min(self.per_wait, len(self.running))):
            task = self.running.popleft()
            steps = self.script.get(task.key, [])
            step = steps.pop(0) if steps else "ok"
            if step == "lost":
                out.append(TaskOutcome(task.key, None, f"grading process died on {task.key}"))
            else:
                who = task.student_id if step == "ok" else "someone-else"
                out.append(TaskOutcome(task.key, f"result of {who}"))
        return out

    def close(self) -> None:
        self.closed = True


def tasks(*keys: str) -> list[GradeTask]:
    return [GradeTask(k, k, ()) for k in keys]


def accept(task: GradeTask, text: str) -> str:
    if text != f"result of {task.student_id}":
        raise ValueError(f"{text!r} is not {task.student_id}'s result")
    return text


def run(ex: FakeExecutor, keys: list[str], **kw) -> tuple[Scheduler, list]:
    s = Scheduler(ex, tasks(*keys), accept, **kw)
    return s, list(s.run(poll=0))


def test_every_task_is_graded_once_in_order_within_capacity() -> None:
    ex = FakeExecutor(capacity=2)
    s, events = run(ex, ["a", "b", "c", "d", "e"])
    assert [(type(e), e.task.key) for e in events] == [(Graded, k) for k in "abcde"]
    assert [e.result for e in events] == [f"result of {k}" for k in "abcde"]
    assert ex.submitted == list("abcde")
    assert s.finished and state(s) == {"pending": [], "in_flight": [], "done": list("abcde"),
                                       "attempts": dict.fromkeys("abcde", 1), "losses_in_a_row": 0}


def test_a_lost_task_is_retried_first_then_graded() -> None:
    ex = FakeExecutor(capacity=1, script={"b": ["lost"]})
    s, events = run(ex, ["a", "b", "c"])
    assert ex.submitted == ["a", "b", "b", "c"]  # the retry goes before the tasks waiting
    assert [(type(e), e.task.key) for e in events] == [(Graded, "a"), (Graded, "b"), (Graded, "c")]
    assert s.attempts["b"] == 2 and s.losses_in_a_row == 0


def test_a_task_lost_twice_is_a_grader_failure_and_the_rest_go_on() -> None:
    ex = FakeExecutor(capacity=2, script={"b": ["lost", "lost"]})
    s, events = run(ex, ["a", "b", "c"])
    gave_up = [e for e in events if isinstance(e, GaveUp)]
    assert [e.task.key for e in gave_up] == ["b"] and "died on b" in gave_up[0].failure
    assert sorted(e.task.key for e in events if isinstance(e, Graded)) == ["a", "c"]
    assert ex.submitted.count("b") == 2 and s.finished


def test_refused_results_count_as_a_loss() -> None:
    ex = FakeExecutor(capacity=1, script={"a": ["bad", "bad"], "b": ["bad"]})
    s, events = run(ex, ["a", "b"])
    assert [(type(e), e.task.key) for e in events] == [(GaveUp, "a"), (Graded, "b")]
    assert "refused" in events[0].failure and "someone-else" in events[0].failure


def test_processes_that_keep_dying_abort_the_run_and_keep_what_finished() -> None:
    keys = [f"s{i}" for i in range(10)]
    ex = FakeExecutor(capacity=1, script={k: ["lost", "lost"] for k in keys[1:]})
    s = Scheduler(ex, tasks(*keys), accept, max_losses=3)
    events = []
    with pytest.raises(GraderError, match="keep dying"):
        for e in s.run(poll=0):
            events.append(e)
    assert [(type(e), e.task.key) for e in events] == [(Graded, "s0"), (GaveUp, "s1")]
    assert s.losses_in_a_row == 4 and "s0" in s.done


def test_a_success_resets_the_losses_in_a_row() -> None:
    # every other task is lost once: many losses in all, never more than one in a row
    keys = [f"s{i}" for i in range(12)]
    ex = FakeExecutor(capacity=1, script={k: ["lost"] for k in keys[::2]})
    s, events = run(ex, keys, max_losses=1)
    assert all(isinstance(e, Graded) for e in events) and len(events) == 12


def test_outcomes_nobody_waits_for_are_ignored() -> None:
    ex = FakeExecutor(capacity=1)
    s = Scheduler(ex, tasks("a"), accept)
    s.fill()
    assert s.handle(TaskOutcome("zzz", "result of zzz")) is None  # not a task of this run
    assert isinstance(s.handle(TaskOutcome("a", "result of a")), Graded)
    assert s.handle(TaskOutcome("a", "result of a")) is None  # already decided
    assert s.finished and s.done == {"a"}


def test_many_outcomes_at_once_and_an_empty_run() -> None:
    ex = FakeExecutor(capacity=4, per_wait=4, script={"c": ["lost"]})
    s, events = run(ex, list("abcdefgh"))
    assert sorted(e.task.key for e in events) == list("abcdefgh")
    assert all(isinstance(e, Graded) for e in events)
    s, events = run(FakeExecutor(), [])
    assert events == [] and s.finished


def test_task_keys_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler(FakeExecutor(), tasks("a", "a"), accept)


def test_tasks_are_prepared_only_when_handed_out_and_again_when_retried():
    ex = FakeExecutor(capacity=2, script={"b": ["lost", "ok"]})
    prepared, sent = [], []
    real_submit = ex.submit

    def submit(task: GradeTask) -> None:
        sent.append((task.key, task.files))
        real_submit(task)

    def prepare(task: GradeTask) -> GradeTask:
        assert len(ex.running) <= ex.capacity()  # never ahead of the executor
        prepared.append(task.key)
        return GradeTask(task.key, task.student_id, ((f"{task.key}.py", b"x"),))

    ex.submit = submit
    s = Scheduler(ex, tasks("a", "b", "c", "d"), accept, prepare=prepare)
    events = list(s.run(poll=0))
    assert sorted(e.task.key for e in events if isinstance(e, Graded)) == ["a", "b", "c", "d"]
    assert all(e.task.files for e in events)  # accept and the events see the prepared task
    assert prepared == [k for k, _ in sent] and sorted(prepared) == ["a", "b", "b", "c", "d"]
    assert prepared[:2] == ["a", "b"]  # two in flight at first: the others are not read yet
