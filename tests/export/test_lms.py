"""autograder export grades: Moodle, Canvas and plain CSV files from OUT/grades.csv and a roster."""

import csv
import io
import json

import pytest

from autograder.cli import main
from autograder.course.errors import ExportError
from autograder.export.lms import export_grades

EXERCISES = ["sigmoid", "softmax"]


def make_out(tmp_path, rows, late=False):
    """An OUT folder as autograder grade leaves it: grades.csv and one results.json."""
    out = tmp_path / "out"
    out.mkdir()
    extra = ["raw_score", "late_penalty", "late_days", "submitted_at"] if late else []
    lines = [",".join(["student_id", "score", "max_score", *EXERCISES, *extra])]
    for sid, score, per in rows:
        lines.append(",".join([sid, score, "20", *per, *([score, "0", "0", ""] if late else [])]))
    (out / "grades.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / rows[0][0]).mkdir()
    (out / rows[0][0] / "results.json").write_text(json.dumps({"extra_data": {"assignment": "hw07"}}))
    return out


def table(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def out(tmp_path):
    return make_out(tmp_path, [("alice", "20", ["10", "10"]), ("bob", "12.5", ["10", "2.5"]),
                               ("zed", "0", ["0", "0"])])


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    # header spelled as a spreadsheet would; carol has no submission, zed is not in the roster
    path.write_text("Student ID,Name,Email,SIS ID,Section\n"
                    "alice,Alice Liddell,alice@uni.example,S001,A\n"
                    "bob,\"Bobrov, Ivan\",bob@uni.example,S002,B\n"
                    "carol,Кэрол Р.,carol@uni.example,S003,A\n", encoding="utf-8")
    return path


def test_moodle_with_roster(out, roster):
    r = export_grades(out, "moodle", roster)
    assert r.path == out / "hw07-moodle.csv"
    assert table(r.path) == [["ID number", "Email address", "hw07"],
                             ["S001", "alice@uni.example", "20"],
                             ["S002", "bob@uni.example", "12.5"]]
    assert r.rows == 2


def test_unmatched_students_are_listed_not_dropped(out, roster):
    r = export_grades(out, "moodle", roster)
    text = "\n".join(r.warnings)
    assert "1 student(s) in the roster have no grade" in text and "carol" in text
    assert "1 graded student(s) are not in the roster" in text and "zed" in text
    assert table(r.unmatched_path) == [["problem", "student_id", "name", "email", "score"],
                                       ["in the roster, not graded", "carol", "Кэрол Р.",
                                        "carol@uni.example", ""],
                                       ["graded, not in the roster", "zed", "", "", "0"]]


def test_canvas_columns_and_points_possible(out, roster):
    r = export_grades(out, "canvas", roster, item="hw07 (12345)")
    assert table(r.path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw07 (12345)"],
        ["    Points Possible", "", "", "", "", "20"],
        ["Alice Liddell", "", "S001", "", "A", "20"],
        ["Bobrov, Ivan", "", "S002", "", "B", "12.5"],
    ]
    assert r.path.name == "hw07-canvas.csv" and r.unmatched_path.name == "hw07-canvas-unmatched.csv"


def test_without_roster_our_id_is_the_lms_id(out):
    m = export_grades(out, "moodle")
    assert table(m.path) == [["ID number", "hw07"], ["alice", "20"], ["bob", "12.5"], ["zed", "0"]]
    c = export_grades(out, "canvas")
    assert [row[2] for row in table(c.path)[2:]] == ["alice", "bob", "zed"]
    assert m.warnings == () and m.unmatched_path is None


def test_plain_csv_has_everyone(out, roster):
    r = export_grades(out, "csv", roster)
    assert r.rows == 4
    assert table(r.path) == [
        ["student_id", "name", "email", "sis_id", "section", "score", "max_score", *EXERCISES],
        ["alice", "Alice Liddell", "alice@uni.example", "S001", "A", "20", "20", "10", "10"],
        ["bob", "Bobrov, Ivan", "bob@uni.example", "S002", "B", "12.5", "20", "10", "2.5"],
        ["carol", "Кэрол Р.", "carol@uni.example", "S003", "A", "", "", "", ""],
        ["zed", "", "", "", "", "0", "20", "0", "0"],
    ]


def test_late_columns_travel_in_the_plain_csv(tmp_path):
    out = make_out(tmp_path, [("alice", "20", ["10", "10"])], late=True)
    header = table(export_grades(out, "csv").path)[0]
    assert header == ["student_id", "score", "max_score", *EXERCISES, "raw_score", "late_penalty",
                      "late_days", "submitted_at"]


def test_a_stale_unmatched_list_is_removed(out, roster, tmp_path):
    export_grades(out, "moodle", roster)
    assert (out / "hw07-moodle-unmatched.csv").exists()
    full = tmp_path / "full.csv"
    full.write_text("student_id,email\nalice,a@x\nbob,b@x\nzed,z@x\n", encoding="utf-8")
    r = export_grades(out, "moodle", full)
    assert r.unmatched_path is None and not (out / "hw07-moodle-unmatched.csv").exists()


@pytest.mark.parametrize("text, message", [
    ("email,name\na@x,A\n", "needs a student_id column"),
    ("student_id,email\nalice,a@x\nalice,b@x\n", "line 3: student_id alice appears twice"),
])
def test_bad_rosters(out, tmp_path, text, message):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportError, match=message):
        export_grades(out, "canvas", path)


def test_no_grades_yet(tmp_path):
    with pytest.raises(ExportError, match="grade the class first"):
        export_grades(tmp_path, "csv")


def test_cli(out, roster, tmp_path, capsys):
    assert main(["export", "grades", str(out), "--format", "canvas", "--roster", str(roster),
                 "--to", str(tmp_path / "lms")]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and (tmp_path / "lms" / "hw07-canvas.csv").is_file()
    assert "warning: 1 student(s) in the roster have no grade" in captured.err
    assert main(["export", "grades", str(tmp_path / "nothing"), "--format", "csv"]) == 2
    assert "grade the class first" in capsys.readouterr().err
