"""The assignment bundle shipped to cluster workers (autograder.cluster.bundle)."""

from __future__ import annotations

import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.cluster.bundle import Bundle, bundle_digest, make_bundle
from autograder.course.assignment import find_assignment
from autograder.course.errors import ClusterError
from autograder.grading.hashes import grading_hash

ROOT = Path(__file__).resolve().parents[2]


def test_it_holds_what_grading_needs_and_nothing_a_student_writes():
    b = make_bundle(ROOT, "hw07")
    names = [rel for rel, _ in b.files]
    assert "assignments/hw07/assignment.toml" in names
    assert "reference/hw07/hw07_reference.py" in names
    assert any(n.startswith("reference/hw07/tests/") for n in names)
    assert any(n.endswith("assignment.mo") for n in names)
    assert not [n for n in names if n.startswith("solutions/") or "__pycache__" in n]
    assert not [n for n in names if n.startswith("assignments/hw07/") and n.endswith(".py")]  # stubs
    assert names == sorted(names)
    assert make_bundle(ROOT, "hw07") == b  # the same course, the same bytes and digest


def test_the_unpacked_course_grades_under_the_same_assignment_hash(tmp_path):
    b = make_bundle(ROOT, "hw07")
    root = b.unpack(tmp_path / "course")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for lang in ("en", "ru"):
        theirs, ours = find_assignment(root, "hw07"), find_assignment(ROOT, "hw07")
        assert grading_hash(*theirs, lang) == grading_hash(*ours, lang)


def test_a_changed_hidden_test_changes_the_digest(tmp_path):
    course = tmp_path / "course"
    for d in ("assignments/hw07", "reference/hw07"):
        shutil.copytree(ROOT / d, course / d)
    before = make_bundle(course, "hw07").digest
    test = next((course / "reference/hw07/tests").glob("test_*.py"))
    test.write_text(test.read_text() + "\n# changed\n")
    assert make_bundle(course, "hw07").digest != before


def test_tampered_bytes_or_paths_are_refused_before_anything_is_written(tmp_path):
    b = make_bundle(ROOT, "hw07")
    rel, data = b.files[0]
    forged = replace(b, files=((rel, data + b"#"),) + b.files[1:])
    with pytest.raises(ClusterError, match="does not match its hash"):
        forged.unpack(tmp_path / "a")
    assert not (tmp_path / "a").exists()
    for bad in ("../escape.py", "/etc/passwd", "solutions/hw07/x.py", "reference/../../x"):
        files = ((bad, b"x"),)
        with pytest.raises(ClusterError, match="bad path"):
            Bundle("hw07", files, bundle_digest(files)).unpack(tmp_path / "b")
        assert not (tmp_path / "b").exists()
