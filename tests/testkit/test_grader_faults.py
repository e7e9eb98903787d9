"""A hidden test that breaks in its own code is the grader's fault: no points lost, flagged for the TA
(summary, report, exit status 3); a test that cannot use a student's result is the student's."""

from __future__ import annotations

import json

import pytest
from tiny_course import SOL, make_course, student

from autograder.cli import main
from autograder.render.gradescope import from_gradescope
from autograder.reports.analysis import GRADER_FAULT, class_stats

HIDDEN = '''
import numpy as np
import pytest


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(2)
def test_values(student, ref, rng):
    """values on random inputs"""
    z = rng.normal(size=(3, 4))
    np.testing.assert_allclose(student.sigmoid(z), ref.sigmoid(z), rtol=1e-9)


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(1)
def test_a_typo_in_the_test(student, ref, rng):
    """a test with an undefined name"""
    z = rng.normal(size=4)
    np.testing.assert_allclose(student.sigmoid(z), ref.sigmoid(zz))


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(1)
def test_a_wrong_call_of_the_reference(student, ref, rng):
    """a test that calls the reference wrongly"""
    z = rng.normal(size=4)
    np.testing.assert_allclose(student.sigmoid(z), ref.sigmoid(z, z, z))


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(1)
def test_uses_an_element(student, ref, rng):
    """indexes the result (IndexError on a result of the wrong shape: the student's)"""
    z = rng.normal(size=(3, 4))
    assert abs(student.sigmoid(z)[2, 3] - ref.sigmoid(z)[2, 3]) < 1e-9
'''
FLAT = SOL["activations.py"].replace(  # sigmoid's values, flattened to 1-D
    "def sigmoid(x):",
    "def sigmoid(x):\n    return np.ravel(1 / (1 + np.exp(-np.asarray(x))))\n\n\ndef _s(x):")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    course = make_course(tmp / "course")
    (course / "reference/hw07/tests/test_hidden.py").write_text(HIDDEN)
    student(tmp / "subs" / "good")
    student(tmp / "subs" / "flat", {"activations.py": FLAT})
    out = tmp / "out"
    code = main(["grade", str(tmp / "subs"), "--assignment", "hw07", "--out", str(out), "--course",
                 str(course), "--jobs", "1", "--no-progress"])
    results = {sid: from_gradescope(json.loads((out / sid / "results.json").read_text()))
               for sid in ("good", "flat")}
    return code, results


def _test(r, name):
    return next(t for t in r.tests if name in t.nodeid)


def test_a_fault_in_the_tests_own_code_costs_no_points_and_is_flagged(graded, capsys):
    code, results = graded
    assert code == 3  # everything graded, but the TA must look at the tests
    for r in results.values():
        for name in ("test_a_typo_in_the_test", "test_a_wrong_call_of_the_reference"):
            t = _test(r, name)
            assert (t.kind, t.score, t.max_score) == ("grader", 1.0, 1.0), (r.student_id, t)
            assert "costs you no points" in t.feedback
    good = results["good"]
    assert good.score == good.max_score  # the broken tests took nothing from a correct solution
    items = {i.nodeid.split("::")[-1]: i for i in class_stats(list(results.values())).items}
    assert GRADER_FAULT in items["test_a_typo_in_the_test"].flags
    assert GRADER_FAULT not in items["test_uses_an_element"].flags


def test_a_result_the_test_cannot_use_is_the_students_and_a_problem_for_the_report(graded):
    _code, results = graded
    t = _test(results["flat"], "test_uses_an_element")
    assert (t.kind, t.score) == ("unusable", 0.0)
    assert _test(results["good"], "test_uses_an_element").passed
    problems = {p.student_id: p for p in class_stats(list(results.values())).problems}
    assert "unusable" in problems["flat"].kinds and "grader" in problems["flat"].kinds
