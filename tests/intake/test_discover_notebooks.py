"""Notebook submissions and nbgrader's submitted/ layout, as the grader discovers and grades them.

The acceptance check: the same correct code as .py files, as a notebook in a student folder, as a
top-level <id>.ipynb, with magics and test calls around it, and through nbgrader's
submitted/<student>/hw07/ layout gets the same score, test by test.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from tiny_course import REPO, SOL, write_files

from autograder.author.markers import without_markers
from autograder.author.notebook import plan, student_notebook
from autograder.course.assignment import load_assignment
from autograder.grading.batch import grade_class
from autograder.intake.discover import discover
from autograder.intake.nbgrader import parse_timestamp, submitted_folder

A = load_assignment(REPO / "assignments" / "hw07")
FILES = list(A.files)
STUB_NB = (REPO / "assignments" / "hw07" / "hw07.ipynb").read_bytes()
SOLVED_NB = student_notebook(plan(REPO / "solutions" / "hw07", REPO / "assignments" / "hw07"),
                             "solution").encode()


def with_cells(data: bytes, *sources: str, at: int = 2) -> bytes:
    """The notebook with extra code cells inserted at ``at`` (a student trying things out)."""
    nb = nbformat.reads(data.decode(), as_version=4)
    nb.cells[at:at] = [new_code_cell(s) for s in sources]
    return nbformat.writes(nb).encode()


def by_id(subs) -> dict:
    return {s.student_id: s for s in subs}


# -- discovery

def test_notebook_folder_and_top_level_notebook_are_students(tmp_path: Path) -> None:
    write_files(tmp_path, {"ann/hw07.ipynb": SOLVED_NB, "bob.ipynb": SOLVED_NB,
                           "cid/Untitled.ipynb": SOLVED_NB})
    with zipfile.ZipFile(tmp_path / "dee.zip", "w") as z:
        z.writestr("hw07/hw07.ipynb", SOLVED_NB)
    subs, skipped = discover(tmp_path, A)
    assert skipped == [] and sorted(by_id(subs)) == ["ann", "bob", "cid", "dee"]
    ann, bob, cid, dee = (by_id(subs)[k] for k in ("ann", "bob", "cid", "dee"))
    assert ann.files == bob.files == cid.files == dee.files and set(dict(ann.files)) == set(FILES)
    assert b"import activations as _submission" in dict(ann.files)["gates.py"]
    assert ann.notes == ("hw07.ipynb was graded: its code cells as one module holding every function of the "
                         "assignment, as activations.py (errors in it are reported there), with gates.py, "
                         "optim.py, logreg.py taking their functions from it.",)
    assert ann.error == bob.error == cid.error == ""
    assert cid.notes[0].startswith("Untitled.ipynb was graded")  # any name will do


def test_filled_notebook_beside_untouched_stubs_is_graded(tmp_path: Path) -> None:
    stubs = {n: (REPO / "assignments" / "hw07" / n).read_text(encoding="utf-8") for n in FILES}
    write_files(tmp_path, {**{f"dan/{n}": t for n, t in stubs.items()}, "dan/hw07.ipynb": SOLVED_NB})
    write_files(tmp_path, {**{f"eve/{n}": t for n, t in SOL.items()}, "eve/hw07.ipynb": STUB_NB})
    subs = by_id(discover(tmp_path, A)[0])
    assert b"def sigmoid" in dict(subs["dan"].files)["activations.py"]
    assert "Your .py files were not graded: hw07.ipynb implements more of the assignment's functions " \
           "(18, the .py files 5)." in subs["dan"].notes
    assert dict(subs["eve"].files)["gates.py"] == SOL["gates.py"].encode()  # the .py files win
    assert subs["eve"].notes[-1] == ("hw07.ipynb was not graded: your .py files were (they implement 18 of "
                                     "the assignment's functions, the notebook 5).")


def test_of_several_notebooks_the_one_with_most_work_is_graded(tmp_path: Path) -> None:
    write_files(tmp_path, {"fay/hw07.ipynb": STUB_NB, "fay/hw07-Copy1.ipynb": SOLVED_NB})
    (fay,) = discover(tmp_path, A)[0]
    assert fay.notes[0].startswith("hw07-Copy1.ipynb was graded")
    assert "hw07.ipynb was not graded: hw07-Copy1.ipynb was." in fay.notes


def test_a_malformed_notebook_is_an_error_with_the_reason(tmp_path: Path) -> None:
    write_files(tmp_path, {"gus.ipynb": SOLVED_NB[: len(SOLVED_NB) // 2],
                           "hal/hw07.ipynb": b'{"nbformat": 4}'})
    subs = by_id(discover(tmp_path, A)[0])
    assert subs["gus"].error == subs["hal"].error == "the notebook could not be read"
    assert subs["gus"].files == ()
    assert subs["gus"].notes[0].startswith("gus.ipynb is not a valid notebook: it is not JSON (line ")
    assert subs["hal"].notes[0] == ("hw07.ipynb is not a valid Jupyter notebook (nbformat 4): The notebook "
                                    "is invalid and is missing an expected key: cells.")


# -- nbgrader's layout

def nbgrader_course(root: Path, students: dict[str, tuple[bytes, str]]) -> Path:
    """A course as nbgrader leaves it after collecting: submitted/<id>/hw07/{hw07.ipynb,timestamp.txt}."""
    write_files(root, {"nbgrader_config.py": "c = get_config()\n", "gradebook.db": b""})
    for sid, (nb, stamp) in students.items():
        write_files(root / "submitted" / sid / "hw07", {"hw07.ipynb": nb, "timestamp.txt": stamp})
    return root


def test_nbgrader_course_root_or_submitted_folder(tmp_path: Path) -> None:
    course = nbgrader_course(tmp_path / "course", {
        "ann": (SOLVED_NB, "2026-11-27 09:06:25.123456 UTC"), "bob": (STUB_NB, "2026-11-27 12:06:25 MSK"),
        "cid": (SOLVED_NB, "whenever")})
    write_files(course / "submitted" / "dan" / "hw06", {"hw06.ipynb": b"{}"})  # another assignment only
    (course / "submitted" / "notes.txt").write_text("x")
    assert submitted_folder(course, "hw07") == submitted_folder(course / "submitted", "hw07") == \
        course / "submitted"
    assert submitted_folder(tmp_path, "hw07") is None
    subs, lines = discover(course, A)
    assert [s.student_id for s in subs] == ["ann", "bob", "cid"]
    assert [s.submitted_at for s in subs] == ["2026-11-27T09:06:25.123456+00:00",
                                              "2026-11-27T12:06:25+03:00", ""]
    assert subs[0].source == "submitted/ann/hw07/" and subs[0].notes[0].startswith("hw07.ipynb was graded")
    assert not any("timestamp" in n for s in subs for n in s.notes)  # nbgrader's file is not the student's
    assert lines == [
        "cid: timestamp.txt says 'whenever', which is not a time (Invalid isoformat string: 'whenever'); "
        "the submission time is unknown",
        "dan: no hw07/ in submitted/dan/ (nothing submitted for hw07); skipped",
        "notes.txt: not a student folder of nbgrader's submitted/; skipped",
    ]
    assert [s.submitted_at for s in discover(course / "submitted", A)[0]] == [s.submitted_at for s in subs]


@pytest.mark.parametrize(("text", "iso"), [
    ("2026-11-27 09:06:25.123456 UTC", "2026-11-27T09:06:25.123456+00:00"),  # nbgrader's default format
    ("2026-11-27 09:06:25.123456+00:00", "2026-11-27T09:06:25.123456+00:00"),  # zip_collect's isoformat
    ("2026-11-27 12:06:25 MSK", "2026-11-27T12:06:25+03:00"),
    ("2026-11-27 12:06:25 -0500", "2026-11-27T12:06:25-05:00"),
    ("2026-07-01 12:00:00 Europe/Berlin", "2026-07-01T12:00:00+02:00"),
    ("2026-11-27 09:06:25\n", "2026-11-27T09:06:25+00:00"),  # no zone: UTC, as nbgrader reads it
])
def test_nbgrader_timestamps(text: str, iso: str) -> None:
    assert parse_timestamp(text).isoformat() == iso


def test_nbgrader_timestamp_with_an_ambiguous_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone 'CST'"):
        parse_timestamp("2026-11-27 09:06:25 CST")


# -- the same code, the same score, whatever the path

def nbgrader_variant(tmp_path: Path) -> bytes:
    """What a student hands in through nbgrader: the export's notebook with the solution filled in
    (nbgrader's test cells, read-only cells and metadata included)."""
    from autograder.export.nbgrader import source_notebook

    nb = nbformat.reads(source_notebook(REPO, "hw07"), as_version=4)
    for cell in nb.cells:
        cell.source = without_markers(cell.source)
    return nbformat.writes(nb).encode()


def test_same_score_as_py_files_notebook_and_nbgrader_layout(tmp_path: Path) -> None:
    subs = write_files(tmp_path / "subs", {
        **{f"py/{n}": t for n, t in SOL.items()},
        "folder/hw07.ipynb": SOLVED_NB,
        "top.ipynb": SOLVED_NB,
        "tinkering/hw07.ipynb": with_cells(SOLVED_NB, "%matplotlib inline\nimport matplotlib.pyplot as plt",
                                           "!pip install torch", "print(sigmoid(0))\nsigmoid(np.zeros(3))",
                                           "%%time\nx = 1", at=3),
        "stub.ipynb": STUB_NB,
        "broken.ipynb": SOLVED_NB[:100],
    })
    cr = grade_class(subs, REPO, "hw07", tmp_path / "out", jobs=2, progress=False)
    course = nbgrader_course(tmp_path / "course", {
        "nbg": (nbgrader_variant(tmp_path), "2026-11-27 09:06:25.123456 UTC")})
    cr2 = grade_class(course, REPO, "hw07", tmp_path / "out2", jobs=1, progress=False)
    r = {x.student_id: x for x in cr.results + cr2.results}

    full = r["py"].max_score
    assert r["py"].score == full > 0 and r["stub"].score == 0 and r["broken"].score == 0
    outcome = [(t.nodeid, t.score, t.status) for t in r["py"].tests]
    for sid in ("folder", "top", "tinkering", "nbg"):
        assert r[sid].score == full, (sid, [t.feedback for t in r[sid].tests if not t.passed])
        assert [(t.nodeid, t.score, t.status) for t in r[sid].tests] == outcome, sid
    tinkering = "\n".join(r["tinkering"].notes)
    assert "`%matplotlib inline`" in tinkering and "`!pip install torch`" in tinkering
    assert "`print(sigmoid(0))`" in tinkering and "(%%time)" in tinkering
    assert "`import matplotlib.pyplot as plt`" in tinkering
    assert r["broken"].error == "the notebook could not be read"
    assert "broken.ipynb is not a valid notebook: it is not JSON" in r["broken"].notes[0]

    doc = json.loads((tmp_path / "out2" / "nbg" / "results.json").read_text(encoding="utf-8"))
    assert doc["score"] == full and doc["extra_data"]["submitted_at"] == "2026-11-27T09:06:25.123456+00:00"
    feedback = (tmp_path / "out" / "tinkering" / "feedback.md").read_text(encoding="utf-8")
    assert "IPython magics, shell commands (!...) and help (?) are not run when grading" in feedback
