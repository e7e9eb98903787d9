"""Submissions as the API sees them: accepting one (policy, storage, queue), showing one, the
submission that counts, the class's grades.csv. No HTTP here: ``api.routes`` maps errors to statuses."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from autograder.course.assignment import Assignment, find_assignment
from autograder.course.errors import AssignmentError
from autograder.course.i18n import _
from autograder.intake.unpack import content_hash
from autograder.portal.db.models import (
    Extension,
    Job,
    JobState,
    Result,
    Submission,
    SubmissionStatus,
    User,
    now,
)
from autograder.portal.policy import PortalPolicy, close_for, late_for, load_policy, tests_visible
from autograder.portal.storage import Storage, pack, unpack
from autograder.portal.uploads import Upload


class Refused(Exception):
    """The upload is refused by the assignment's policy (``status``: 403 closed, 429 over the budget)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


_CACHE: dict[tuple[str, str], tuple[int, tuple[Assignment, PortalPolicy]]] = {}


@dataclass(frozen=True)
class Course:
    """The assignments of the course, read from its folder (unknown name: None); kept while their
    assignment.toml is unchanged."""

    root: Path

    def assignment(self, name: str) -> tuple[Assignment, PortalPolicy] | None:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        toml = self.root / "assignments" / name / "assignment.toml"
        try:
            stamp = toml.stat().st_mtime_ns
        except OSError:
            return None
        key = (str(self.root), name)
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        try:
            a, _secrets = find_assignment(self.root, name)
        except AssignmentError:
            return None
        _CACHE[key] = (stamp, (a, load_policy(a)))
        return _CACHE[key][1]


def upload_files(storage: Storage, sub: Submission) -> list[tuple[str, bytes]]:
    """The files of a submission as uploaded (OSError/ValueError when its blob is missing or damaged)."""
    return unpack(storage.get(json.loads(sub.manifest)["blob"]))


def extension(db: Session, user_id: str, assignment: str) -> datetime | None:
    return db.execute(sa.select(Extension.until).where(Extension.user_id == user_id,
                                                       Extension.assignment == assignment)).scalar()


def attempts(db: Session, user: User, a: Assignment, p: PortalPolicy, at: datetime) -> dict:
    """The attempt budget as the API shows it: limit, used in the window, when one is free again."""
    q = sa.select(Submission.received_at).where(
        Submission.user_id == user.id, Submission.assignment == a.name,
        Submission.status != SubmissionStatus.FAILED)
    if p.window is not None:
        q = q.where(Submission.received_at > at - p.window)
    times = sorted(db.execute(q).scalars())
    used = len(times)
    free_at = None
    if p.attempts is not None and used >= p.attempts:
        free_at = (times[used - p.attempts] + p.window) if p.window is not None else None
    return {"limit": p.attempts, "used": used,
            "window_hours": p.window.total_seconds() / 3600 if p.window else None,
            "next_at": free_at.isoformat() if free_at else None}


def assignment_info(db: Session, user: User, a: Assignment, p: PortalPolicy) -> dict:
    until = extension(db, user.id, a.name)
    late = late_for(a.late, until)
    close = close_for(p, until)
    return {"name": a.name, "title": a.title, "due": late.due.isoformat() if late else None,
            "close": close.isoformat() if close else None, "extension": until.isoformat() if until else None,
            "counts": p.counts, "attempts": attempts(db, user, a, p, now())}


def check_policy(db: Session, user: User, a: Assignment, p: PortalPolicy, at: datetime) -> None:
    """Raise Refused when the assignment is closed for ``user`` or their attempt budget is spent."""
    until = extension(db, user.id, a.name)
    close = close_for(p, until)
    if close is not None and at > close and not user.is_staff:
        raise Refused(403, _("{assignment} closed at {close}; uploads are no longer accepted (ask your TA "
                             "for an extension)").format(assignment=a.name, close=close.isoformat()))
    if p.attempts is not None and not user.is_staff:
        budget = attempts(db, user, a, p, at)
        if budget["used"] >= p.attempts:
            if budget["next_at"] is None:
                raise Refused(429, _("all {n} attempts for {assignment} are used").format(
                    n=p.attempts, assignment=a.name))
            wait = (datetime.fromisoformat(budget["next_at"]) - at).total_seconds()
            why = _("all {n} attempts for {assignment} in this window are used; the next one is free at "
                    "{time}").format(n=p.attempts, assignment=a.name, time=budget["next_at"])
            raise Refused(429, why, retry_after=max(1.0, wait))


def accept(db: Session, storage: Storage, user: User, a: Assignment, upload: Upload,
           blob: str | None = None) -> Submission:
    """Store the files (one blob, durable first), then the submission and its job in one transaction.
    ``blob``: the upload's blob when the caller stored it already (``storage.put(pack(files))``)."""
    blob = blob or storage.put(pack(upload.files))
    manifest = {"blob": blob, "kind": upload.kind,
                "files": [[name, len(data)] for name, data in upload.files]}
    sub = Submission(id=secrets.token_hex(16), user_id=user.id, assignment=a.name, received_at=now(),
                     sha256=content_hash(upload.files), manifest=json.dumps(manifest),
                     status=SubmissionStatus.QUEUED)
    db.add(sub)
    db.flush()
    db.add(Job(submission_id=sub.id, state=JobState.QUEUED))
    db.commit()
    return sub


def receipt(sub: Submission) -> dict:
    return {"id": sub.id, "status": sub.status,
            "receipt": {"sha256": sub.sha256, "received_at": sub.received_at.isoformat()}}


def queue_position(db: Session, sub: Submission) -> int | None:
    """Queued jobs ahead of this one (0: next), None unless it is queued."""
    job = db.execute(sa.select(Job).where(Job.submission_id == sub.id)).scalar_one_or_none()
    if job is None or job.state != JobState.QUEUED:
        return None
    return db.execute(sa.select(sa.func.count()).select_from(Job).where(
        Job.state == JobState.QUEUED, Job.id < job.id)).scalar_one()


def student_view(doc: dict, show_tests: bool, at: datetime, due: datetime | None) -> dict:
    """results.json as a student may see it: scores and notes; test details when visible."""
    x = doc.get("extra_data", {})
    tests = []
    for t in doc.get("tests", []):
        vis = t.get("visibility", "visible")
        if show_tests and (vis == "visible" or (vis == "after_due_date" and (due is None or at > due))):
            tests.append({k: t[k] for k in ("name", "score", "max_score", "status", "output") if k in t})
    keep = ("exercises", "raw_score", "late_penalty", "late_days", "submitted_at", "due", "lang", "error",
            "notes", "max_score")
    return {"score": doc.get("score"), "output": doc.get("output", ""), "tests": tests,
            "tests_hidden": len(doc.get("tests", [])) - len(tests),
            "extra_data": {k: x[k] for k in keep if k in x}}


def view(db: Session, sub: Submission, viewer: User, course: Course) -> dict:
    res = db.execute(sa.select(Result).where(Result.submission_id == sub.id)).scalar_one_or_none()
    results = None
    if res is not None:
        doc = json.loads(res.results_json)
        if viewer.is_staff:
            results = doc
        else:
            found = course.assignment(sub.assignment)
            at = now()
            if found is None:
                results = student_view(doc, False, at, None)
            else:
                a, p = found
                late = late_for(a.late, extension(db, sub.user_id, a.name))
                due = late.due if late else None
                results = student_view(doc, tests_visible(p, due, at), at, due)
    return {"id": sub.id, "student_id": sub.user_id, "assignment": sub.assignment, "status": sub.status,
            "queue_position": queue_position(db, sub), "score": sub.score, "max_score": sub.max_score,
            "received_at": sub.received_at.isoformat(), "sha256": sub.sha256, "results": results}


def own_list(db: Session, user: User, assignment: str) -> list[dict]:
    subs = db.execute(sa.select(Submission).where(Submission.user_id == user.id,
                                                  Submission.assignment == assignment)
                      .order_by(Submission.received_at.desc(), Submission.id)).scalars()
    return [{"id": s.id, "status": s.status, "score": s.score, "max_score": s.max_score,
             "received_at": s.received_at.isoformat(), "sha256": s.sha256} for s in subs]


def counting(db: Session, assignment: str, counts: str) -> dict[str, Result]:
    """Per student, the result that counts: the last graded submission (or the best score; ties: the
    later). Grader failures never count."""
    rows = db.execute(sa.select(Submission.user_id, Submission.received_at, Result)
                      .join(Result, Result.submission_id == Submission.id)
                      .where(Submission.assignment == assignment, Result.grader_failure.is_(False))
                      .order_by(Submission.received_at, Submission.id)).all()
    out: dict[str, Result] = {}
    for uid, _t, res in rows:
        if counts == "best" and uid in out and out[uid].score > res.score:
            continue
        out[uid] = res
    return out


def grades_csv(db: Session, a: Assignment, p: PortalPolicy) -> str:
    """The ``grades.csv`` contract of ``autograder grade``, one row per student (the counting result)."""
    from autograder.render.grades_csv import grades_csv as render
    from autograder.render.gradescope import from_gradescope

    chosen = sorted(counting(db, a.name, p.counts).items())
    results = [from_gradescope(json.loads(r.results_json)) for _uid, r in chosen]
    return render(results, [e.id for e in a.exercises])
