"""The pages' ``Backend`` answered from the submission service's tables and rules
(``autograder.portal.submissions``, ``policy``, ``db.models``): the same policy, queue, storage and
visibility as the JSON API, so a page never says something the API would not."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from autograder.course.i18n import N_
from autograder.portal import submissions as subs
from autograder.portal.db import models as m
from autograder.portal.policy import close_for, late_for, tests_visible
from autograder.portal.uploads import UploadError, classify
from autograder.portal.web.backend import (
    AssignmentInfo,
    Attempts,
    Extension,
    Rejected,
    SubmissionInfo,
    User,
)


def _user(u: m.User) -> User:
    return User(u.id, u.role, u.name or "", u.email or "")


class ServiceBackend:
    def __init__(self, state):
        self.state = state  # autograder.portal.app.PortalState
        self.course = subs.Course(state.settings.course)

    def _db(self):
        return self.state.sessions()

    # -- people and assignments

    def user(self, user_id: str) -> User | None:
        if not user_id or len(user_id) > 100:
            return None
        with self._db() as db:
            u = db.get(m.User, user_id)
            return _user(u) if u else None

    def students(self) -> list[User]:
        with self._db() as db:
            return [
                _user(u)
                for u in db.execute(
                    sa.select(m.User).where(m.User.role == m.Role.STUDENT).order_by(m.User.id)
                ).scalars()
            ]

    def names(self) -> list[str]:
        folder = self.course.root / "assignments"
        return (
            sorted(p.name for p in folder.iterdir() if (p / "assignment.toml").is_file())
            if folder.is_dir()
            else []
        )

    def assignment(self, name: str, student_id: str | None = None) -> AssignmentInfo | None:
        found = self.course.assignment(name)
        if found is None:
            return None
        a, p = found
        until = None
        if student_id:
            with self._db() as db:
                until = subs.extension(db, student_id, a.name)
        late = late_for(a.late, until)
        return AssignmentInfo(
            a.name, a.title, late.due if late else None, close_for(p, until), tuple(a.files)
        )

    def assignments(self, student_id: str | None = None) -> list[AssignmentInfo]:
        return [x for x in (self.assignment(n, student_id) for n in self.names()) if x is not None]

    def attempts(self, student_id: str, assignment: str) -> Attempts:
        found = self.course.assignment(assignment)
        with self._db() as db:
            u = db.get(m.User, student_id)
            if found is None or u is None:
                return Attempts(None, None, None, None, False, N_("Unknown assignment."))
            a, p = found
            at = m.now()
            b = subs.attempts(db, u, a, p, at)
            try:
                subs.check_policy(db, u, a, p, at)
                reason = ""
            except subs.Refused as exc:
                reason = N_("Uploads are closed.") if exc.status == 403 else N_("No attempt is left for now.")
        left = None if b["limit"] is None else max(0, b["limit"] - b["used"])
        nxt = datetime.fromisoformat(b["next_at"]) if b["next_at"] else None
        return Attempts(b["limit"], left, b["window_hours"], nxt, not reason, reason)

    # -- submissions

    def submit(self, student_id: str, assignment: str, files: list[tuple[str, bytes]]) -> SubmissionInfo:
        from autograder.portal.uploads import safe_name

        found = self.course.assignment(assignment)
        if found is None:
            raise Rejected(N_("Unknown assignment."), 404)
        a, p = found
        limits = self.state.settings.uploads
        if len(files) > limits.max_files or sum(len(d) for _n, d in files) > limits.max_bytes:
            raise Rejected(N_("The upload is too large."), 413)
        try:
            upload = classify([(safe_name(n), d) for n, d in files])
        except UploadError as exc:
            raise Rejected(exc.message, exc.status) from None
        with self._db() as db:
            u = db.get(m.User, student_id)
            try:
                subs.check_policy(db, u, a, p, m.now())
            except subs.Refused as exc:
                raise Rejected(
                    exc.message, exc.status, round(exc.retry_after) if exc.retry_after else None
                ) from None
            sub = subs.accept(db, self.state.storage, u, a, upload)
            return self._info(db, sub)

    def _info(self, db, s: m.Submission, counts: bool = False) -> SubmissionInfo:
        files = manifest_names(s.manifest)
        late = False
        res = db.execute(sa.select(m.Result.results_json).where(m.Result.submission_id == s.id)).scalar()
        if res:
            try:
                late = bool(json.loads(res).get("extra_data", {}).get("late_days"))
            except (ValueError, AttributeError):
                late = False
        return SubmissionInfo(
            s.id,
            s.user_id,
            s.assignment,
            s.status,
            s.received_at,
            s.sha256,
            files,
            subs.queue_position(db, s),
            s.score,
            s.max_score,
            late,
            counts,
        )

    def submission(self, submission_id: str) -> SubmissionInfo | None:
        if not submission_id or len(submission_id) > 64:
            return None
        with self._db() as db:
            s = db.get(m.Submission, submission_id)
            return self._info(db, s) if s else None

    def submissions(self, student_id: str, assignment: str) -> list[SubmissionInfo]:
        with self._db() as db:
            found = self.course.assignment(assignment)
            counting = subs.counting(db, assignment, found[1].counts if found else "last")
            mine = counting.get(student_id)
            rows = (
                db.execute(
                    sa.select(m.Submission)
                    .where(m.Submission.user_id == student_id, m.Submission.assignment == assignment)
                    .order_by(m.Submission.received_at.desc(), m.Submission.id)
                )
                .scalars()
                .all()
            )
            return [self._info(db, s, counts=mine is not None and mine.submission_id == s.id) for s in rows]

    def results(self, submission_id: str, staff: bool) -> dict | None:
        with self._db() as db:
            s = db.get(m.Submission, submission_id)
            res = (
                db.execute(
                    sa.select(m.Result).where(m.Result.submission_id == submission_id)
                ).scalar_one_or_none()
                if s
                else None
            )
            if res is None:
                return None
            doc = json.loads(res.results_json)
            if staff:
                return doc
            found = self.course.assignment(s.assignment)
            at = m.now()
            if found is None:
                return student_doc(doc, False, at, None)
            a, p = found
            late = late_for(a.late, subs.extension(db, s.user_id, a.name))
            due = late.due if late else None
            return student_doc(doc, tests_visible(p, due, at), at, due)

    # -- the class

    def class_rows(self, assignment: str) -> list[tuple[User, SubmissionInfo | None, int]]:
        """Every student, the submission that counts (else the newest), and how many they made."""
        found = self.course.assignment(assignment)
        with self._db() as db:
            counting = subs.counting(db, assignment, found[1].counts if found else "last")
            newest: dict[str, m.Submission] = {}
            made: dict[str, int] = {}
            for s in db.execute(
                sa.select(m.Submission)
                .where(m.Submission.assignment == assignment)
                .order_by(m.Submission.received_at, m.Submission.id)
            ).scalars():
                newest[s.user_id] = s
                made[s.user_id] = made.get(s.user_id, 0) + 1
            out = []
            for u in db.execute(
                sa.select(m.User).where(m.User.role == m.Role.STUDENT).order_by(m.User.id)
            ).scalars():
                res = counting.get(u.id)
                s = db.get(m.Submission, res.submission_id) if res else newest.get(u.id)
                out.append(
                    (_user(u), self._info(db, s, counts=res is not None) if s else None, made.get(u.id, 0))
                )
            return out

    def grades_csv(self, assignment: str) -> str:
        found = self.course.assignment(assignment)
        if found is None:
            raise Rejected(N_("Unknown assignment."), 404)
        with self._db() as db:
            return subs.grades_csv(db, *found)

    def counting_results(self, assignment: str) -> dict[str, tuple[str, float, str, str]]:
        """student -> (submission id, score, results.json, assignment hash) of the counting results."""
        found = self.course.assignment(assignment)
        with self._db() as db:
            return {
                uid: (r.submission_id, r.score, r.results_json, r.assignment_hash)
                for uid, r in subs.counting(db, assignment, found[1].counts if found else "last").items()
            }

    def extensions(self, assignment: str) -> list[Extension]:
        with self._db() as db:
            return [
                Extension(e.user_id, e.assignment, e.until, e.granted_by)
                for e in db.execute(
                    sa.select(m.Extension)
                    .where(m.Extension.assignment == assignment)
                    .order_by(m.Extension.user_id)
                ).scalars()
            ]

    def set_extension(self, student_id: str, assignment: str, until: datetime | None, by: str) -> None:
        with self._db() as db:
            e = db.execute(
                sa.select(m.Extension).where(
                    m.Extension.user_id == student_id, m.Extension.assignment == assignment
                )
            ).scalar()
            if until is None:
                if e is not None:
                    db.delete(e)
            elif e is None:
                db.add(m.Extension(user_id=student_id, assignment=assignment, until=until, granted_by=by))
            else:
                e.until, e.granted_by = until, by
            db.commit()


def manifest_names(text: str) -> tuple[str, ...]:
    """The file names of a submission as uploaded, from its manifest ({"blob", "kind", "files": [[name,
    size], ...]}; the first service version kept [[name, blob, size], ...])."""
    try:
        doc = json.loads(text)
        rows = doc["files"] if isinstance(doc, dict) else doc
        return tuple(str(row[0]) for row in rows)
    except (ValueError, TypeError, KeyError, IndexError):
        return ()


def student_doc(doc: dict, show_tests: bool, at: datetime, due: datetime | None) -> dict:
    """results.json as a student may see it (the service's rule, ``submissions.student_view``), keeping
    what the feedback page needs of the tests it shows: their exercise and likely mistake."""
    x = doc.get("extra_data", {})
    tests = doc.get("tests", [])
    mistakes = x.get("mistakes") if isinstance(x.get("mistakes"), list) else [""] * len(tests)
    shown, shown_mistakes = [], []
    for t, mk in zip(tests, mistakes, strict=False):
        vis = t.get("visibility", "visible")
        if show_tests and (vis == "visible" or (vis == "after_due_date" and (due is None or at > due))):
            shown.append(
                {k: t[k] for k in ("name", "score", "max_score", "status", "output", "tags") if k in t}
            )
            shown_mistakes.append(mk)
    view = subs.student_view(doc, show_tests, at, due)
    view["tests"] = shown
    view["extra_data"]["mistakes"] = shown_mistakes
    view["extra_data"]["hidden_tests"] = len(tests) - len(shown)
    return view
