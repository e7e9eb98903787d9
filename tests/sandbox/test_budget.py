"""The time budget of a submission: all its calls together; correct but slow code that fits it keeps
its grade, and once it is spent every remaining call is a timeout at once, with a clear message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.course import errors
from autograder.course.assignment import load_assignment
from autograder.sandbox.client import WorkerStudent
from autograder.sandbox.launch import default_launcher

MOD = '''
import time


def slow(x):
    time.sleep(0.3)
    return x * 2.0
'''
FILES = {"mod.py": ["slow"]}


@pytest.fixture(scope="module")
def launcher():
    lau = default_launcher()
    yield lau
    lau.close()


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "mod.py").write_text(MOD)
    return tmp_path


def make(launcher, folder, budget):
    return WorkerStudent(lambda: launcher.spawn(folder, FILES), timeout=1.0, file_of={"slow": "mod.py"},
                         budget=budget)


def test_slow_code_that_fits_the_budget_keeps_every_answer(launcher, folder):
    s = make(launcher, folder, budget=10.0)
    try:
        assert [s.slow(float(i)) for i in range(6)] == [2.0 * i for i in range(6)]  # 1.8 s of 10
    finally:
        s.close()


def test_once_the_budget_is_spent_the_remaining_calls_are_timeouts_at_once(launcher, folder):
    s = make(launcher, folder, budget=1.0)
    outcomes = []
    t0 = time.monotonic()
    try:
        for i in range(8):
            try:
                outcomes.append(s.slow(float(i)))
            except errors.StudentTimeout as exc:
                outcomes.append(exc.summary)
    finally:
        s.close()
    elapsed = time.monotonic() - t0
    answered = [o for o in outcomes if isinstance(o, float)]
    stopped = [o for o in outcomes if isinstance(o, str)]
    assert 2 <= len(answered) <= 3 and len(answered) + len(stopped) == 8
    assert "used up its time budget of 1 s" in stopped[0]
    assert all("time budget" in m for m in stopped)
    assert elapsed < 1.0 + 4.0  # the budget and a worker start: a bound, never 8 call deadlines (8 s)


def test_hw07_has_a_budget_far_below_the_sum_of_its_call_deadlines():
    a = load_assignment(REPO / "assignments" / "hw07")
    assert a.call_timeout < a.time_budget <= 60.0
