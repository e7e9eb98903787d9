"""``autograder history``: a student's recorded attempts as a plain-text table for the TA's terminal."""

from __future__ import annotations

from itertools import groupby

from autograder.records.gradebook import Attempt
from autograder.render.grades_csv import fmt

COLUMNS = ("#", "recorded (UTC)", "score", "raw", "penalty", "submitted at", "submission", "test hash",
           "grader", "run")


def _row(t: Attempt) -> list[str]:
    return [str(t.attempt), t.recorded_at.replace("T", " ").removesuffix("+00:00"),
            f"{fmt(t.score)} / {fmt(t.max_score)}", fmt(t.raw_score),
            f"-{fmt(t.late_penalty)} ({t.late_days} d)" if t.late_days else "0",
            t.submitted_at or "unknown", t.submission_hash[:12] or "-", t.assignment_hash,
            t.grader_version, str(t.run_id)]


def history_text(student_id: str, attempts: list[Attempt]) -> str:
    """One table per assignment, oldest attempt first; a grader error follows its row."""
    blocks = []
    for name, group in groupby(attempts, key=lambda t: t.assignment):
        group = list(group)
        rows = [list(COLUMNS)] + [_row(t) for t in group]
        widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
        lines = [f"{student_id}, {name}: {len(group)} attempt{'s' if len(group) != 1 else ''}"]
        for r, t in zip(rows, [None, *group], strict=True):
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if t is not None and t.error:
                lines.append(f"      error: {t.error}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
