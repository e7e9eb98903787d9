"""grades.csv: student_id, score, max_score, then one column per exercise id, in order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from autograder.results import SubmissionResult


def fmt(x: float) -> str:
    """Points as short, stable text: 2 -> '2', 2.5 -> '2.5'."""
    return f"{x:.6g}"


def grades_csv(results: Iterable[SubmissionResult], exercise_ids: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student_id", "score", "max_score", *exercise_ids])
    for r in sorted(results, key=lambda r: r.student_id):
        by_id = {e.id: e.score for e in r.exercises}
        w.writerow([r.student_id, fmt(r.score), fmt(r.max_score),
                    *(fmt(by_id.get(i, 0.0)) for i in exercise_ids)])
    return buf.getvalue()
