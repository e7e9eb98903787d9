"""The results folder: class-level names are the grader's, taken from what it really writes; a student
id that collides with one is refused with a line for the TA, never a crash; the one atomic writer
leaves nothing behind when it fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_course import make_course, student

from autograder.course.files import write_atomic
from autograder.course.outdir import RESERVED, is_reserved
from autograder.export.lms import export_grades
from autograder.grading.batch import grade_class

COLLIDING = ["report.html", "item_analysis.csv", "grades.csv", "Report.HTML", "hw07-moodle.csv",
             "hw07-canvas-unmatched.csv"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("outdir")
    course, subs, out = make_course(tmp / "course"), tmp / "subs", tmp / "out"
    student(subs / "alice")
    for sid in COLLIDING:
        student(subs / sid)
    cr = grade_class(subs, course, "hw07", out, jobs=1, progress=False)
    for fmt in ("moodle", "canvas", "csv"):
        export_grades(out, fmt)
    return out, cr


def test_every_class_level_name_the_grader_writes_is_reserved(graded):
    out, cr = graded
    ids = {r.student_id for r in cr.results}
    class_level = sorted(p.name for p in out.iterdir() if p.name not in ids)
    assert {"grades.csv", "report.html", "item_analysis.csv", ".gradebook.sqlite", ".lock",
            "hw07-moodle.csv"} <= set(class_level)
    assert [n for n in class_level if not is_reserved(n)] == []
    assert RESERVED <= set(class_level) | {".work"}  # .work is removed when a run ends


def test_a_colliding_student_id_is_refused_with_a_note_and_the_class_files_survive(graded):
    out, cr = graded
    assert [r.student_id for r in cr.results] == ["alice"]
    for sid in COLLIDING:
        assert any(f"the student id {sid!r} is a name the grader writes" in line for line in cr.skipped), sid
    assert (out / "report.html").is_file() and (out / "item_analysis.csv").is_file()
    assert (out / "grades.csv").read_text().splitlines()[1].startswith("alice,")


def test_the_atomic_writer_removes_its_temporary_file_when_it_fails(tmp_path):
    target = tmp_path / "results.json"
    target.mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(OSError):
        write_atomic(target, "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    write_atomic(tmp_path / "ok.txt", "text", durable=True)
    assert (tmp_path / "ok.txt").read_text() == "text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.txt", "results.json"]
