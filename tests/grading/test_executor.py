"""The ``LocalExecutor``: grading processes that grade tasks, and lose only the task of a process
that dies or is stuck past its deadline.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from tiny_course import WRONG_SIGMOID, make_course, student

from autograder.course.assignment import find_assignment
from autograder.course.errors import GraderError
from autograder.grading.executor import AssignmentRef, GradeTask, LocalExecutor
from autograder.grading.hashes import grading_hash
from autograder.grading.session import task_of
from autograder.grading.store import parse_result
from autograder.intake.discover import discover


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course", due=None)


def _ref(course: Path) -> AssignmentRef:
    a, secrets = find_assignment(course, "hw07")
    return AssignmentRef(str(course.resolve()), "hw07", "en", grading_hash(a, secrets, "en"))


def _task(tmp_path: Path, course: Path, sid: str, changes: dict | None = None) -> GradeTask:
    student(tmp_path / "subs" / sid, changes)
    a, _ = find_assignment(course, "hw07")
    found, _ = discover(tmp_path / "subs", a)
    return task_of(next(s for s in found if s.student_id == sid))


def _wait(ex: LocalExecutor, n: int, seconds: float = 90.0) -> list:
    got, deadline = [], time.monotonic() + seconds
    while len(got) < n and time.monotonic() < deadline:
        got += ex.completed(timeout=1.0)
    return got


def test_local_executor_grades_and_reports_a_killed_process(tmp_path: Path, course: Path) -> None:
    ex = LocalExecutor(_ref(course), 2, log_dir=tmp_path)
    try:
        assert ex.capacity() == 2
        ex.submit(_task(tmp_path, course, "alice"))
        ex.submit(_task(tmp_path, course, "bob", {"activations.py": WRONG_SIGMOID}))
        got = {o.key: o for o in _wait(ex, 2)}
        assert {k: parse_result(o.results_json).score for k, o in got.items()} == {"alice": 4, "bob": 2}
        ex.submit(_task(tmp_path, course, "carol"))
        victim = next(p for p in ex.procs if p.task is not None)
        os.kill(victim.popen.pid, signal.SIGKILL)
        (lost,) = _wait(ex, 1)
        assert lost.key == "carol" and lost.results_json is None
        assert "died" in lost.failure and "exit code -9" in lost.failure
        ex.submit(_task(tmp_path, course, "dave"))  # a fresh process takes over
        (ok,) = _wait(ex, 1)
        assert ok.key == "dave" and parse_result(ok.results_json).score == 4
    finally:
        ex.close()
    assert ex.procs == []


def test_local_executor_kills_a_process_past_its_deadline(tmp_path: Path, course: Path) -> None:
    hidden = course / "reference/hw07/tests/test_hidden.py"
    hidden.write_text(hidden.read_text().replace('    """in place"""', '    """in place"""\n'
                                                 '    import time\n    time.sleep(120)  # a stuck grader'))
    ex = LocalExecutor(_ref(course), 1, log_dir=tmp_path, task_timeout=5)
    try:
        t0 = time.monotonic()
        ex.submit(_task(tmp_path, course, "alice"))
        (lost,) = _wait(ex, 1, 60)
        assert lost.results_json is None and "longer than 5 s" in lost.failure
        assert time.monotonic() - t0 < 30
    finally:
        ex.close()


def test_broken_hidden_tests_stop_the_run_naming_the_log(tmp_path: Path, course: Path) -> None:
    ref = _ref(course)
    (course / "reference/hw07/tests/test_hidden.py").write_text("def test_x(:\n")
    ex = LocalExecutor(AssignmentRef(ref.course_root, "hw07", "en", ref.assignment_hash), 1, log_dir=tmp_path)
    try:
        ex.submit(GradeTask("t", "t", ()))
        with pytest.raises(GraderError, match="grading-1.log"):
            for _ in range(60):
                ex.completed(timeout=1.0)
    finally:
        ex.close()


def test_prestarted_processes_take_the_tasks_and_finish_lets_idle_ones_exit(tmp_path: Path,
                                                                           course: Path) -> None:
    ex = LocalExecutor(_ref(course), 2, log_dir=tmp_path)
    try:
        ex.prestart()
        started = [p.popen.pid for p in ex.procs]
        assert len(started) == 2 and not any(p.outbox for p in ex.procs)  # the start frame went at once
        ex.prestart()  # idempotent: never more than ``jobs``
        assert [p.popen.pid for p in ex.procs] == started
        ex.submit(_task(tmp_path, course, "alice"))
        (done,) = _wait(ex, 1)
        assert parse_result(done.results_json).score == 4
        assert [p.popen.pid for p in ex.procs] == started  # no third process: a prestarted one graded
        ex.finish()
        deadline = time.monotonic() + 60
        while any(p.popen.poll() is None for p in ex.procs) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p.popen.poll() for p in ex.procs] == [0, 0]  # both left on the end of their input
    finally:
        ex.close()
    assert ex.procs == []
