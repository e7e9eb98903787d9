"""The self-check counts a mistake where grading counts it: a failing helper is named, not blamed twice."""

from __future__ import annotations

import shutil

from tiny_course import REPO

from autograder.author.splice import replace_function, solution_files, write_submission
from autograder.course.assignment import find_assignment
from autograder.course.results import SubmissionResult
from autograder.course.results import TestResult as Outcome
from autograder.selfcheck.check import self_check
from autograder.testkit.attribution import attribute, blamed_helpers, failed_exercises

A, _SECRETS = find_assignment(REPO, "hw07")


def result(*failed: tuple[str, str]) -> SubmissionResult:
    """A self-check result where the tests (exercise, name) given fail and one test per exercise passes."""
    tests = [Outcome(f"{e.id}::ok", f"{e.id}: ok", e.id, 1, 1, "passed") for e in A.exercises]
    tests += [Outcome(f"{ex}::{name}", f"{ex}: {name}", ex, 0, 1, "failed", feedback="wrong.",
                         kind="wrong") for ex, name in failed]
    return SubmissionResult(student_id="you", assignment="hw07", tests=tuple(tests), exercises=())


def test_a_failure_is_blamed_on_a_used_helper_that_fails_its_own_tests():
    r = result(("sigmoid", "values"), ("sigmoid_grad", "stable"), ("sigmoid_circuit", "by hand"),
               ("relu", "values"))
    assert blamed_helpers(r, A) == {"sigmoid_grad::stable": ("sigmoid",),
                                    "sigmoid_circuit::by hand": ("sigmoid",)}
    assert failed_exercises(r, A) == ("sigmoid", "relu")
    said = {t.nodeid: t.feedback for t in attribute(r, A).tests}
    assert said["sigmoid_grad::stable"].startswith("This test uses your `sigmoid`, which fails its own tests")
    assert said["sigmoid_grad::stable"].endswith("wrong.")
    assert said["relu::values"] == said["sigmoid::values"] == "wrong."


def test_without_a_failing_helper_a_failure_counts_for_its_own_exercise():
    r = result(("sigmoid_grad", "stable"), ("train_softmax_regression", "learns"))
    assert blamed_helpers(r, A) == {}
    assert failed_exercises(r, A) == ("sigmoid_grad", "train_softmax_regression")
    assert attribute(r, A) == r


def test_a_wrong_sigmoid_fails_only_sigmoid_or_is_named(tmp_path):
    """The self-check on the solution with σ replaced by tanh: every other failed test names `sigmoid`."""
    folder = tmp_path / "hw07"
    shutil.copytree(A.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    files = solution_files(REPO, "hw07", list(A.files))
    tanh = "def sigmoid(x):\n    return np.tanh(np.asarray(x, dtype=np.float64))\n"
    files["activations.py"] = replace_function(files["activations.py"], "sigmoid", tanh)
    write_submission(folder, files)
    r = self_check(folder, lang="en")
    failed = [t for t in r.tests if not t.passed]
    assert {t.exercise for t in failed} >= {"sigmoid", "sigmoid_grad"}
    for t in failed:
        if t.exercise != "sigmoid":
            assert "This test uses your `sigmoid`, which fails its own tests" in t.feedback, t.name
