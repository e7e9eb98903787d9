"""A grading process that stops answering is killed by the scheduler's watchdog, its submission
retried once and then recorded as a grader failure: the batch ends instead of hanging."""

from __future__ import annotations

import time

import pytest
from tiny_course import make_course, student

from autograder.grading import batch
from autograder.grading.batch import GRADER_FAILED, grade_class
from autograder.grading.scheduler import watchdog_seconds

HANGS = '''
import time

import pytest


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(2)
def test_hangs(student, ref, rng):
    """a hidden test that never returns (in the trusted grading process itself)"""
    time.sleep(3600)
'''


def test_the_watchdog_allows_twice_the_time_budget_and_a_minute():
    assert watchdog_seconds(45.0) == 150.0


@pytest.mark.slow
def test_a_grading_process_that_stops_answering_is_killed_and_the_batch_ends(tmp_path, monkeypatch):
    course = make_course(tmp_path / "course")
    (course / "reference/hw07/tests/test_hidden.py").write_text(HANGS)
    student(tmp_path / "subs" / "alice")
    student(tmp_path / "subs" / "bob")
    monkeypatch.setattr(batch, "watchdog_seconds", lambda budget: 3.0)
    t0 = time.monotonic()
    cr = grade_class(tmp_path / "subs", course, "hw07", tmp_path / "out", jobs=1, progress=False)
    seconds = time.monotonic() - t0
    assert [(r.student_id, r.error) for r in cr.results] == [("alice", GRADER_FAILED), ("bob", GRADER_FAILED)]
    assert seconds < 120  # 4 attempts of 3 s and their process starts; never the hour the test sleeps
