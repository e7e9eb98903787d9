"""The gradebook: runs and results recorded once each, history kept across regrades, reports rebuilt
from it, and concurrent writers into one SQLite file losing nothing."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import sqlalchemy as sa
from tiny_course import WRONG_SIGMOID, student

from autograder.cli import main
from autograder.course.errors import GradebookError
from autograder.course.results import ExerciseScore, SubmissionResult
from autograder.course.results import TestResult as Check  # not a test class
from autograder.records import gradebook
from autograder.records.gradebook import (
    DEFAULT_FILE,
    Gradebook,
    db_url,
    results,
    run_entries,
    runs,
    sqlite_path,
)


def result(sid: str, score: float = 1.0, ahash: str = "t1", shash: str = "s1", n_tests: int = 3,
           submitted_at: str = "") -> SubmissionResult:
    tests = tuple(Check(f"test_x.py::test_{i}", f"test {i}", "sigmoid", score / n_tests, 1.0,
                             "passed" if score else "failed", kind="" if score else "wrong",
                             mistake="" if score else "forgot the minus")
                  for i in range(n_tests))
    return SubmissionResult(sid, "hw07", tests, (ExerciseScore("sigmoid", score, float(n_tests), True),),
                            submission_hash=shash, assignment_hash=ahash, submitted_at=submitted_at)


def count(url: str, table: sa.Table, *where) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
    engine.dispose()
    return n


def test_a_result_is_recorded_once_and_a_changed_one_is_added(tmp_path: Path) -> None:
    url = db_url(tmp_path / "gb.sqlite")
    with Gradebook(url) as gb:
        run = gb.start_run("hw07", "t1", tmp_path, {"jobs": 1}, "0.1.0")
        assert gb.record(run, result("ann")) and not gb.record(run, result("ann"))  # same: not again
        again = gb.start_run("hw07", "t1", tmp_path, {}, "0.1.0")  # a resumed run: ann unchanged
        assert not gb.record(again, result("ann"))
        regrade = gb.start_run("hw07", "t2", tmp_path, {}, "0.1.1")  # the hidden tests changed
        assert gb.record(regrade, result("ann", 0.0, ahash="t2"))
        late = gb.start_run("hw07", "t2", tmp_path, {}, "0.1.1")  # the TA supplied a submission time
        assert gb.record(late, result("ann", 0.0, ahash="t2", submitted_at="2026-12-02T10:00:00+03:00"))
        back = gb.start_run("hw07", "t1", tmp_path, {}, "0.1.0")  # the old tests again: a new attempt
        assert gb.record(back, result("ann", ahash="t1"))
        hist = gb.history("ann")
    assert [(h.attempt, h.assignment_hash, h.grader_version, h.score, h.run_id) for h in hist] == [
        (1, "t1", "0.1.0", 1.0, run), (2, "t2", "0.1.1", 0.0, regrade), (3, "t2", "0.1.1", 0.0, late),
        (4, "t1", "0.1.0", 1.0, back)]
    assert count(url, results) == 4 and count(url, runs) == 5 and count(url, run_entries) == 5


def test_latest_rebuilds_results_with_their_tests(tmp_path: Path) -> None:
    out, other = tmp_path / "out", tmp_path / "other"
    url = db_url(tmp_path / "gb.sqlite")
    ann, bob = result("ann", 2.0, submitted_at="2026-12-02T10:00:00+03:00"), result("bob", 0.0)
    with Gradebook(url) as gb:
        first = gb.start_run("hw07", "t1", out, {}, "0.1.0")
        gb.record_many(first, [ann, bob, result("cid")])
        gb.finish_run(first)
        second = gb.start_run("hw07", "t1", out, {}, "0.1.0")  # cid's submission was withdrawn
        gb.record_many(second, [ann, result("bob", 3.0, shash="s2")])
        gb.finish_run(second)
        gb.record(gb.start_run("hw07", "t1", other, {}, "0.1.0"), result("dan"))  # another class
        name, latest = gb.latest(out)
        with pytest.raises(GradebookError, match="records no grading run into"):
            gb.latest(tmp_path / "nowhere")
    assert name == "hw07" and [r.student_id for r in latest] == ["ann", "bob"]
    assert latest[0] == ann  # every field, tests included, as it was recorded
    assert latest[1].score == 3.0 and latest[1].submission_hash == "s2"


def test_db_urls(tmp_path: Path) -> None:
    assert sqlite_path(db_url(None, tmp_path)) == tmp_path / DEFAULT_FILE
    assert sqlite_path(db_url(str(tmp_path))) == tmp_path / DEFAULT_FILE  # a folder holds one
    assert sqlite_path(db_url(tmp_path / "x.db")) == tmp_path / "x.db"
    odd = tmp_path / "a?b#c" / "out"  # glued into "sqlite:///...", the '?' would start a query
    odd.mkdir(parents=True)
    with Gradebook(db_url(None, odd)):
        pass
    assert (odd / DEFAULT_FILE).is_file() and not (tmp_path / "a").exists()
    assert db_url("postgresql://ta@db/course") == "postgresql://ta@db/course"
    with pytest.raises(GradebookError, match="there is no gradebook at"):
        Gradebook(db_url(tmp_path / "missing.sqlite"), create=False)


def test_a_raced_write_is_retried_and_a_broken_one_is_named(tmp_path: Path, monkeypatch) -> None:
    """On a server database two writers can pick the same attempt number: the loser retries."""
    url, calls, real = db_url(tmp_path / "gb.sqlite"), [], gradebook._record
    unique = sa.exc.IntegrityError("INSERT INTO results ...", {}, Exception("UNIQUE constraint failed"))

    def raced_once(c, run_id, rs):
        calls.append(run_id)
        if len(calls) == 1:
            raise unique
        return real(c, run_id, rs)

    with Gradebook(url) as gb:
        run = gb.start_run("hw07", "t1", tmp_path, {}, "0.1.0")
        monkeypatch.setattr(gradebook, "_record", raced_once)
        assert gb.record(run, result("ann")) and len(calls) == 2
        monkeypatch.setattr(gradebook, "_record", lambda c, run_id, rs: (_ for _ in ()).throw(unique))
        with pytest.raises(GradebookError, match="recording bob in sqlite.*UNIQUE constraint failed"):
            gb.record(run, result("bob"))
    assert count(url, results) == 1


WRITERS, STUDENTS, TESTS = 4, 30, 5


def _writer(url: str, n: int, barrier) -> None:
    """One grading run recording into the shared gradebook, a transaction per student."""
    barrier.wait()  # all open, create the tables and write at the same moment
    gb = Gradebook(url)
    run = gb.start_run("hw07", "t1", Path(f"/class/{n}"), {"writer": n}, "0.1.0")
    for i in range(STUDENTS):
        gb.record(run, result(f"w{n}-s{i:02d}", n_tests=TESTS))
    gb.record(run, result("shared", n_tests=TESTS))  # the same result from every writer: kept once
    gb.finish_run(run)
    gb.close()


def test_concurrent_writers_lose_no_rows(tmp_path: Path) -> None:
    url = db_url(tmp_path / "gb.sqlite")
    ctx = mp.get_context("fork")  # sqlalchemy already imported: the time goes to the writing
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(url, n, barrier)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    assert count(url, runs) == WRITERS and count(url, runs, runs.c.finished_at.is_(None)) == 0
    assert count(url, results) == WRITERS * STUDENTS + 1
    assert count(url, gradebook.test_results) == (WRITERS * STUDENTS + 1) * TESTS
    assert count(url, run_entries) == WRITERS * (STUDENTS + 1)
    assert count(url, results, results.c.student_id == "shared") == 1


def test_grade_records_every_run_history_and_report_rebuild(tmp_path: Path, course: Path, capsys,
                                                            monkeypatch) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    student(subs / "ann")
    student(subs / "bob", {"activations.py": WRONG_SIGMOID})
    times = tmp_path / "times.csv"
    times.write_text("student_id,submitted_at\nbob,2026-12-03T11:59:00+03:00\n")
    grade = ["grade", str(subs), "--assignment", "hw07", "--out", str(out), "--course", str(course),
             "--jobs", "1", "--no-progress", "--submitted-at", str(times)]
    url = db_url(None, out)

    # A run killed after every student finished, before its end: what finished is recorded already.
    def killed(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Gradebook, "record_many", killed)
    assert main(grade) == 130
    monkeypatch.undo()
    assert count(url, results) == 2 and count(url, runs, runs.c.finished_at.is_(None)) == 1
    assert not (out / "grades.csv").exists()

    assert main(grade) == 0  # resumes: nothing to grade, nothing recorded twice
    assert "gradebook: sqlite:///" in capsys.readouterr().out
    assert count(url, results) == 2 and count(url, runs) == 2
    table = (out / "grades.csv").read_bytes()

    hidden = course / "reference/hw07/tests/test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# the hidden tests changed\n")
    assert main(grade) == 0  # a regrade: new results, the old ones kept
    assert count(url, results) == 4 and count(url, runs) == 3
    capsys.readouterr()

    assert main(["history", "bob", "--db", str(out), "--assignment", "hw07"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "bob, hw07: 2 attempts"
    rows = [ln.split() for ln in lines[2:]]
    assert [r[0] for r in rows] == ["1", "2"] and rows[0][-3] != rows[1][-3]  # two test hashes
    assert all("1.2 / 4" in ln and "-0.8 (2 d)" in ln and "2026-12-03T11:59:00+03:00" in ln
               for ln in lines[2:])
    assert main(["history", "nobody", "--db", str(out)]) == 1
    assert main(["history", "bob", "--db", str(tmp_path / "nothing-here.sqlite")]) == 2

    for name in ("grades.csv", "report.html", "item_analysis.csv"):
        (out / name).unlink()
    assert main(["report", str(out), "--course", str(course)]) == 0
    assert "class files of" in capsys.readouterr().out
    assert (out / "grades.csv").read_bytes() == table  # same grades, rebuilt without grading
    assert "bob" in (out / "report.html").read_text() and (out / "item_analysis.csv").is_file()
    assert main(["report", str(tmp_path / "subs"), "--db", url, "--course", str(course)]) == 2
