"""The seam: ``GradingSession`` / ``grade_submission`` and the ``LocalExecutor`` of grading processes.

One submission graded through the seam gets exactly the results.json the batch writes for it; a
warm session grades many submissions as separate sessions would; broken hidden tests are the
grader's error (GraderError), a dying or stuck grading process loses only its task.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from tiny_course import WRONG_SIGMOID, make_course, student

from autograder.course.errors import GraderError
from autograder.grading.batch import grade_class
from autograder.grading.executor import AssignmentRef, GradeTask, LocalExecutor
from autograder.grading.hashes import grading_hash
from autograder.grading.session import GradingSession, grade_submission, task_of
from autograder.grading.store import parse_result
from autograder.intake.discover import discover
from autograder.render.gradescope import dumps


def timeless(text: str) -> dict:
    doc = json.loads(text)
    doc.pop("execution_time")
    return doc


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course", due=None)


def test_grade_submission_gives_what_the_batch_writes(tmp_path: Path, course: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    student(subs / "alice")
    student(subs / "bob", {"activations.py": WRONG_SIGMOID})
    grade_class(subs, course, "hw07", out, progress=False)
    from autograder.course.assignment import find_assignment

    a, _ = find_assignment(course, "hw07")
    found, _ = discover(subs, a)
    for sub in found:
        r = grade_submission(course, "hw07", sub)
        written = (out / sub.student_id / "results.json").read_text()
        assert timeless(dumps(r)) == timeless(written), sub.student_id
    assert [t.passed for t in r.tests] == [False, True]  # bob's sigmoid


def test_a_warm_session_grades_many_as_separate_sessions_do(tmp_path: Path, course: Path) -> None:
    subs = tmp_path / "subs"
    for i, changes in enumerate([{}, {"activations.py": WRONG_SIGMOID}, {"optim.py": ""}, {}]):
        student(subs / f"s{i}", changes)
    session = GradingSession.for_course(course, "hw07")
    found, _ = discover(subs, session.assignment)
    with session:
        session.wait_ready(60)
        warm = [session.grade(task_of(s)) for s in found]
    alone = [grade_submission(course, "hw07", s) for s in found]
    assert [timeless(dumps(r)) for r in warm] == [timeless(dumps(r)) for r in alone]
    assert [r.score for r in warm] == [4, 2, 2, 4]


def test_broken_hidden_tests_are_the_graders_error(tmp_path: Path, course: Path) -> None:
    (course / "reference/hw07/tests/test_hidden.py").write_text("def test_x(:\n")
    with GradingSession.for_course(course, "hw07") as session, pytest.raises(GraderError, match="could not"):
        session.wait_ready(60)
    ref = AssignmentRef(str(course), "hw07", "en", session.assignment_hash)
    ex = LocalExecutor(ref, 1, log_dir=tmp_path)
    try:
        ex.submit(GradeTask("t", "t", ()))
        with pytest.raises(GraderError, match="grading-1.log"):
            for _ in range(60):
                ex.completed(timeout=1.0)
    finally:
        ex.close()


def _ref(course: Path) -> AssignmentRef:
    from autograder.course.assignment import find_assignment

    a, secrets = find_assignment(course, "hw07")
    return AssignmentRef(str(course.resolve()), "hw07", "en", grading_hash(a, secrets, "en"))


def _task(tmp_path: Path, course: Path, sid: str, changes: dict | None = None) -> GradeTask:
    from autograder.course.assignment import find_assignment

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
