"""The dispatcher: claims queued jobs under a lease, grades them through an executor, records each
result exactly once. It is the only writer of results; the web process only queues.

- **Claim**: one statement, ``UPDATE jobs SET state='running', attempt=attempt+1, owner=me,
  lease_until=now+lease WHERE id = (SELECT id ... ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)``
  (SKIP LOCKED on PostgreSQL; SQLite serialises writers). Claimable: queued, or running with an
  expired lease (its dispatcher died): that is how a killed dispatcher's jobs come back.
- **Heartbeat**: every ``heartbeat_seconds`` the leases of the jobs in flight are extended.
- **Record** (compare-and-set): the job row moves to done only if it still has this attempt and is
  running, the outcome's assignment hash is the one this dispatcher graded with and its submission
  hash is the task's; the result row is unique per submission. A stale outcome (the lease expired
  and another dispatcher took the job) changes nothing.
- **Retry rule**: a lost task (grading process died, lease expired) is queued again; after
  ``ATTEMPTS`` lost attempts it is recorded as a grader failure: status ``failed``, which does not
  count against the student's attempts, and never counts as the student's grade. When the grader
  of an assignment cannot run at all (its hidden tests cannot be collected), no attempt is spent:
  its jobs stay queued and the assignment is tried again after ``BACKOFF`` seconds.
- **Vetting**: the stored upload is vetted here with ``autograder.intake`` (the same rules as
  ``autograder grade``), in the assignment's language, and handed to the executor as bytes.
- **Late policy**: applied again here from the server's receipt time, with the student's extension.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from autograder.portal.db.engine import make_engine, migrate, sessions
from autograder.portal.db.models import Job, JobState, Result, Submission, SubmissionStatus, now
from autograder.portal.seam import local_executor
from autograder.portal.settings import Settings
from autograder.portal.storage import Storage

log = logging.getLogger("autograder.portal.dispatcher")
ATTEMPTS = 2  # lost attempts before a job is recorded as a grader failure
BACKOFF = 30.0  # seconds before an assignment whose grader cannot start is tried again
REFRESH = 5.0  # seconds between checks that an assignment's tests, reference and engine are unchanged


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int
    submission_id: str
    student_id: str
    assignment: str
    submitted_at: str
    submission_hash: str = ""  # of the vetted files and notes (set when the task is built)

    @property
    def key(self) -> str:
        return f"{self.job_id}.{self.attempt}"


def claim_one(db: Session, owner: str, lease: float, skip: Collection[str] = ()) -> Claim | None:
    """Claim the oldest claimable job (queued, or running with an expired lease), or None.
    ``skip``: assignments not to claim now (their grader cannot start)."""
    t = now()
    expired = sa.and_(Job.state == JobState.RUNNING, Job.lease_until < t)
    claimable = sa.or_(Job.state == JobState.QUEUED, expired)
    pick = sa.select(Job.id).where(claimable)
    if skip:
        pick = pick.join(Submission, Submission.id == Job.submission_id).where(
            Submission.assignment.notin_(sorted(skip)))
    pick = pick.order_by(Job.id).limit(1).with_for_update(skip_locked=True, of=Job).scalar_subquery()
    row = db.execute(sa.update(Job).where(Job.id == pick, claimable)
                     .values(state=JobState.RUNNING, attempt=Job.attempt + 1, owner=owner,
                             lease_until=t + timedelta(seconds=lease))
                     .returning(Job.id, Job.attempt, Job.submission_id)).first()
    if row is None:
        db.rollback()
        return None
    sub = db.get(Submission, row.submission_id)
    sub.status = SubmissionStatus.GRADING
    db.commit()
    return Claim(row.id, row.attempt, sub.id, sub.user_id, sub.assignment, sub.received_at.isoformat())


def heartbeat(db: Session, owner: str, claims: list[Claim], lease: float) -> None:
    if not claims:
        return
    for c in claims:
        db.execute(sa.update(Job).where(Job.id == c.job_id, Job.attempt == c.attempt, Job.owner == owner,
                                        Job.state == JobState.RUNNING)
                   .values(lease_until=now() + timedelta(seconds=lease)))
    db.commit()


def record(db: Session, c: Claim, assignment_hash: str, results_json: str, score: float, max_score: float,
           grader_failure: bool = False) -> bool:
    """Compare-and-set: the job is still this attempt's and running; then the one result row.
    False (nothing changed) when the outcome is stale or the submission already has its result."""
    res = db.execute(sa.update(Job).where(Job.id == c.job_id, Job.attempt == c.attempt,
                                          Job.state == JobState.RUNNING)
                     .values(state=JobState.DONE, lease_until=None))
    if res.rowcount != 1:
        db.rollback()
        return False
    db.add(Result(submission_id=c.submission_id, job_id=c.job_id, attempt=c.attempt,
                  submission_hash=c.submission_hash, assignment_hash=assignment_hash,
                  results_json=results_json, score=score, max_score=max_score, grader_failure=grader_failure))
    db.execute(sa.update(Submission).where(Submission.id == c.submission_id).values(
        status=SubmissionStatus.FAILED if grader_failure else SubmissionStatus.GRADED,
        score=None if grader_failure else score, max_score=max_score))
    try:
        db.commit()
    except sa.exc.IntegrityError:
        db.rollback()
        return False
    return True


def requeue(db: Session, c: Claim, why: str, keep_attempt: bool = False) -> bool:
    """Give a lost attempt back to the queue (``keep_attempt``: a clean shutdown, not a loss)."""
    job = db.get(Job, c.job_id)
    if job is None or job.attempt != c.attempt or job.state != JobState.RUNNING:
        db.rollback()
        return False
    values = {"state": JobState.QUEUED, "owner": "", "lease_until": None}
    if keep_attempt:
        values["attempt"] = Job.attempt - 1
    else:
        values["failures"] = (job.failures + f"attempt {c.attempt}: {why}\n")[-4000:]
    db.execute(sa.update(Job).where(Job.id == c.job_id, Job.attempt == c.attempt,
                                    Job.state == JobState.RUNNING).values(**values))
    db.execute(sa.update(Submission).where(Submission.id == c.submission_id)
               .values(status=SubmissionStatus.QUEUED))
    db.commit()
    return True


class _Assignment:
    """What the dispatcher keeps per assignment: the assignment, its grading hash, its executor."""

    def __init__(self, course: Path, name: str, make_executor, jobs: int, log_dir: Path):
        from autograder.course import i18n
        from autograder.course.assignment import find_assignment
        from autograder.portal.seam import AssignmentRef, grading_hash

        self.a, self.secrets = find_assignment(course, name)
        self.lang = i18n.check_lang(self.a.lang)
        self.ahash = grading_hash(self.a, self.secrets, self.lang)
        self.locales = (self.secrets.locale, self.a.locale)
        self.ref = AssignmentRef(str(Path(course).resolve()), name, self.lang, self.ahash)
        self.executor = make_executor(self.ref, jobs, log_dir)
        self.course, self.checked = course, time.monotonic()

    def stale(self) -> bool:
        """Its tests, reference, catalogues or the engine changed on disk since it started (looked at
        every REFRESH s; an assignment that cannot be read now is stale too)."""
        from autograder.course import i18n
        from autograder.course.assignment import find_assignment
        from autograder.portal.seam import grading_hash

        t = time.monotonic()
        if t - self.checked < REFRESH:
            return False
        self.checked = t
        try:
            a, secrets = find_assignment(self.course, self.a.name)
            return grading_hash(a, secrets, i18n.check_lang(a.lang)) != self.ahash
        except Exception:  # noqa: BLE001 - mid-edit or broken: a new session says why (the backoff)
            return True


class Dispatcher:
    """Claims, grades and records until ``stop`` is set (or, with ``until_idle``, the queue is empty)."""

    def __init__(self, settings: Settings, engine: sa.Engine | None = None, make_executor=local_executor,
                 poll: float = 0.2):
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        migrate(self.engine)
        self.sessions = sessions(self.engine)
        self.storage = Storage(settings.data)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.make_executor, self.poll = make_executor, poll
        self.log_dir = settings.data / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.assignments: dict[str, _Assignment] = {}
        self.inflight: dict[str, tuple[Claim, _Assignment]] = {}
        self.recorded = 0
        self.broken: dict[str, tuple[float, str]] = {}  # assignment -> (retry after, why): not claimed
        self._beat = 0.0

    # -- the loop

    def run(self, stop: threading.Event | None = None, until_idle: bool = False,
            deadline: float | None = None) -> int:
        """Returns how many results it recorded."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"dispatcher: still busy after its deadline ({len(self.inflight)} in "
                                       f"flight)")
                self._heartbeat()
                claimed = self._fill()
                if self.inflight:
                    self._collect(self.poll)
                elif until_idle and not claimed:
                    break
                else:
                    stop.wait(self.poll)
        finally:
            self.close()
        return self.recorded

    def _heartbeat(self, force: bool = False) -> None:
        t = time.monotonic()
        if force or t - self._beat >= self.settings.heartbeat_seconds:
            self._beat = t
            with self.sessions() as db:
                claims = [c for c, _x in self.inflight.values()]
                heartbeat(db, self.owner, claims, self.settings.lease_seconds)

    def window(self) -> int:
        """Jobs claimed at once: what the executors want in flight (a Dask cluster's is its worker
        threads, twice over), at least ``settings.jobs``; the rest of the backlog stays in the database."""
        want = [1, self.settings.jobs]
        for x in list(self.assignments.values()):
            try:
                want.append(x.executor.capacity())
            except Exception as exc:  # noqa: BLE001 - e.g. the scheduler is gone: the service's backoff
                log.exception("executor for %s failed", x.a.name)
                self._drop_executor(x, f"{type(exc).__name__}: {exc}")
        return max(want)

    def _fill(self) -> int:
        claimed = 0
        t = time.monotonic()
        for name in [n for n, (until, _why) in self.broken.items() if until <= t]:
            del self.broken[name]
        while len(self.inflight) < self.window():
            with self.sessions() as db:
                c = claim_one(db, self.owner, self.settings.lease_seconds, skip=self.broken)
            if c is None:
                break
            claimed += 1
            self._start(c)
        if not claimed:  # no job waits: grade regrade previews (the pages' autograder.portal.web.regrade)
            from autograder.portal.web import regrade_dispatch

            claimed += regrade_dispatch.fill(self)
        return claimed

    def _assignment(self, name: str) -> _Assignment:
        """The warm grader of ``name``; a new one when the course changed on disk (a test fixed, a
        reference corrected): new claims get the new tests, and the old grader finishes what it holds."""
        x = self.assignments.get(name)
        if x is not None and x.stale():
            log.info("the tests of %s changed: new claims get new grading processes", name)
            self._retire(x)
            x = None
        if x is None:
            x = self.assignments[name] = _Assignment(self.settings.course, name, self.make_executor,
                                                     self.settings.jobs, self.log_dir)
        return x

    def _retire(self, x: _Assignment) -> None:
        """No new tasks for ``x``; closed once its tasks in flight are back (``_collect``)."""
        if self.assignments.get(x.a.name) is x:
            del self.assignments[x.a.name]
        if not any(cx is x for _c, cx in self.inflight.values()):
            with contextlib.suppress(Exception):
                x.executor.close()

    def _start(self, c: Claim) -> None:
        if c.attempt > ATTEMPTS:  # its earlier attempts' leases expired (dispatchers died)
            self._fail(c, None, "the grading of this submission was interrupted too often")
            return
        try:
            x = self._assignment(c.assignment)
        except Exception as exc:  # noqa: BLE001 - the grader cannot start: not this student's attempt
            self._broken(c.assignment, f"{type(exc).__name__}: {exc}")
            with self.sessions() as db:
                requeue(db, c, "", keep_attempt=True)
            return
        try:
            task, c = self._task(c, x)
        except Exception as exc:  # noqa: BLE001 - a grader fault: this attempt is lost, not the dispatcher
            log.exception("cannot start job %s", c.key)
            self._lost(c, None, f"{type(exc).__name__}: {exc}")
            return
        self.inflight[c.key] = (c, x)
        try:
            x.executor.submit(task)
        except Exception as exc:  # noqa: BLE001 - the grader cannot run: this job waits, attempts kept
            log.exception("executor for %s failed", x.a.name)
            self._drop_executor(x, f"{type(exc).__name__}: {exc}")

    def _task(self, c: Claim, x: _Assignment):
        from autograder.course import i18n
        from autograder.intake.unpack import unpack_upload
        from autograder.portal.seam import GradeTask
        from autograder.portal.submissions import upload_files

        with self.sessions() as db:
            sub = db.get(Submission, c.submission_id)
        files = upload_files(self.storage, sub)
        with i18n.language(x.lang, x.locales):
            u = unpack_upload(files, x.a.files_map())
        c = replace(c, submission_hash=u.hash)
        return GradeTask(key=c.key, student_id=c.student_id, files=u.files, notes=u.notes,
                         submission_hash=u.hash, submitted_at=c.submitted_at, error=u.error), c

    def _collect(self, timeout: float) -> None:
        busy = {x for _c, x in self.inflight.values()}
        for x in busy:
            try:
                outcomes = x.executor.completed(timeout / max(1, len(busy)))
            except Exception as exc:  # noqa: BLE001 - the grader cannot run: its tasks are lost
                log.exception("executor for %s failed", x.a.name)
                self._drop_executor(x, f"{type(exc).__name__}: {exc}")
                continue
            for o in outcomes:
                item = self.inflight.pop(o.key, None)
                if item is None:
                    continue
                c, _x = item
                if o.results_json is None:
                    self._lost(c, x, o.failure or "lost")
                else:
                    self._finish(c, x, o.results_json)
            if self.assignments.get(x.a.name) is not x:  # retired: closed when its last task is back
                self._retire(x)

    def _broken(self, name: str, why: str) -> None:
        """The grader of ``name`` cannot run: its jobs wait (queued, attempts kept) for BACKOFF s."""
        log.error("cannot grade %s now (retrying in %g s): %s", name, BACKOFF, why)
        self.broken[name] = (time.monotonic() + BACKOFF, why)

    def _drop_executor(self, x: _Assignment, why: str) -> None:
        """The executor says the grader cannot run: its jobs go back (attempts kept), the assignment waits."""
        self._broken(x.a.name, why)
        for key, (c, cx) in list(self.inflight.items()):
            if cx is x:
                del self.inflight[key]
                with self.sessions() as db:
                    requeue(db, c, "", keep_attempt=True)
        with contextlib.suppress(Exception):
            x.executor.close()
        if self.assignments.get(x.a.name) is x:
            del self.assignments[x.a.name]

    # -- outcomes

    def _validated(self, c: Claim, x: _Assignment, text: str):
        """The result in ``text`` if it is this task's (student, assignment hash, submission hash)."""
        from autograder.render.gradescope import from_gradescope

        r = from_gradescope(json.loads(text))
        if r.student_id != c.student_id:
            raise ValueError(f"the result is for {r.student_id!r}, not {c.student_id!r}")
        if r.assignment_hash != x.ahash:
            raise ValueError(f"the result's assignment hash {r.assignment_hash} is not {x.ahash}")
        if r.submission_hash != c.submission_hash:
            raise ValueError("the result's submission hash is not the task's")
        return r

    def _finish(self, c: Claim, x: _Assignment, text: str) -> None:
        from autograder.course.late import apply_late
        from autograder.portal.policy import late_for
        from autograder.portal.submissions import extension
        from autograder.portal.web import regrade_dispatch
        from autograder.render import gradescope

        if isinstance(c, regrade_dispatch.RegradeClaim):
            return regrade_dispatch.finish(self, c, x, text)
        try:
            r = self._validated(c, x, text)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            self._lost(c, x, f"an invalid result: {exc}")
            return
        with self.sessions() as db:
            policy = late_for(x.a.late, extension(db, c.student_id, x.a.name))
            r = apply_late(r, policy, c.submitted_at)
            if record(db, c, x.ahash, gradescope.dumps(r), r.score, r.max_score):
                self.recorded += 1
                log.info("job %s graded: %s %s %g/%g", c.key, c.student_id, c.assignment, r.score,
                         r.max_score)

    def _lost(self, c: Claim, x: _Assignment | None, why: str) -> None:
        from autograder.portal.web import regrade_dispatch

        if isinstance(c, regrade_dispatch.RegradeClaim):
            return regrade_dispatch.lost(self, c, why)
        log.warning("job %s lost: %s", c.key, why)
        if c.attempt < ATTEMPTS:
            with self.sessions() as db:
                requeue(db, c, why)
        else:
            self._fail(c, x, why)

    def _fail(self, c: Claim, x: _Assignment | None, why: str) -> None:
        """Record a grader failure (it does not count against the student's attempts)."""
        from autograder.course.results import SubmissionResult, exercise_scores
        from autograder.grading.batch import GRADER_FAILED
        from autograder.render import gradescope

        try:
            x = x or self._assignment(c.assignment)
            exercises = exercise_scores((), [(e.id, e.core) for e in x.a.exercises])
            ahash, lang = x.ahash, x.lang
        except Exception:  # noqa: BLE001 - the assignment itself is gone: record the failure anyway
            exercises, ahash, lang = (), "", "en"
        from autograder.course import i18n

        with i18n.language(lang):
            error = i18n._(GRADER_FAILED)
        r = SubmissionResult(student_id=c.student_id, assignment=c.assignment, tests=(), exercises=exercises,
                             assignment_hash=ahash, error=error, submitted_at=c.submitted_at, lang=lang)
        with self.sessions() as db:
            if record(db, c, ahash, gradescope.dumps(r), 0.0, r.max_score, grader_failure=True):
                self.recorded += 1
                log.error("job %s recorded as a grader failure: %s", c.key, why)

    def close(self) -> None:
        """Stop the executors; jobs still in flight go back to the queue without losing an attempt."""
        for x in {*self.assignments.values(), *(x for _c, x in self.inflight.values())}:  # retired too
            with contextlib.suppress(Exception):
                x.executor.close()
        self.assignments.clear()
        for c, _x in list(self.inflight.values()):
            with contextlib.suppress(Exception), self.sessions() as db:
                requeue(db, c, "the dispatcher stopped", keep_attempt=True)
        self.inflight.clear()
