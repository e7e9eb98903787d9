"""item_analysis.csv: one row per hidden test, for the instructor (see ``autograder.reports.analysis``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from autograder.render.csv_cells import write_rows
from autograder.render.grades_csv import fmt

if TYPE_CHECKING:  # values only: render sits below reports (pyproject's import-linter layers)
    from autograder.reports.analysis import ItemStats

COLUMNS = ["nodeid", "exercise", "name", "max_score", "students", "passed", "pass_rate",
           "discrimination", "flags"]


def item_analysis_csv(items: Iterable[ItemStats]) -> str:
    """``discrimination``: corrected point-biserial r, empty when undefined; ``flags``: space-separated
    (all-pass, none-pass, negative-discrimination, grader-fault)."""
    rows = [COLUMNS]
    for i in items:
        rows.append([i.nodeid, i.exercise, i.name, fmt(i.max_score), i.n, i.passed, f"{i.pass_rate:.4f}",
                     "" if i.discrimination is None else f"{i.discrimination:.4f}", " ".join(i.flags)])
    return write_rows(rows)
