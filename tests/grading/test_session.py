"""The seam: ``GradingSession`` / ``grade_submission``.

One submission graded through the seam gets exactly the results.json the batch writes for it; a
warm session grades many submissions as separate sessions would; broken hidden tests are the
grader's error (GraderError).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_course import WRONG_SIGMOID, make_course, student

from autograder.course.errors import GraderError
from autograder.grading.batch import grade_class
from autograder.grading.session import GradingSession, grade_submission, task_of
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


def test_the_session_speaks_its_own_language_whatever_the_callers(tmp_path: Path, course: Path) -> None:
    from autograder.course import i18n

    student(tmp_path / "subs" / "bob", {"activations.py": WRONG_SIGMOID})
    session = GradingSession.for_course(course, "hw07", lang="ru")
    (sub,) = discover(tmp_path / "subs", session.assignment)[0]
    assert i18n.current() == "en"
    with session:
        r = session.grade(task_of(sub))
    assert r.lang == "ru" and i18n.current() == "en"
    wrong = next(t for t in r.tests if not t.passed)
    with i18n.language("ru"):
        assert wrong.feedback == i18n._("Your result did not pass this check.") != (
            "Your result did not pass this check.")
