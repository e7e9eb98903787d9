"""Class statistics and item analysis on constructed classes whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.course import results as R
from autograder.course.results import SubmissionResult, exercise_scores
from autograder.reports.analysis import (
    ALL_PASS,
    GRADER_FAULT,
    NEGATIVE,
    NONE_PASS,
    class_stats,
    item_analysis,
    point_biserial,
)

EXERCISES = [("a", True), ("b", False)]


def result(sid: str, passed: dict[str, bool], exercise_of=lambda nodeid: "a", error: str = "",
           kinds: dict[str, str] | None = None, mistakes: dict[str, str] | None = None,
           feedback: dict[str, str] | None = None) -> SubmissionResult:
    """One point per test; a failed test has kind "wrong" unless ``kinds`` says otherwise."""
    kinds, mistakes, feedback = kinds or {}, mistakes or {}, feedback or {}
    tests = tuple(
        R.TestResult(nodeid=n, name=f"{exercise_of(n)}: {n}", exercise=exercise_of(n),
                     score=1.0 if ok else 0.0, max_score=1.0, status="passed" if ok else "failed",
                     feedback="" if ok else feedback.get(n, "wrong"),
                     kind="" if ok else kinds.get(n, "wrong"), mistake="" if ok else mistakes.get(n, ""))
        for n, ok in passed.items())
    return SubmissionResult(sid, "hw", tests, exercise_scores(tests, EXERCISES), error=error)


# Four students, strongest first. Fillers f1..f4 spread the totals; "good" is passed by the two
# strong students, "inverted" by the two weak ones, "easy" by all, "impossible" by none.
FILLERS = {"s1": 4, "s2": 3, "s3": 1, "s4": 0}
GOOD, INVERTED = {"s1", "s2"}, {"s3", "s4"}


def constructed_class() -> list[SubmissionResult]:
    out = []
    for sid, n in FILLERS.items():
        passed = {f"f{i}": i <= n for i in range(1, 5)}
        passed.update(easy=True, impossible=False, good=sid in GOOD, inverted=sid in INVERTED)
        out.append(result(sid, passed))
    return out


def test_point_biserial_by_hand():
    # x = 1,0,1,0 and y = 4,3,2,1: cov 1/4, var x 1/4, var y 5/4: r = 1/sqrt(5).
    assert point_biserial([True, False, True, False], [4, 3, 2, 1]) == pytest.approx(1 / math.sqrt(5))
    assert point_biserial([True, True, False, False], [3, 3, 1, 1]) == pytest.approx(1.0)
    assert point_biserial([False, False, True, True], [3, 3, 1, 1]) == pytest.approx(-1.0)


def test_point_biserial_is_undefined_without_variation():
    assert point_biserial([True, True, True], [1, 2, 3]) is None
    assert point_biserial([False, False, False], [1, 2, 3]) is None
    assert point_biserial([True, False, True], [2, 2, 2]) is None
    assert point_biserial([True], [1]) is None


def test_discrimination_uses_the_rest_score():
    items = {i.nodeid: i for i in item_analysis(constructed_class())}
    # good: passed by s1, s2; rest scores (total minus this test) 5, 4, 3, 2: r = 2/sqrt(5).
    assert items["good"].discrimination == pytest.approx(2 / math.sqrt(5))
    # inverted: passed by s3, s4; rest scores 6, 5, 2, 1: r = -4/sqrt(17).
    assert items["inverted"].discrimination == pytest.approx(-4 / math.sqrt(17))
    # and the same as numpy's Pearson r, computed from the results directly
    for r_item in items.values():
        if r_item.discrimination is None:
            continue
        x, y = [], []
        for r in constructed_class():
            t = next(t for t in r.tests if t.nodeid == r_item.nodeid)
            x.append(t.score)
            y.append(sum(u.score for u in r.tests) - t.score)
        assert r_item.discrimination == pytest.approx(np.corrcoef(x, y)[0, 1])


def test_the_three_flags():
    items = {i.nodeid: i for i in item_analysis(constructed_class())}
    assert items["easy"].flags == (ALL_PASS,) and items["easy"].discrimination is None
    assert items["easy"].pass_rate == 1.0
    assert items["impossible"].flags == (NONE_PASS,) and items["impossible"].discrimination is None
    assert items["impossible"].pass_rate == 0.0
    assert items["inverted"].flags == (NEGATIVE,)
    assert items["good"].flags == () and items["good"].pass_rate == 0.5
    flagged = {i.nodeid for i in items.values() if i.flags}
    assert flagged == {"easy", "impossible", "inverted"}


def test_a_test_the_grader_could_not_run_is_flagged():
    rs = [result("s1", {"t": True}), result("s2", {"t": False}, kinds={"t": "grader"})]
    (item,) = item_analysis(rs)
    assert GRADER_FAULT in item.flags


def test_students_without_a_test_are_left_out_of_its_statistics():
    rs = constructed_class() + [result("s5", {}, error="the grader failed while grading this submission")]
    items = {i.nodeid: i for i in item_analysis(rs)}
    assert items["good"].n == 4 and items["good"].discrimination == pytest.approx(2 / math.sqrt(5))


def test_scores_exercises_and_students():
    ex = {"a1": "a", "a2": "a", "b1": "b"}.__getitem__
    rs = [result("bob", {"a1": True, "a2": True, "b1": False}, ex),
          result("amy", {"a1": True, "a2": True, "b1": True}, ex),
          result("cat", {"a1": False, "a2": True, "b1": False}, ex)]
    s = class_stats(rs)
    assert s.scores == (3.0, 2.0, 1.0)  # by student id
    assert (s.score.n, s.score.mean, s.score.median, s.score.low, s.score.high, s.score.max_score) == (
        3, 2.0, 2.0, 1.0, 3.0, 3.0)
    assert s.score.stdev == pytest.approx(math.sqrt(2 / 3))
    a, b = s.exercises
    assert (a.id, a.core, a.max_score, a.mean, a.median, a.full_marks, a.n) == (
        "a", True, 2.0, 5 / 3, 2.0, 2, 3)
    assert a.full_rate == pytest.approx(2 / 3)
    assert (b.id, b.mean, b.full_marks, b.full_rate) == ("b", 1 / 3, 1, pytest.approx(1 / 3))
    assert [(r.student_id, r.score, r.exercises, r.failed) for r in s.students] == [
        ("amy", 3.0, (2.0, 1.0), 0), ("bob", 2.0, (2.0, 0.0), 1), ("cat", 1.0, (1.0, 0.0), 2)]


def test_mistakes_are_counted_once_per_student():
    swap = "no swap: each input gets dout times the other input"
    rs = [result("s1", {"t1": False, "t2": False}, mistakes={"t1": swap, "t2": swap}),
          result("s2", {"t1": False, "t2": True}, mistakes={"t1": swap}),
          result("s3", {"t1": False, "t2": False}, mistakes={"t1": "rare"}),
          result("s4", {"t1": True, "t2": True})]
    s = class_stats(rs)
    assert [(m.mistake, m.students, m.exercises) for m in s.mistakes] == [
        (swap, ("s1", "s2"), ("a",)), ("rare", ("s3",), ("a",))]


def test_problems_name_the_reason_once():
    why = "copy_forward could not be loaded: importing gates.py, line 63 failed with SyntaxError"
    rs = [result("ok", {"t1": True, "t2": False}),
          result("broken", {"t1": False, "t2": False, "t3": False}, kinds={"t1": "import", "t2": "import"},
                 feedback={"t1": why, "t2": why}),
          result("slow", {"t1": False}, kinds={"t1": "timeout"}, feedback={"t1": "took longer than 2 s"}),
          result("lost", {}, error="the grader failed while grading this submission")]
    s = class_stats(rs)
    got = {p.student_id: (p.error, p.kinds, p.reasons, p.tests) for p in s.problems}
    assert got == {
        "broken": ("", ("import",), (why,), 2),
        "lost": ("the grader failed while grading this submission", (), (), 0),
        "slow": ("", ("timeout",), ("took longer than 2 s",), 1),
    }
    assert [r.student_id for r in s.students if r.problem] == ["broken", "lost", "slow"]


def test_an_empty_class():
    s = class_stats([])
    assert s.score.n == 0 and s.exercises == () and s.items == () and s.students == ()


def test_a_student_whose_grading_failed_has_no_full_marks():
    rs = constructed_class() + [result("s0", {}, error="the grader failed while grading this submission")]
    s = class_stats(rs)
    a = s.exercises[0]
    assert s.students[0].student_id == "s0" and s.students[0].score == 0.0
    assert (a.max_score, a.n, a.full_marks) == (8.0, 5, 0)
    assert s.score.max_score == 8.0 and s.score.n == 5


def random_class(n: int, seed: int) -> list[SubmissionResult]:
    """Students with random passes, kinds, mistakes, errors and uneven points (floats that do not add up
    exactly), some without tests at all: what the one-at-a-time builder must reproduce to the bit."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        sid = f"s{rng.integers(10**6):06d}-{i}"
        if rng.random() < 0.05:
            out.append(SubmissionResult(sid, "hw", (), exercise_scores((), EXERCISES), error="no files"))
            continue
        tests = []
        for j in range(12):
            ok = rng.random() < 0.3 + 0.05 * j
            worth = float(rng.choice([0.1, 0.7, 1.3, 2.0]))
            kind = str(rng.choice(["wrong", "timeout", "crashed", "grader"])) if not ok else ""
            tests.append(R.TestResult(
                nodeid=f"t{j}", name=f"test {j}", exercise="a" if j < 7 else "b",
                score=worth if ok else worth * float(rng.choice([0.0, 0.5])), max_score=worth,
                status="passed" if ok else "failed", feedback="" if ok else f"why {j % 3}", kind=kind,
                mistake="" if ok or rng.random() < 0.5 else f"mistake {j % 4}"))
        out.append(SubmissionResult(sid, "hw", tuple(tests), exercise_scores(tuple(tests), EXERCISES)))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_streaming_builder_gives_exactly_what_the_whole_class_functions_give(seed):
    from autograder.reports.analysis import (
        ClassStatsBuilder,
        exercise_stats,
        frequent_mistakes,
        problems,
    )

    rs = random_class(300, seed)
    ordered = sorted(rs, key=lambda r: r.student_id)
    b = ClassStatsBuilder()
    for r in np.random.default_rng(seed).permutation(len(rs)).tolist():  # any arrival order
        b.add(rs[r])
    s = b.finish()
    assert s.items == item_analysis(ordered)  # floats compared exactly: same sums in the same order
    assert s.exercises == exercise_stats(ordered)
    assert s.mistakes == frequent_mistakes(ordered)
    assert s.problems == problems(ordered)
    assert s.scores == tuple(r.score for r in ordered) and s == class_stats(ordered)
    assert [row.student_id for row in s.students] == [r.student_id for r in ordered]
