"""report.html and item_analysis.csv from constructed results: self-contained, escaped, complete."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re

import pytest
from tiny_course import REPO

from autograder.course.assignment import load_assignment
from autograder.course.results import SubmissionResult, exercise_scores
from autograder.course.results import TestResult as Check  # not a test class
from autograder.render.item_analysis_csv import COLUMNS
from autograder.reports.class_report import write_class_report

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def assignment():
    return load_assignment(REPO / "assignments" / "hw07")


def make(a, sid: str, failed: dict[str, tuple[str, str, str]], error: str = "") -> SubmissionResult:
    """Every exercise has two tests, t1 and t2 (1 point each); ``failed``: nodeid -> (kind, mistake,
    feedback)."""
    tests = []
    for e in a.exercises:
        for t in ("t1", "t2"):
            nodeid = f"test_{e.id}.py::{t}"
            kind, mistake, feedback = failed.get(nodeid, ("", "", ""))
            ok = nodeid not in failed
            tests.append(Check(nodeid, f"{e.id}: {t}", e.id, 1.0 if ok else 0.0, 1.0,
                               "passed" if ok else "failed", feedback, kind, mistake))
    tests = tuple(tests) if not error else ()
    return SubmissionResult(sid, a.name, tests, exercise_scores(tests, [(e.id, e.core) for e in a.exercises]),
                            error=error)


@pytest.fixture(scope="module")
def written(assignment, tmp_path_factory):
    a = assignment
    swap = "no swap: each input gets dout times the OTHER input"
    results = [
        make(a, "amy", {}),
        make(a, "bob", {"test_mul_backward.py::t1": ("wrong", swap, "wrong dx"),
                        "test_mul_backward.py::t2": ("wrong", swap, "wrong dy")}),
        make(a, HOSTILE, {"test_sigmoid.py::t1": ("raised", "", f"sigmoid raised ValueError: {HOSTILE}")}),
        make(a, "dan", {f"test_{e.id}.py::{t}": ("import", "", f"importing gates.py failed: {HOSTILE}")
                        for e in a.exercises for t in ("t1", "t2")}),
        make(a, "eve", {}, error="the grader failed while grading this submission"),
    ]
    stub = (a.folder / "activations.py").read_bytes()
    own = stub.replace(b"raise NotImplementedError", b"return [v * 3 + 7 for v in range(11)][0] - 2 ** 5", 1)
    files = {"amy": [("activations.py", own)], "bob": [("activations.py", own)],
             HOSTILE: [("activations.py", stub)], "dan": [], "eve": []}
    out = tmp_path_factory.mktemp("out")
    write_class_report(out, results, a, files, REPO)
    return out, results


def test_report_is_one_self_contained_file(written):
    out, _ = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # nothing is loaded from anywhere: no src/href to another file or host, no CSS url(), no @import
    assert not re.search(r'\b(?:src|href)\s*=\s*"(?!#)', html)
    assert "url(http" not in html and "@import" not in html
    assert html.count("<svg") == 3  # histogram, exercises, item analysis
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_the_only_script_is_the_one_the_csp_allows(written):
    out, _ = written
    html = (out / "report.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1 and html.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_student_text_is_escaped(written):
    out, _ = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_sections_show_the_numbers(written):
    out, results = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r'id="class-size">5<', html)
    mean = sum(r.score for r in results) / 5
    assert f'id="mean-score">{round(mean, 2):g}<' in html
    # mul_backward: full marks for amy and the hostile id only (bob lost it, dan could not import, eve none)
    row = re.search(r'<tr id="exercise-mul_backward">(.*?)</tr>', html, flags=re.S).group(1)
    assert "2 / 5" in row and ">40%<" in row
    assert '<span class="mistake-name">no swap</span>' in html
    for sid in ("dan", "eve"):
        assert f'id="problem-{sid}"' in html
    assert "the grader failed while grading this submission" in html
    assert 'id="late"' in html
    # amy and bob wrote the same code of their own; the untouched stub is nobody's own code
    groups = re.search(r'<table class="groups sortable">(.*?)</table>', html, flags=re.S).group(1)
    assert "<td>amy, bob</td>" in groups and "100%" in groups and "&lt;script" not in groups
    assert 'id="similarity-cap"' not in html  # one group: nothing left out


def test_item_analysis_csv(written, assignment):
    out, _ = written
    rows = list(csv.DictReader(io.StringIO((out / "item_analysis.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 2 * len(assignment.exercises)
    by_id = {r["nodeid"]: r for r in rows}
    mul = by_id["test_mul_backward.py::t1"]
    assert (mul["students"], mul["passed"], mul["pass_rate"]) == ("4", "2", "0.5000")
    assert float(mul["discrimination"]) > 0.5 and mul["flags"] == ""
    relu = by_id["test_relu.py::t1"]  # everyone who could import passed
    assert relu["pass_rate"] == "0.7500" and relu["flags"] == ""


def test_the_report_is_the_same_every_time(written, assignment, tmp_path):
    out, results = written
    write_class_report(tmp_path, results, assignment, None, REPO)
    a = (out / "report.html").read_text(encoding="utf-8")
    b = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Not computed: the submitted files were not available." in b
    cut = re.compile(r'<section id="similarity">.*?</section>', flags=re.S)
    assert cut.sub("", a) == cut.sub("", b)


def test_an_empty_class_still_gets_a_report(assignment, tmp_path):
    write_class_report(tmp_path, [], assignment, {}, REPO)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert re.search(r'id="class-size">0<', html)
    assert (tmp_path / "item_analysis.csv").read_text(encoding="utf-8").strip() == ",".join(COLUMNS)


def test_similar_groups_are_capped_and_long_groups_are_counted(assignment, tmp_path):
    """Many students with their own code in common: one group, named up to a dozen, the rest counted;
    and more groups than the cap: the largest are shown, the report says how many there are."""
    a = assignment
    stub = (a.folder / "activations.py").read_bytes()
    files, results = {}, []
    for i in range(30):  # one big group, and ~60 pairs of two
        group = "big" if i < 20 else f"g{i}"
        code = f"return [v * 3 + {len(group)} for v in range(11)][0] - 2 ** 5 # {group}"
        own = stub.replace(b"raise NotImplementedError", code.encode(), 1)
        if group != "big":
            own = own.replace(b"* 3 +", f"* {i} + {i} * {i} -".encode(), 1)
        for sid in ((f"s{i:02d}",) if group == "big" else (f"s{i:02d}", f"t{i:02d}")):
            files[sid] = [("activations.py", own)]
            results.append(make(a, sid, {}))
    write_class_report(tmp_path, results, a, files, REPO, max_groups=5)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    groups = re.search(r'<table class="groups sortable">(.*?)</table>', html, flags=re.S).group(1)
    assert groups.split("<tbody>")[1].count("<tr>") == 5
    assert "s00, s01, s02" in groups and "and 8 more" in groups and "s19" not in groups
    cap_note = re.search(r'<p class="note" id="similarity-cap">(.*?)</p>', html, flags=re.S).group(1)
    assert "5 largest of 11 groups (40 students in all)" in cap_note
    assert (tmp_path / ".fingerprints.npz").is_file()


def test_class_files_are_rebuilt_only_when_what_they_are_made_of_changed(assignment, tmp_path):
    from autograder.course import i18n

    a = assignment
    results = [make(a, "amy", {}), make(a, "bob", {"test_mul_backward.py::t1": ("wrong", "", "wrong dx")})]
    files = {"amy": [], "bob": []}
    report = tmp_path / "report.html"

    def write(rs, **kw):
        write_class_report(tmp_path, rs, a, files, REPO, **kw)
        return report.stat().st_mtime_ns, report.read_bytes()

    first = write(results)
    (tmp_path / "item_analysis.csv").write_text("kept: nothing changed", encoding="utf-8")
    assert write(results) == first  # the same results: not rebuilt
    assert (tmp_path / "item_analysis.csv").read_text(encoding="utf-8") == "kept: nothing changed"
    changed = [results[0], make(a, "bob", {})]
    assert write(changed)[1] != first[1]  # bob's result changed: rebuilt
    assert (tmp_path / "item_analysis.csv").read_text(encoding="utf-8") != "kept: nothing changed"
    again = write(changed)
    with i18n.language("ru"):
        assert write(changed)[1] != again[1]  # another language: rebuilt
    report.unlink()
    assert write(changed)[1] == again[1]  # a missing file is made again
