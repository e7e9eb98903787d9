"""autograder export gradescope: the zip, unpacked into a folder laid out like /autograder, grades.

Gradescope unpacks the zip into REPO/source, runs setup.sh once, copies run_autograder to REPO and
runs it per submission. Here REPO is a temporary folder (AUTOGRADER_ROOT), the venv's python is first
on PATH, so setup.sh finds everything installed and skips apt and pip.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tiny_course import REPO, SOL

from autograder.cli import main
from autograder.course.assignment import find_assignment
from autograder.course.late import days_late, penalty_points
from autograder.export.gradescope import export_gradescope
from autograder.export.gradescope_run import settings, stricter

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=3)))  # when hw07 has no [late]


def policy(root: Path):
    """The late policy the zip grades with (hw07's [late] table, whatever it says), or None."""
    return find_assignment(root / "source" / "course", "hw07")[0].late


def metadata(root: Path, days_after_due: float) -> dict:
    """submission_metadata.json as Gradescope writes it, submitted that long after the due date."""
    due = policy(root).due if policy(root) else DUE
    return {
        "id": 98765,
        "created_at": (due + timedelta(days=days_after_due)).isoformat(timespec="microseconds"),
        "assignment": {"due_date": due.isoformat(timespec="microseconds"), "late_due_date": None,
                       "title": "hw07", "total_points": "100.0"},
        "users": [{"email": "alice@uni.example", "id": 1234, "name": "Alice", "sid": "s001"}],
    }


def softmax_without_max(files: dict[str, str]) -> dict[str, str]:
    """The classic mistake: e^z without subtracting the max first (nan for large z)."""
    text = files["activations.py"]
    shifted = "np.exp(z - z.max(axis=axis, keepdims=True))"
    assert shifted in text
    return {**files, "activations.py": text.replace(shifted, "np.exp(z)")}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return export_gradescope(REPO, "hw07", tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def root(bundle, tmp_path_factory) -> Path:
    """A folder laid out like /autograder after Gradescope built the image (setup.sh ran)."""
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    r = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=environment(root),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "already has what grading needs" in r.stdout  # no apt-get, no pip in this test
    return root


def environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_PYTHON")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AUTOGRADER_ROOT"] = str(root)
    return env


def run_autograder(root: Path, files: dict[str, str], metadata: dict | None) -> dict:
    sub, results = root / "submission", root / "results"
    for d in (sub, results):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    for name, text in files.items():
        (sub / name).write_text(text, encoding="utf-8")
    meta = root / "submission_metadata.json"
    meta.unlink(missing_ok=True)
    if metadata is not None:
        meta.write_text(json.dumps(metadata), encoding="utf-8")
    r = subprocess.run(["bash", str(root / "run_autograder")], env=environment(root), cwd=root,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads((results / "results.json").read_text(encoding="utf-8"))


def test_the_zip_holds_what_gradescope_needs_and_no_solution(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    assert "course/reference/hw07/hw07_reference.py" in names
    assert any(n.startswith("course/reference/hw07/tests/test_") for n in names)
    assert "autograder/export/gradescope_run.py" in names
    assert "course/assignments/hw07/assignment.toml" in names
    assert not [n for n in names if n.startswith("solutions") or "__pycache__" in n or n.endswith(".pyc")]
    modes = {i.filename: i.external_attr >> 16 for i in zipfile.ZipFile(bundle).infolist()}
    assert modes["run_autograder"] == modes["setup.sh"] == 0o100755
    reqs = zipfile.ZipFile(bundle).read("requirements.txt").decode().split()
    assert any(r.startswith("numpy") for r in reqs) and any(r.startswith("pytest") for r in reqs)
    assert not any("ruff" in r for r in reqs)  # dev tools stay out


def test_the_zip_is_deterministic(bundle, tmp_path):
    again = export_gradescope(REPO, "hw07", tmp_path)
    assert again.read_bytes() == bundle.read_bytes()


def test_solution_on_time_gets_full_marks_and_the_submission_time_is_recorded(root):
    meta = metadata(root, -1.5)
    doc = run_autograder(root, SOL, meta)
    x = doc["extra_data"]
    assert doc["score"] == x["max_score"] == x["raw_score"] > 0 and x["late_penalty"] == 0
    assert all(t["status"] == "passed" for t in doc["tests"]) and len(doc["tests"]) > 20
    assert doc["output_format"] == "md" and "feedback" in doc["output"]
    assert x["student_id"] == "s001"
    assert x["gradescope"] == {"gradescope_submission_id": 98765, "submitted_at": meta["created_at"],
                               "due_date": meta["assignment"]["due_date"], "late_due_date": "",
                               "late": False}
    assert datetime.fromisoformat(x["submitted_at"]) == datetime.fromisoformat(meta["created_at"])
    assert x["isolation_layers"]  # graded in an isolated worker, as autograder grade does


def test_a_late_mutant_loses_its_exercise_and_the_late_penalty(root):
    meta = metadata(root, 1.5)  # two started days late
    doc = run_autograder(root, softmax_without_max(SOL), meta)
    x = doc["extra_data"]
    lost = {ex for ex, score, max_score, _ in x["exercises"] if score < max_score}
    assert lost == {"softmax"}
    failed = [t for t in doc["tests"] if t["status"] == "failed"]
    assert failed and all(t["tags"] == ["softmax"] and t["output"] for t in failed)
    assert 0 < x["raw_score"] < x["max_score"]
    rule = policy(root)
    days = days_late(rule, datetime.fromisoformat(meta["created_at"])) if rule else 0
    penalty = penalty_points(rule, days, x["raw_score"], x["max_score"]) if rule else 0
    assert (x["late_days"], x["late_penalty"]) == (days, penalty)
    assert doc["score"] == pytest.approx(x["raw_score"] - penalty)
    assert x["gradescope"]["late"] is True
    if penalty:
        assert "late" in doc["output"].lower()


def test_without_metadata_graded_all_the_same_and_visibility_from_assignment_toml(root):
    toml = root / "source" / "course" / "assignments" / "hw07" / "assignment.toml"
    before = toml.read_text(encoding="utf-8")
    toml.write_text(before + '\n[gradescope]\nvisibility = "after_published"\n'
                    'test_visibility = "after_due_date"\n', encoding="utf-8")
    try:
        doc = run_autograder(root, SOL, metadata=None)
    finally:
        toml.write_text(before, encoding="utf-8")
    assert doc["score"] == doc["extra_data"]["max_score"]
    assert doc["extra_data"]["gradescope"]["submitted_at"] is None
    assert doc["extra_data"]["submitted_at"] == ""
    assert doc["visibility"] == "after_published"
    assert {t["visibility"] for t in doc["tests"]} <= {"after_due_date", "after_published", "hidden"}


def test_visibility_settings(tmp_path):
    toml = tmp_path / "assignment.toml"
    toml.write_text('name = "x"\n[gradescope]\nvisibility = "after_published"\n'
                    'test_visibility = "after_due_date"\n', encoding="utf-8")
    assert settings(toml) == {"visibility": "after_published", "test_visibility": "after_due_date"}
    assert stricter("visible", "after_due_date") == "after_due_date"
    assert stricter("hidden", "after_due_date") == "hidden"  # a marker can only delay a test
    toml.write_text('[gradescope]\nvisibility = "sometimes"\n', encoding="utf-8")
    with pytest.raises(Exception, match="visibility = 'sometimes'"):
        settings(toml)


def test_cli(tmp_path, capsys):
    assert main(["export", "gradescope", "hw07", "--out", str(tmp_path), "--course", str(REPO)]) == 0
    assert (tmp_path / "hw07-gradescope.zip").is_file() and "keep it private" in capsys.readouterr().out
    assert main(["export", "gradescope", "hw99", "--out", str(tmp_path), "--course", str(REPO)]) == 2
    assert "unknown assignment 'hw99'" in capsys.readouterr().err
