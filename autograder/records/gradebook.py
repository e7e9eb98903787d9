"""The gradebook: every grading run and every result it produced, kept in a database.

SQLAlchemy Core, so any SQLAlchemy URL works (``--db``). The default is the SQLite file
``OUT/.gradebook.sqlite`` beside the results it records; a path is taken as a SQLite file, a folder
as ``FOLDER/.gradebook.sqlite``. Its name starts with "." so it can never be a student's folder.

Tables:
- ``runs``: one per ``autograder grade``: when it started and finished, grader version, assignment,
  assignment/test hash, results folder, options (jobs, late policy, ...);
- ``results``: each distinct result of a student, numbered ``attempt`` 1, 2, ... per (assignment,
  student): submission content hash, assignment hash, grader version, submission time, due date,
  days late, raw score, penalty, final score, max score, error, notes, exercise scores;
- ``test_results``: each test of a result: nodeid, name, exercise, score, max, status, kind, mistake;
- ``run_entries``: the result each student had in each run (a resumed run lists its unchanged
  students too, pointing at their existing results).

Idempotent: a result is added only when it differs from the student's latest one for the assignment in
what decides it (submission hash, assignment hash, submission time, due date, score, error). A resumed
run adds none; a regrade after the hidden tests changed adds one and keeps the old.

Concurrent writers lose nothing: on SQLite, a WAL journal, a 30 s busy timeout, write transactions that
take the write lock when they begin (BEGIN IMMEDIATE, so none fails upgrading a read lock), and retries
with backoff; on any database, the unique (assignment, student_id, attempt) makes two writers racing
for one student retry instead of both inserting.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from autograder.course.errors import GradebookError
from autograder.course.kinds import Kind, Status
from autograder.course.outdir import GRADEBOOK
from autograder.course.results import ExerciseScore, SubmissionResult, TestResult

DEFAULT_FILE = GRADEBOOK
RETRIES = 15  # busy/raced write transactions, with backoff from 50 ms to 2 s (on top of the busy timeout)

meta = sa.MetaData()

runs = sa.Table(
    "runs", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),  # NULL: killed, or still running
    sa.Column("grader_version", sa.String(40), nullable=False),
    sa.Column("assignment", sa.String(200), nullable=False),
    sa.Column("assignment_hash", sa.String(64), nullable=False),
    sa.Column("out", sa.Text, nullable=False),  # the results folder, resolved
    sa.Column("options", sa.Text, nullable=False),  # JSON
)

results = sa.Table(
    "results", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.ForeignKey("runs.id"), nullable=False),  # the run that recorded it
    sa.Column("assignment", sa.String(200), nullable=False),
    sa.Column("student_id", sa.String(255), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("submission_hash", sa.String(64), nullable=False),
    sa.Column("assignment_hash", sa.String(64), nullable=False),
    sa.Column("grader_version", sa.String(40), nullable=False),
    sa.Column("submitted_at", sa.String(40), nullable=False),
    sa.Column("due", sa.String(40), nullable=False),
    sa.Column("late_days", sa.Integer, nullable=False),
    sa.Column("raw_score", sa.Float, nullable=False),
    sa.Column("late_penalty", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("execution_time", sa.Float, nullable=False),
    sa.Column("exercises", sa.Text, nullable=False),  # JSON [[id, score, max_score, core], ...]
    sa.Column("notes", sa.Text, nullable=False),  # JSON
    sa.Column("layers", sa.Text, nullable=False),  # JSON: isolation layers that were active
    sa.UniqueConstraint("assignment", "student_id", "attempt"),
)

test_results = sa.Table(
    "test_results", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("result_id", sa.ForeignKey("results.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("nodeid", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("exercise", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("mistake", sa.Text, nullable=False),
    sa.Column("feedback", sa.Text, nullable=False),
    sa.Column("visibility", sa.String(20), nullable=False),
)

run_entries = sa.Table(
    "run_entries", meta,
    sa.Column("run_id", sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("student_id", sa.String(255), primary_key=True),
    sa.Column("result_id", sa.ForeignKey("results.id"), nullable=False),
)

_KEY = ("submission_hash", "assignment_hash", "submitted_at", "due", "score", "error")  # see _key
T = TypeVar("T")


@dataclass(frozen=True)
class Attempt:
    """One recorded result of a student, as ``autograder history`` lists it."""

    assignment: str
    attempt: int
    recorded_at: str
    submission_hash: str
    assignment_hash: str
    grader_version: str
    submitted_at: str
    late_days: int
    raw_score: float
    late_penalty: float
    score: float
    max_score: float
    error: str
    run_id: int


def db_url(db: str | Path | None, out: Path | None = None) -> str | sa.engine.URL:
    """A SQLAlchemy URL: a URL as given; a file path as SQLite; a folder (default ``out``) as its
    ``.gradebook.sqlite``. A path becomes a ``URL`` object (``URL.create``), never text glued to
    ``sqlite:///``, so a path holding ``?`` or ``#`` names that file, not a query."""
    if db is None:
        if out is None:
            raise ValueError("db_url: neither a database nor a results folder")
        return sa.engine.URL.create("sqlite", database=str((Path(out) / DEFAULT_FILE).resolve()))
    text = str(db)
    if "://" in text:
        return text
    p = Path(text)
    return sa.engine.URL.create("sqlite", database=str((p / DEFAULT_FILE if p.is_dir() else p).resolve()))


def sqlite_path(url: str | sa.engine.URL) -> Path | None:
    """The file of a SQLite URL (None: another database, or in memory)."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return Path(u.database)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _busy(exc: sa.exc.DBAPIError) -> bool:
    msg = str(exc.orig).lower()
    return any(w in msg for w in ("locked", "busy", "deadlock", "could not serialize"))


def _engine(url: str | sa.engine.URL) -> sa.Engine:
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN from the driver: ours below
        cur = dbapi_conn.cursor()
        for pragma in ("busy_timeout=30000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Gradebook:
    """A connection to the gradebook at ``url`` (created with its tables when ``create``)."""

    def __init__(self, url: str | sa.engine.URL, create: bool = True):
        try:
            u = sa.engine.make_url(url)
            self.where = u.render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            raise GradebookError(f"{url!r} is not a database URL or a path") from None
        path = sqlite_path(url)
        if path is not None and not create and not path.is_file():
            raise GradebookError(f"there is no gradebook at {path}")
        try:
            self.engine = _engine(url)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            raise GradebookError(f"cannot open the gradebook {self.where}: {exc}") from None
        if create:
            self._write(lambda conn: meta.create_all(conn), "creating the tables")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, fn: Callable[[sa.Connection], T], what: str) -> T:
        """Run ``fn`` in one write transaction; retried while the database is busy or a writer raced."""
        delay, err, raced = 0.05, None, 0
        for _ in range(RETRIES):
            try:
                with self.engine.begin() as conn:
                    return fn(conn)
            except sa.exc.IntegrityError as exc:  # another writer took this attempt number
                raced += 1
                if raced > 3:  # not a race: a constraint this write breaks
                    raise GradebookError(f"{what} in {self.where}: {exc.orig}") from None
                err = exc
            except sa.exc.OperationalError as exc:
                if not _busy(exc):
                    raise GradebookError(f"{what} in {self.where}: {exc.orig}") from None
                err = exc
            except sa.exc.SQLAlchemyError as exc:
                raise GradebookError(f"{what} in {self.where}: {exc}") from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(2 * delay, 2.0)
        raise GradebookError(f"{what} in {self.where}: still failing after {RETRIES} tries "
                             f"({getattr(err, 'orig', err)})")

    def _read(self, fn: Callable[[sa.Connection], T], what: str) -> T:
        try:
            with self.engine.connect() as conn:
                return fn(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise GradebookError(f"{what} in {self.where}: {getattr(exc, 'orig', None) or exc}") from None

    # -- writing

    def start_run(self, assignment: str, assignment_hash: str, out: Path, options: dict,
                  grader_version: str) -> int:
        row = {"started_at": _now(), "grader_version": grader_version, "assignment": assignment,
               "assignment_hash": assignment_hash, "out": str(Path(out).resolve()),
               "options": json.dumps(options, sort_keys=True, default=str)}
        return self._write(lambda c: c.execute(sa.insert(runs).values(**row)).inserted_primary_key[0],
                           "recording the run")

    def finish_run(self, run_id: int) -> None:
        self._write(lambda c: c.execute(sa.update(runs).where(runs.c.id == run_id)
                                        .values(finished_at=_now())), "closing the run")

    def record(self, run_id: int, r: SubmissionResult) -> bool:
        """Record ``r`` as this run's result for its student; True when it is a new result."""
        return bool(self._write(lambda c: _record(c, run_id, [r]), f"recording {r.student_id}"))

    def record_many(self, run_id: int, rs: Iterable[SubmissionResult], per_transaction: int = 200,
                    full: Callable[[SubmissionResult], SubmissionResult | None] | None = None) -> int:
        """``record`` each of ``rs``, a few hundred per transaction; returns how many were new.

        ``full(r)``: the complete result when ``r`` is one without its tests (a summary), called only
        for a result that must be added (None: ``r`` is skipped); so a class whose results are all
        recorded already is recorded without reading them."""
        rs, new = list(rs), 0
        for i in range(0, len(rs), per_transaction):
            chunk = rs[i:i + per_transaction]
            new += self._write(lambda c, chunk=chunk: _record(c, run_id, chunk, full),
                               f"recording {len(chunk)} results")
        return new

    # -- reading

    def history(self, student_id: str, assignment: str | None = None) -> list[Attempt]:
        """Every recorded result of ``student_id``, oldest first (per assignment)."""
        q = sa.select(*(results.c[f] for f in Attempt.__dataclass_fields__)).where(
            results.c.student_id == student_id)
        if assignment:
            q = q.where(results.c.assignment == assignment)
        q = q.order_by(results.c.assignment, results.c.attempt)
        return self._read(lambda c: [Attempt(**row._mapping) for row in c.execute(q)], "reading history")

    def latest(self, out: Path, assignment: str | None = None) -> tuple[str, list[SubmissionResult]]:
        """The assignment last graded into ``out`` and each student's latest result there.

        The students are those of the last finished run into ``out`` (all students of its runs when
        none finished); each one's result is the one of the last run into ``out`` that lists them.
        """
        where = str(Path(out).resolve())

        def read(c: sa.Connection) -> tuple[str, list[SubmissionResult]]:
            q = sa.select(runs.c.id, runs.c.assignment, runs.c.finished_at).where(runs.c.out == where)
            if assignment:
                q = q.where(runs.c.assignment == assignment)
            found = list(c.execute(q.order_by(runs.c.id)))
            if not found:
                raise GradebookError(f"{self.where} records no grading run into {out}"
                                     + (f" for {assignment}" if assignment else ""))
            name = found[-1].assignment
            ids = [r.id for r in found if r.assignment == name]
            finished = [r.id for r in found if r.assignment == name and r.finished_at]
            entries = list(c.execute(sa.select(run_entries).where(run_entries.c.run_id.in_(ids))
                                     .order_by(run_entries.c.run_id)))
            latest = {e.student_id: e.result_id for e in entries}
            roster = ({e.student_id for e in entries if e.run_id == finished[-1]} if finished
                      else set(latest))
            return name, _load(c, [latest[s] for s in sorted(roster)])

        return self._read(read, "reading the latest results")


def _key(x) -> tuple:
    """What decides a result: a new one is recorded only when this differs from the latest."""
    return (x.submission_hash, x.assignment_hash, x.submitted_at, x.due, round(x.score, 6), x.error)


def _record(c: sa.Connection, run_id: int, rs: list[SubmissionResult],
            full: Callable[[SubmissionResult], SubmissionResult | None] | None = None) -> int:
    """Record ``rs`` (a few hundred at most) in this run, in a handful of statements; how many were new."""
    version = c.execute(sa.select(runs.c.grader_version).where(runs.c.id == run_id)).scalar_one()
    latest = {}
    for name in {r.assignment for r in rs}:
        sids = sorted({r.student_id for r in rs if r.assignment == name})
        q = (sa.select(results.c.id, results.c.attempt, results.c.student_id, *(results.c[k] for k in _KEY))
             .where(results.c.assignment == name, results.c.student_id.in_(sids)).order_by(results.c.attempt))
        latest.update({(name, row.student_id): row for row in c.execute(q)})
    entries, new = {}, 0
    for r in rs:
        last = latest.get((r.assignment, r.student_id))
        if last is not None and _key(last) == _key(r):
            entries[r.student_id] = last.id
            continue
        if full is not None:
            r = full(r)
            if r is None:
                continue
        attempt = 1 if last is None else last.attempt + 1
        rid = c.execute(sa.insert(results), dict(
            run_id=run_id, assignment=r.assignment, student_id=r.student_id, attempt=attempt,
            recorded_at=_now(), submission_hash=r.submission_hash, assignment_hash=r.assignment_hash,
            grader_version=version, submitted_at=r.submitted_at, due=r.due, late_days=r.late_days,
            raw_score=r.raw_score, late_penalty=r.late_penalty, score=r.score, max_score=r.max_score,
            error=r.error, execution_time=r.execution_time,
            exercises=json.dumps([[e.id, e.score, e.max_score, e.core] for e in r.exercises]),
            notes=json.dumps(list(r.notes), ensure_ascii=False), layers=json.dumps(list(r.layers)),
        )).inserted_primary_key[0]
        if r.tests:
            c.execute(sa.insert(test_results), [
                {"result_id": rid, "position": i, "nodeid": t.nodeid, "name": t.name, "exercise": t.exercise,
                 "score": t.score, "max_score": t.max_score, "status": t.status, "kind": t.kind,
                 "mistake": t.mistake, "feedback": t.feedback, "visibility": t.visibility}
                for i, t in enumerate(r.tests)])
        latest[(r.assignment, r.student_id)] = _Row(rid, attempt, r.submission_hash, r.assignment_hash,
                                                    r.submitted_at, r.due, r.score, r.error)
        entries[r.student_id] = rid
        new += 1
    c.execute(sa.delete(run_entries).where(run_entries.c.run_id == run_id,
                                           run_entries.c.student_id.in_(sorted(entries))))
    c.execute(sa.insert(run_entries), [{"run_id": run_id, "student_id": sid, "result_id": rid}
                                       for sid, rid in entries.items()])
    return new


@dataclass(frozen=True)
class _Row:
    """A result just inserted, as the latest of its student (the same student twice in one call)."""

    id: int
    attempt: int
    submission_hash: str
    assignment_hash: str
    submitted_at: str
    due: str
    score: float
    error: str


def _load(c: sa.Connection, ids: Iterable[int]) -> list[SubmissionResult]:
    """The results with these ids, in that order, rebuilt with their tests."""
    ids = list(ids)
    rows, tests = {}, {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows.update({r.id: r for r in c.execute(sa.select(results).where(results.c.id.in_(chunk)))})
        for t in c.execute(sa.select(test_results).where(test_results.c.result_id.in_(chunk))
                           .order_by(test_results.c.result_id, test_results.c.position)):
            tests.setdefault(t.result_id, []).append(TestResult(
                nodeid=t.nodeid, name=t.name, exercise=t.exercise, score=t.score, max_score=t.max_score,
                status=Status(t.status), feedback=t.feedback, kind=Kind(t.kind), mistake=t.mistake,
                visibility=t.visibility))
    out = []
    for rid in ids:
        r = rows[rid]
        out.append(SubmissionResult(
            student_id=r.student_id, assignment=r.assignment, tests=tuple(tests.get(rid, ())),
            exercises=tuple(ExerciseScore(*e) for e in json.loads(r.exercises)),
            notes=tuple(json.loads(r.notes)), layers=tuple(json.loads(r.layers)),
            submission_hash=r.submission_hash, assignment_hash=r.assignment_hash,
            execution_time=r.execution_time, error=r.error, submitted_at=r.submitted_at, due=r.due,
            late_days=r.late_days, late_penalty=r.late_penalty))
    return out
