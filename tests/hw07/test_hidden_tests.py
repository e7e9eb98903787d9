"""The hw07 hidden tests (reference/hw07/tests/) judged on real submissions.

Each folder tests/submissions/<case>/ is a complete submission plus expected.toml:
``lose`` lists the exercises that must lose points (every other exercise must get full marks),
``mistake``, when given, must appear in the feedback of a failed test of each of them, and the golden
per-test outcomes ``fail`` and ``public_fail`` name exactly the hidden and the public tests it fails
(``make goldens`` regenerates them for review). Every case is graded in one ``grade_class`` run,
through the same engine, workers and isolation the TAs use, and run through the public tests as
``autograder check`` runs them.
"""

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.audit.suite_run import Suite, run_suite
from autograder.course.assignment import load_assignment
from autograder.grading.batch import grade_class
from autograder.testkit.attribution import failed_exercises

CASES_DIR = REPO / "tests" / "submissions"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.toml").is_file())
TWICE = ["solution", "mul_no_swap"]  # graded a second time, for determinism


def expected(case: str) -> dict:
    return tomllib.loads((CASES_DIR / case / "expected.toml").read_text(encoding="utf-8"))


def copy_cases(names: list[str], dest: Path) -> Path:
    """Submission folders without expected.toml (it is not part of a submission)."""
    for name in names:
        shutil.copytree(CASES_DIR / name, dest / name, ignore=shutil.ignore_patterns("expected.toml"))
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """case -> SubmissionResult, all cases in one run; and the out folder."""
    subs = copy_cases(CASES, tmp_path_factory.mktemp("submissions"))
    out = tmp_path_factory.mktemp("out")
    cr = grade_class(subs, REPO, "hw07", out, jobs=2, progress=False)
    return {r.student_id: r for r in cr.results}, out


def exercises(result) -> dict:
    return {e.id: e for e in result.exercises}


def test_every_case_was_graded(graded):
    results, _ = graded
    assert sorted(results) == CASES
    assert {"solution", "stubs", "syntax_error", "missing_file", "missing_function",
            "import_error"} <= set(CASES)
    for case, r in results.items():
        assert not r.error, f"{case}: {r.error}"


@pytest.mark.parametrize("case", CASES)
def test_case(graded, case):
    results, _ = graded
    r = results[case]
    want = expected(case)
    lose = set(want["lose"])
    by_id = exercises(r)
    assert lose <= set(by_id), f"{case}: expected.toml names unknown exercises {lose - set(by_id)}"
    for ex_id, e in by_id.items():
        if ex_id in lose:
            assert e.score < e.max_score, f"{case}: {ex_id} should lose points, got {e.score}/{e.max_score}"
        else:
            assert e.score == e.max_score, (
                f"{case}: {ex_id} should get full marks, got {e.score}/{e.max_score}: "
                + " | ".join(f"{t.name}: {t.feedback}" for t in r.tests
                             if t.exercise == ex_id and not t.passed))
    for t in r.tests:
        if not t.passed:
            assert t.feedback.strip(), f"{case}: {t.name} failed without feedback"
    if "mistake" in want:
        for ex_id in lose:
            feedback = [t.feedback for t in r.tests if t.exercise == ex_id and not t.passed]
            assert any(want["mistake"] in f for f in feedback), (
                f"{case}: no failed test of {ex_id} says {want['mistake']!r}; it said: {feedback}")


def test_solution_full_marks_and_stubs_zero(graded):
    results, _ = graded
    assert (results["solution"].score, results["solution"].max_score) == (100, 100)
    assert all(t.passed for t in results["solution"].tests)
    assert results["stubs"].score == 0
    assert all(e.score == 0 for e in results["stubs"].exercises)


def test_points(graded):
    """100 points in all, at least 60 of them in the core exercises, at least 3 tests each."""
    r = graded[0]["solution"]
    assert r.max_score == 100
    assert sum(e.max_score for e in r.exercises if e.core) >= 60
    for e in r.exercises:
        assert sum(t.exercise == e.id for t in r.tests) >= 3, e.id


def test_feedback_names_no_hidden_arrays(graded):
    """Feedback says what kind of input, never prints a hidden array."""
    for case, r in graded[0].items():
        for t in r.tests:
            assert "[[" not in t.feedback and "array(" not in t.feedback, (case, t.name, t.feedback)


def test_deterministic(graded, tmp_path):
    """The same submission graded again gives the same results.json (but for the time taken)."""
    _, out = graded
    again = tmp_path / "out"
    grade_class(copy_cases(TWICE, tmp_path / "submissions"), REPO, "hw07", again, jobs=2, progress=False)
    for case in TWICE:
        first, second = (json.loads((o / case / "results.json").read_text(encoding="utf-8"))
                         for o in (out, again))
        first.pop("execution_time")
        second.pop("execution_time")
        assert first == second, case


@pytest.mark.parametrize("case", ["sgd_plus", "sgd_no_lr"])
def test_sgd_failing_at_its_one_job_keeps_at_most_half(graded, case):
    """Gradient ascent or a step without the learning rate: at most 5 of sgd_step's 10 points."""
    e = exercises(graded[0][case])["sgd_step"]
    assert e.max_score == 10 and e.score <= 5, (case, e.score)


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """case -> the self-check's result on it (the public tests, as `autograder check` runs them)."""
    subs = copy_cases(CASES, tmp_path_factory.mktemp("public"))
    a = load_assignment(REPO / "assignments" / "hw07")
    return run_suite(Suite(a.public_tests, a.folder, None, (a.locale,)), {c: subs / c for c in CASES}, jobs=2)


@pytest.mark.parametrize("case", CASES)
def test_case_fails_exactly_its_golden_tests(graded, public, case):
    """The hidden and public tests a case fails are exactly those expected.toml names (make goldens)."""
    want = expected(case)
    assert "fail" in want and "public_fail" in want, f"{case}: no golden outcomes; run make goldens"
    hidden = sorted(t.nodeid for t in graded[0][case].tests if not t.passed)
    assert hidden == sorted(want["fail"]), f"{case}: hidden tests failed now vs golden"
    pub = sorted(t.nodeid for t in public[case].tests if not t.passed)
    assert pub == sorted(want["public_fail"]), f"{case}: public tests failed now vs golden"


@pytest.mark.parametrize("case", CASES)
def test_a_public_failure_costs_hidden_points_in_the_same_exercise(graded, public, case):
    """The self-check never fails an exercise that grading gives full marks (a failure that names a
    failing helper counts for the helper's exercise)."""
    a = load_assignment(REPO / "assignments" / "hw07")
    lost = {e.id for e in graded[0][case].exercises if e.score < e.max_score}
    assert set(failed_exercises(public[case], a)) <= lost, case
