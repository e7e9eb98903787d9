"""feedback.md: what a student reads — per exercise, what failed, where, and the likely mistake."""

from __future__ import annotations

from autograder.late import in_grace, parse_time
from autograder.render.grades_csv import fmt
from autograder.results import SubmissionResult


def feedback_md(r: SubmissionResult, title: str = "") -> str:
    lines = [f"# {title or r.assignment}: feedback for {r.student_id}", "",
             f"**Score: {fmt(r.score)} / {fmt(r.max_score)}**", ""]
    late = late_line(r)
    if late:
        lines += [late, ""]
    if r.error:
        lines += [f"> Your submission could not be graded: {r.error}", ""]
    if r.notes:
        lines += ["## About your submission", ""] + [f"- {n}" for n in r.notes] + [""]
    lines += ["| exercise | points |", "|---|---|"]
    lines += [f"| {e.id}{' (core)' if e.core else ''} | {fmt(e.score)} / {fmt(e.max_score)} |"
              for e in r.exercises]
    lines.append("")
    for e in r.exercises:
        failed = [t for t in r.tests if t.exercise == e.id and not t.passed]
        if not failed:
            continue
        lines += [f"## {e.id}", ""]
        for t in failed:
            lines.append(f"- **{t.name}** (−{fmt(t.max_score)}): {t.feedback}")
        lines.append("")
    if all(t.passed for t in r.tests) and r.tests:
        lines += ["Everything passed. Well done!", ""]
    return "\n".join(lines)


def _when(iso: str) -> str:
    """'2026-12-03T11:59:00+03:00' -> '2026-12-03 11:59 +03:00' (seconds only when not zero)."""
    t = parse_time(iso)
    fmt_ = "%Y-%m-%d %H:%M:%S" if t.second or t.microsecond else "%Y-%m-%d %H:%M"
    off = t.strftime("%z")
    return t.strftime(fmt_) + (f" {off[:3]}:{off[3:]}" if off else "")


def late_line(r: SubmissionResult) -> str:
    """One line on the late policy: the penalty and why, or that the grace period applied."""
    if r.late_days:
        days = f"{r.late_days} day{'s' if r.late_days != 1 else ''}"
        return (f"**Late penalty: −{fmt(r.late_penalty)} points.** Submitted {_when(r.submitted_at)}, due "
                f"{_when(r.due)}: {days} late (a started day counts as a whole one); the tests gave "
                f"{fmt(r.raw_score)} / {fmt(r.max_score)} before the penalty.")
    if in_grace(r):
        return (f"Submitted {_when(r.submitted_at)}, after the due date {_when(r.due)} but within the grace "
                f"period: no late penalty.")
    return ""
