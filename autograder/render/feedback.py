"""feedback.md: what a student reads — per exercise, what failed, where, and the likely mistake."""

from __future__ import annotations

from autograder.render.grades_csv import fmt
from autograder.results import SubmissionResult


def feedback_md(r: SubmissionResult, title: str = "") -> str:
    lines = [f"# {title or r.assignment}: feedback for {r.student_id}", "",
             f"**Score: {fmt(r.score)} / {fmt(r.max_score)}**", ""]
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
