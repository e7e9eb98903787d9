"""Nothing lost, same answer every time: resume, a SIGKILLed batch, dying grading processes.

A small course in tmp_path (the real assignment.toml and reference, three tiny hidden tests), so
these tests do not depend on the real hidden tests and stay fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_course import HIDDEN_IMPORTS, HW07_LATE, SGD_TEST, SOL, make_course, student, zip_student

from autograder.cli import main
from autograder.grading.batch import GRADER_FAILED, grade_class

HIDDEN = '''
import os
import signal
''' + HIDDEN_IMPORTS + '''

@pytest.mark.exercise("sigmoid")
@pytest.mark.points(2)
def test_sigmoid(student, ref, rng):
    """values on random inputs"""
    z = rng.normal(size=(3, 4))
    got = student.sigmoid(z)
    if np.shape(got) == (3, 4) and np.all(np.asarray(got) == -777.0):
        os.kill(os.getpid(), signal.SIGKILL)  # stands in for a grading process that dies
    np.testing.assert_allclose(got, ref.sigmoid(z), rtol=1e-6)


@pytest.mark.exercise("mul_backward")
@pytest.mark.points(1)
def test_mul_backward(student, ref, rng):
    """swap multiplier"""
    x, y, d = rng.normal(size=(3, 2, 5))
    _, cache = ref.mul_forward(x, y)
    for got, want in zip(student.mul_backward(d, cache), ref.mul_backward(d, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
''' + SGD_TEST.format(points=1)


WRONG_SIGMOID = SOL["activations.py"].replace("def sigmoid(x):",
                                              "def sigmoid(x):\n    return x\n\n\ndef _s(x):")
SLOW_SIGMOID = SOL["activations.py"].replace("def sigmoid(x):", "def sigmoid(x):\n    import time\n"
                                             "    time.sleep(0.25)\n    return _s(x)\n\n\ndef _s(x):")
DEADLY = SOL["activations.py"] + "\n\ndef sigmoid(x):\n    return x * 0 - 777.0\n"
WRONG_MUL = SOL["gates.py"].replace("def mul_backward(dout, cache):", "def mul_backward(dout, cache):\n"
                                    "    return cache\n\n\ndef _m(dout, cache):")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course", due=HW07_LATE, hidden=HIDDEN)


def make_class(subs: Path, n: int, slow: int = 0) -> None:
    """``n`` students: right, wrong in one or two places, a few slow ones, and one zip."""
    variants = [{}, {"activations.py": WRONG_SIGMOID}, {"gates.py": WRONG_MUL},
                {"activations.py": WRONG_SIGMOID, "gates.py": WRONG_MUL}, {"optim.py": ""}]
    for i in range(n - 1):
        changes = {"activations.py": SLOW_SIGMOID} if i < slow else variants[i % len(variants)]
        student(subs / f"s{i:02d}", changes)
    zip_student(subs / f"s{n - 1:02d}.zip", {"gates.py": WRONG_MUL})


def grade(subs: Path, course: Path, out: Path, jobs: int = 1):
    return grade_class(subs, course, "hw07", out, jobs=jobs, progress=False)


def timeless(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("execution_time")
    return doc


def test_rerun_grades_only_what_changed(tmp_path: Path, course: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 5)
    first = grade(subs, course, out)
    assert first.graded == 5 and [r.score for r in first.results] == [4, 2, 3, 1, 3]
    before = {p: p.read_bytes() for p in out.rglob("*.json")}

    again = grade(subs, course, out)
    assert again.graded == 0 and again.results == first.results
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before  # not even rewritten

    (subs / "s01" / "activations.py").write_text(SOL["activations.py"])  # s01 fixes sigmoid
    fixed = grade(subs, course, out)
    assert fixed.graded == 1 and [r.score for r in fixed.results] == [4, 4, 3, 1, 3]

    zip_student(subs / "s04.zip", {"gates.py": WRONG_MUL}, date=(2026, 2, 2, 12, 0, 0))  # same files
    assert grade(subs, course, out).graded == 0

    hidden = course / "reference" / "hw07" / "tests" / "test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# a comment: the hidden tests changed\n")
    assert grade(subs, course, out).graded == 5


def class_files(out: Path) -> dict[str, bytes]:
    """Every file a run writes into OUT but the gradebook and the lock (results with their timings)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith((".gradebook", ".lock"))}


def test_a_noop_rerun_reads_no_submission_and_each_result_once(tmp_path: Path, course: Path,
                                                                monkeypatch) -> None:
    from autograder.grading import batch
    from autograder.intake import vetcache

    monkeypatch.setattr(vetcache, "FRESH_NS", 0)  # the class was written a moment ago
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 5)
    first = grade(subs, course, out)
    written = class_files(out)
    assert ".vetting-cache" in written

    def refuse(*args, **kwargs):
        raise AssertionError("an unchanged submission was read again")

    reads = []
    real_load = batch.load_result_text
    monkeypatch.setattr(batch, "load_result_text", lambda o, sid: reads.append(sid) or real_load(o, sid))
    with monkeypatch.context() as m:
        m.setattr(vetcache, "unpack", refuse)
        again = grade(subs, course, out)
    assert again.graded == 0 and again.summary == first.summary and again.results == first.results
    assert reads == sorted(reads) == [r.student_id for r in first.summary]  # each result read once
    assert class_files(out) == written  # not even rewritten: grades.csv has the same bytes

    (out / ".vetting-cache").write_bytes(b"{not json")  # a damaged cache: vetting again, same grades
    assert grade(subs, course, out).graded == 0 and class_files(out) == written

    (subs / "s01" / "activations.py").write_text(SOL["activations.py"])  # s01 fixes sigmoid
    fixed = grade(subs, course, out)
    assert fixed.graded == 1 and [r.score for r in fixed.summary] == [4, 4, 3, 1, 3]
    fresh = tmp_path / "fresh"
    grade(subs, course, fresh)
    now, calm = class_files(out), class_files(fresh)
    assert now.keys() == calm.keys()
    for name in now:  # the same class files as a first run of the changed class
        if name.endswith("results.json"):
            assert timeless(out / name) == timeless(fresh / name), name
        elif name not in (".vetting-cache", ".fingerprints.npz", ".class-files.key"):
            assert now[name] == calm[name], name


def test_killed_batch_resumes_to_the_same_grades(tmp_path: Path, course: Path) -> None:
    subs = tmp_path / "subs"
    make_class(subs, 30, slow=8)
    killed, calm = tmp_path / "killed", tmp_path / "calm"
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--assignment", "hw07", "--out",
           str(killed), "--course", str(course), "--jobs", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(killed.glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the TA's process, its grading processes, their zygotes
    proc.wait()
    finished = list(killed.glob("*/results.json"))
    assert 0 < len(finished) < 30, f"the batch was not killed mid-way ({len(finished)} finished)"
    assert not (killed / "grades.csv").exists()  # no table that looks complete
    for p in finished:
        json.loads(p.read_text(encoding="utf-8"))  # every results.json there is whole

    resumed = grade(subs, course, killed, jobs=2)
    assert resumed.graded == 30 - len(finished)
    whole = grade(subs, course, calm, jobs=2)
    assert whole.graded == 30
    assert (killed / "grades.csv").read_bytes() == (calm / "grades.csv").read_bytes()
    # Same answer every time: the killed-and-resumed run and the calm one wrote the same files,
    # execution_time aside.
    for sid in (r.student_id for r in whole.results):
        assert timeless(killed / sid / "results.json") == timeless(calm / sid / "results.json"), sid
        assert (killed / sid / "feedback.md").read_bytes() == (calm / sid / "feedback.md").read_bytes()
    assert not [p for p in killed.rglob("*.tmp")] and not (killed / ".work").exists()


def test_a_dying_grading_process_costs_one_submission(tmp_path: Path, course: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 4)
    student(subs / "s01b", {"activations.py": DEADLY})  # its grading process dies, twice
    cr = grade(subs, course, out, jobs=2)
    by_id = {r.student_id: r for r in cr.results}
    assert by_id["s01b"].error == GRADER_FAILED and by_id["s01b"].submission_hash == ""
    assert {sid: r.score for sid, r in by_id.items() if sid != "s01b"} == {
        "s00": 4, "s01": 2, "s02": 3, "s03": 3}
    assert all(not r.error for sid, r in by_id.items() if sid != "s01b")
    assert "s01b" in (out / "grades.csv").read_text()
    # A grader failure is not a grade: the next run tries that student again, and only them.
    assert grade(subs, course, out).graded == 1


def test_a_second_run_into_the_same_out_is_refused(tmp_path: Path, course: Path, capsys) -> None:
    fcntl = pytest.importorskip("fcntl")
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 2)
    out.mkdir()
    with open(out / ".lock", "a") as held:  # as a run in progress holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code = main(["grade", str(subs), "--assignment", "hw07", "--out", str(out), "--course", str(course),
                     "--no-progress"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and err == [f"autograder grade: another autograder grade is writing into {out}"]
    assert sorted(os.listdir(out)) == [".lock"]
