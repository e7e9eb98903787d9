"""The late policy: days late with a grace period and rounding up, the cap, unknown times, and where
raw score, penalty and final score show (grades.csv, results.json, feedback.md); end to end on two
real submissions, including a changed submission time and a changed due date on a rerun."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from tiny_course import WRONG_SIGMOID, make_course, set_due, student

from autograder.course.assignment import load_assignment
from autograder.course.errors import AssignmentError
from autograder.course.late import apply_late, days_late, in_grace, parse_policy, parse_time, read_times
from autograder.course.results import ExerciseScore, SubmissionResult
from autograder.grading.batch import class_summary, grade_class
from autograder.render import gradescope
from autograder.render.feedback import feedback_md
from autograder.render.grades_csv import grades_csv

DUE = "2026-12-01T23:59:00+03:00"
POLICY = parse_policy({"due": DUE, "grace_minutes": 15, "penalty_per_day": 0.1, "max_penalty": 0.3})


def result(raw: float = 18.0, max_score: float = 20.0) -> SubmissionResult:
    return SubmissionResult("ann", "hw07", (), (ExerciseScore("sigmoid", raw, max_score, True),))


def after_due(**kw) -> str:
    return (parse_time(DUE) + timedelta(**kw)).isoformat()


@pytest.mark.parametrize(("submitted", "days"), [
    (after_due(hours=-1), 0),  # on time
    (after_due(), 0),  # at the due minute
    (after_due(minutes=15), 0),  # the last moment of the grace period
    (after_due(minutes=15, seconds=1), 1),  # a started day counts
    (after_due(days=1, minutes=15), 1),
    (after_due(days=1, minutes=16), 2),
    (after_due(days=1.5), 2),  # 1.5 days late -> 2 days
    ("2026-12-01T21:10:00Z", 0),  # 00:10 at +03:00: in the grace period, whatever the offset
    ("2026-12-02T00:20:00", 1),  # no offset: read in the due date's offset (+03:00)
])
def test_days_late(submitted: str, days: int) -> None:
    assert days_late(POLICY, parse_time(submitted, POLICY.due.tzinfo)) == days


def test_penalty_is_a_fraction_of_the_max_score_per_day() -> None:
    r = apply_late(result(18, 20), POLICY, after_due(days=1.5))
    assert (r.late_days, r.raw_score, r.late_penalty, r.score) == (2, 18, 4, 14)  # 2 d x 10% of 20
    assert r.due == DUE and r.submitted_at == "2026-12-03T11:59:00+03:00"


def test_the_cap_and_the_floor() -> None:
    capped = apply_late(result(18, 20), POLICY, after_due(days=9))
    assert (capped.late_days, capped.late_penalty, capped.score) == (9, 6, 12)  # capped at 30% of 20
    low = apply_late(result(2, 20), POLICY, after_due(days=3))
    assert (low.late_penalty, low.score) == (2, 0)  # never below zero: raw - penalty = final


def test_in_grace_and_on_time_cost_nothing() -> None:
    grace = apply_late(result(), POLICY, after_due(minutes=10))
    assert (grace.late_days, grace.late_penalty, grace.score) == (0, 0, 18) and in_grace(grace)
    assert "within the grace period: no late penalty" in feedback_md(grace)
    early = apply_late(result(), POLICY, after_due(days=-2))
    assert not in_grace(early) and "late" not in feedback_md(early).lower()


def test_unknown_time_is_on_time() -> None:
    for when in ("", "not a time"):
        r = apply_late(result(), POLICY, when)
        assert (r.submitted_at, r.late_days, r.late_penalty, r.score, r.due) == ("", 0, 0, 18, DUE)
    assert apply_late(result(), None, after_due(days=5)).score == 18  # no policy: nothing taken


def test_raw_penalty_and_final_in_every_format() -> None:
    r = apply_late(result(18, 20), POLICY, after_due(days=1.5))
    rows = list(csv.reader(io.StringIO(grades_csv([r], ["sigmoid"]))))
    assert rows[0] == ["student_id", "score", "max_score", "sigmoid", "raw_score", "late_penalty",
                       "late_days", "submitted_at"]
    assert rows[1] == ["ann", "14", "20", "18", "18", "4", "2", "2026-12-03T11:59:00+03:00"]
    doc = gradescope.to_gradescope(r)
    assert doc["score"] == 14
    late = ("raw_score", "late_penalty", "late_days", "submitted_at", "due")
    assert {k: doc["extra_data"][k] for k in late} == {
        "raw_score": 18, "late_penalty": 4, "late_days": 2, "submitted_at": r.submitted_at, "due": DUE}
    assert gradescope.from_gradescope(json.loads(gradescope.dumps(r))) == r
    md = feedback_md(r)
    assert "**Score: 14 / 20**" in md
    assert ("**Late penalty: −4 points.** Submitted 2026-12-03 11:59 +03:00, due 2026-12-01 23:59 +03:00: "
            "2 days late (a started day counts as a whole one); the tests gave 18 / 20 before the "
            "penalty.") in md


def test_bad_policies_are_named(tmp_path: Path) -> None:
    bad = {
        "'due' is missing": {"penalty_per_day": 0.1},
        "needs a UTC offset": {"due": "2026-12-01T23:59:00"},
        "is not an ISO 8601 time": {"due": "tomorrow"},
        "penalty_per_day must be a number at least 0 and at most 1": {"due": DUE, "penalty_per_day": 10},
        "max_penalty must be": {"due": DUE, "max_penalty": -1},
        "unknown key(s) penalty": {"due": DUE, "penalty": 0.1},
    }
    for message, table in bad.items():
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_policy(table)
    folder = make_course(tmp_path / "c", due="2026-12-01T23:59:00") / "assignments" / "hw07"
    with pytest.raises(AssignmentError, match=r"assignment.toml \[late\]: due = .* needs a UTC offset"):
        load_assignment(folder)


def test_times_the_ta_supplies(tmp_path: Path) -> None:
    f = tmp_path / "times.csv"
    f.write_text("student_id,submitted_at\nann,2026-12-02T10:00:00+03:00\n bob , 2026-12-01 20:00:00 UTC\n")
    assert read_times(f) == {"ann": "2026-12-02T10:00:00+03:00", "bob": "2026-12-01 20:00:00 UTC"}
    head = "student_id,submitted_at\n"
    for text, message in [("id,when\nann,x\n", "must name the columns student_id,submitted_at"),
                          (head + "ann,yesterday\n", "line 2: 'yesterday' is not an ISO"),
                          (head + "ann,2026-12-02\nann,2026-12-03\n", "line 3: ann appears twice")]:
        f.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_times(f)


def test_grade_class_applies_the_policy_and_reruns_follow_times_and_due_date(tmp_path: Path,
                                                                             course: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    student(subs / "ann")
    student(subs / "bob", {"activations.py": WRONG_SIGMOID})  # loses the 2 points of sigmoid
    a = load_assignment(course / "assignments" / "hw07")
    times = {"ann": after_due(minutes=5), "bob": after_due(days=1, hours=12), "zed": after_due()}

    first = grade_class(subs, course, "hw07", out, progress=False, submitted_at=times)
    by_id = {r.student_id: r for r in first.results}
    assert first.graded == 2
    assert (by_id["ann"].score, by_id["ann"].late_penalty) == (4, 0)  # in the grace period
    assert (by_id["bob"].raw_score, by_id["bob"].late_days, by_id["bob"].late_penalty, by_id["bob"].score) \
        == (2, 2, 0.8, 1.2)  # 2 days x 10% of 4 points
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert {k: rows["bob"][k] for k in ("score", "raw_score", "late_penalty", "late_days", "submitted_at")} \
        == {"score": "1.2", "raw_score": "2", "late_penalty": "0.8", "late_days": "2",
            "submitted_at": "2026-12-03T11:59:00+03:00"}
    doc = json.loads((out / "bob" / "results.json").read_text())
    assert doc["score"] == 1.2 and doc["extra_data"]["raw_score"] == 2
    assert "**Late penalty: −0.8 points.**" in (out / "bob" / "feedback.md").read_text()
    summary = class_summary(first, a)
    assert "late: 1 submission(s), 0.8 points taken off in all: bob (2 d, -0.8)" in summary
    assert "submission times given for 1 student(s) without a submission: zed" in summary

    # The TA takes bob's time back (unknown now): his result changes without regrading; ann's stays.
    ann_json = (out / "ann" / "results.json").read_bytes()
    second = grade_class(subs, course, "hw07", out, progress=False, submitted_at={"ann": times["ann"]})
    bob = {r.student_id: r for r in second.results}["bob"]
    assert second.graded == 0 and (bob.score, bob.late_penalty, bob.submitted_at) == (2, 0, "")
    assert json.loads((out / "bob" / "results.json").read_text())["score"] == 2
    assert (out / "ann" / "results.json").read_bytes() == ann_json  # not even rewritten
    assert "submission time unknown for 1 student(s), counted as on time: bob" in class_summary(second, a)

    # The due date moves two days earlier: a rerun regrades and ann is late now (2 days and 5 minutes,
    # less the 15 minutes of grace: 2 started days).
    set_due(course, after_due(days=-2))
    third = grade_class(subs, course, "hw07", out, progress=False, submitted_at={"ann": times["ann"]})
    ann = {r.student_id: r for r in third.results}["ann"]
    assert third.graded == 2 and (ann.late_days, ann.late_penalty, ann.score) == (2, 0.8, 3.2)
