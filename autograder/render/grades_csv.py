"""grades.csv: student_id, score, max_score, then one column per exercise id, in order.

``score`` is the final score. After the exercise columns: ``raw_score`` (before the late penalty),
``late_penalty`` (points taken off), ``late_days`` and ``submitted_at`` ("" when unknown).
"""

from __future__ import annotations

from collections.abc import Iterable

from autograder.course.results import SubmissionResult
from autograder.render.csv_cells import write_rows

LATE_COLUMNS = ("raw_score", "late_penalty", "late_days", "submitted_at")  # after the exercises


def fmt(x: float) -> str:
    """Points as short, stable text: 2 -> '2', 2.5 -> '2.5'."""
    return f"{x:.6g}"


def grades_csv(results: Iterable[SubmissionResult], exercise_ids: list[str]) -> str:
    """Cells are neutralised against formula injection (``render.csv_cells``): a student id "=1+1"
    is written "'=1+1"."""
    rows = [["student_id", "score", "max_score", *exercise_ids, *LATE_COLUMNS]]
    for r in sorted(results, key=lambda r: r.student_id):
        by_id = {e.id: e.score for e in r.exercises}
        rows.append([r.student_id, fmt(r.score), fmt(r.max_score),
                     *(fmt(by_id.get(i, 0.0)) for i in exercise_ids),
                     fmt(r.raw_score), fmt(r.late_penalty), r.late_days, r.submitted_at])
    return write_rows(rows)
