"""Text that is anyone's (student ids, roster fields, worker messages) cannot become a spreadsheet
formula in our CSV files or Markdown syntax in feedback.md."""

from __future__ import annotations

import csv
import io
import re

import pytest

from autograder.course.results import ExerciseScore, SubmissionResult
from autograder.course.results import TestResult as Check  # not a test class
from autograder.export.lms import match, moodle_csv, plain_csv, read_grades
from autograder.render.csv_cells import read_cell, safe_cell
from autograder.render.feedback import feedback_md
from autograder.render.grades_csv import grades_csv

HOSTILE_IDS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
               "\tTAB"]


@pytest.mark.parametrize("text", [*HOSTILE_IDS, "\rCR"])
def test_a_formula_cell_is_written_as_text_and_read_back_as_it_was(text):
    cell = safe_cell(text)
    assert cell.startswith("'") and cell[1:] == text
    assert read_cell(cell) == text


@pytest.mark.parametrize("text", ["-1.5", "+2", "alice", "2026-12-01T10:00:00+03:00", "", "'quoted"])
def test_numbers_and_plain_text_are_left_alone(text):
    assert safe_cell(text) == text and read_cell(text) == text


def _result(sid: str, feedback: str = "", notes: tuple[str, ...] = ()) -> SubmissionResult:
    t = Check(nodeid="t::a", name="sigmoid: values", exercise="sigmoid", score=0.0, max_score=1.0,
                   status="failed", feedback=feedback, kind="wrong")
    return SubmissionResult(student_id=sid, assignment="hw07", tests=(t,),
                            exercises=(ExerciseScore("sigmoid", 0.0, 1.0, True),), notes=notes)


def test_grades_csv_neutralises_student_ids_and_the_lms_export_matches_them(tmp_path):
    text = grades_csv([_result(s) for s in HOSTILE_IDS], ["sigmoid"])
    cells = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert all(c.startswith("'") for c in cells), cells
    (tmp_path / "grades.csv").write_text(text, encoding="utf-8")
    grades, columns = read_grades(tmp_path)
    assert sorted(g.student_id for g in grades) == sorted(HOSTILE_IDS)  # read back as they were
    for out in (moodle_csv(match(grades, None), "=item"), plain_csv(match(grades, None), columns)):
        for row in csv.reader(io.StringIO(out)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or float(cell) is not None, out


def test_feedback_md_escapes_what_is_not_ours():
    md = feedback_md(_result("eve_<script>", feedback="[click](http://evil) ![i](x) **bold** `code`\n# H",
                             notes=("file <img src=x onerror=alert(1)>.py was ignored",)))
    assert not re.search(r"(?<!\\)<", md), md  # no HTML: every < is escaped
    assert "\\<img src=x onerror=alert(1)\\>" in md
    assert "\\[click\\](http://evil)" in md and "\\*\\*bold\\*\\*" in md and "\\`code\\`" in md
    assert "\n# H" not in md  # a line break in a worker's text cannot start a heading
