"""Regrade after a test fix: grade every counting submission again as a preview, show each student's
old -> new score and the class delta, publish only when a TA confirms.

- **Start** (web process, a TA's form): one ``web_regrades`` row (status ``grading``) and one item per
  student whose submission counts, holding the old score and results; nothing a student sees changes.
- **Grade** (the dispatcher, the only process that grades): ``claim_item`` hands it an item as a task on
  the item's stored submission, graded with the assignment's *current* tests (the dispatcher starts
  its grading processes again when the tests' hash moved); ``record_item`` keeps the validated result
  on the item only. When no item is left, the regrade is ``ready``.
- **Publish** (a TA confirms the preview): in one transaction every item's new result replaces the
  submission's result (the old one stays on the item, for the record) and the regrade is ``published``;
  **discard** drops the preview and changes nothing.

An item the grader fails on twice keeps its old result when published, and the preview says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from autograder.portal.web.tables import Regrade, RegradeItem, now

ITEM_LEASE = timedelta(minutes=10)
ITEM_ATTEMPTS = 2


class RegradeStatus(StrEnum):
    GRADING = "grading"
    READY = "ready"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class ItemState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the grader could not grade it: publishing keeps the old result


@dataclass(frozen=True)
class Row:
    student_id: str
    submission_id: str
    old: float | None
    new: float | None
    max_score: float | None
    state: str

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else round(self.new - self.old, 6)


@dataclass(frozen=True)
class Preview:
    id: int
    assignment: str
    status: str
    created_by: str
    created_at: object
    old_hash: str
    new_hash: str
    rows: tuple[Row, ...]

    @property
    def pending(self) -> int:
        return sum(r.state in (ItemState.QUEUED, ItemState.RUNNING) for r in self.rows)

    @property
    def changed(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.delta)

    @property
    def failed(self) -> int:
        return sum(r.state == ItemState.FAILED for r in self.rows)

    def mean(self, which: str) -> float | None:
        vals = [getattr(r, which) if r.state == ItemState.DONE or which == "old" else None for r in self.rows]
        vals = [v for v in vals if v is not None]
        return round(sum(vals) / len(vals), 4) if vals else None

    @property
    def class_delta(self) -> float | None:
        done = [r.delta for r in self.rows if r.state == ItemState.DONE and r.delta is not None]
        return round(sum(done) / len(done), 4) if done else None


def start(
    db: Session, assignment: str, by: str, counting: dict[str, tuple[str, float, str, str]], new_hash: str
) -> int:
    """A new regrade of ``counting`` (student -> (submission id, score, results.json, assignment hash)).
    An earlier regrade of the assignment that was not published is discarded."""
    db.execute(
        sa.update(Regrade)
        .where(
            Regrade.assignment == assignment, Regrade.status.in_([RegradeStatus.GRADING, RegradeStatus.READY])
        )
        .values(status=RegradeStatus.DISCARDED, decided_by=by, decided_at=now())
    )
    old_hashes = sorted({h for _s, _x, _j, h in counting.values()})
    rg = Regrade(
        assignment=assignment,
        created_by=by,
        created_at=now(),
        status=RegradeStatus.GRADING if counting else RegradeStatus.READY,
        old_hash=",".join(old_hashes)[:128],
        new_hash=new_hash,
    )
    db.add(rg)
    db.flush()
    for sid, (sub_id, score, results, _h) in sorted(counting.items()):
        db.add(
            RegradeItem(
                regrade_id=rg.id,
                student_id=sid,
                submission_id=sub_id,
                old_score=score,
                old_results=results,
                state=ItemState.QUEUED,
                attempts=0,
            )
        )
    return rg.id


def preview(db: Session, regrade_id: int, assignment: str) -> Preview | None:
    rg = db.get(Regrade, regrade_id)
    if rg is None or rg.assignment != assignment:
        return None
    items = db.execute(
        sa.select(RegradeItem).where(RegradeItem.regrade_id == rg.id).order_by(RegradeItem.student_id)
    ).scalars()
    rows = tuple(
        Row(i.student_id, i.submission_id, i.old_score, i.new_score, i.max_score, i.state) for i in items
    )
    return Preview(
        rg.id, rg.assignment, rg.status, rg.created_by, rg.created_at, rg.old_hash, rg.new_hash, rows
    )


def latest(db: Session, assignment: str) -> int | None:
    return db.execute(
        sa.select(Regrade.id).where(Regrade.assignment == assignment).order_by(Regrade.id.desc()).limit(1)
    ).scalar()


# -- the dispatcher's side --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemClaim:
    regrade_id: int
    student_id: str
    submission_id: str
    assignment: str
    new_hash: str
    attempt: int


def claim_item(db: Session) -> ItemClaim | None:
    """The next queued (or abandoned) item of a regrade that is grading; the caller commits."""
    t = now()
    stale = sa.and_(RegradeItem.state == ItemState.RUNNING, RegradeItem.lease_until < t)
    row = db.execute(
        sa.select(RegradeItem, Regrade)
        .join(Regrade, Regrade.id == RegradeItem.regrade_id)
        .where(Regrade.status == RegradeStatus.GRADING, sa.or_(RegradeItem.state == ItemState.QUEUED, stale))
        .order_by(RegradeItem.regrade_id, RegradeItem.student_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    item, rg = row
    key, attempt = (item.regrade_id, item.student_id, item.submission_id), item.attempts + 1
    done = db.execute(  # compare-and-set on the attempt count (the update refreshes ``item``)
        sa.update(RegradeItem)
        .where(
            RegradeItem.regrade_id == key[0],
            RegradeItem.student_id == key[1],
            RegradeItem.attempts == attempt - 1,
        )
        .values(state=ItemState.RUNNING, attempts=attempt, lease_until=t + ITEM_LEASE)
    )
    if done.rowcount != 1:
        return None
    return ItemClaim(key[0], key[1], key[2], rg.assignment, rg.new_hash, attempt)


def _finish_regrade(db: Session, regrade_id: int) -> None:
    left = db.execute(
        sa.select(sa.func.count())
        .select_from(RegradeItem)
        .where(
            RegradeItem.regrade_id == regrade_id, RegradeItem.state.in_([ItemState.QUEUED, ItemState.RUNNING])
        )
    ).scalar_one()
    if left == 0:
        db.execute(
            sa.update(Regrade)
            .where(Regrade.id == regrade_id, Regrade.status == RegradeStatus.GRADING)
            .values(status=RegradeStatus.READY)
        )


def record_item(
    db: Session, c: ItemClaim, results_json: str, score: float, max_score: float, assignment_hash: str
) -> bool:
    """Keep a validated result on the item (compare-and-set on its attempt); the caller commits."""
    done = db.execute(
        sa.update(RegradeItem)
        .where(
            RegradeItem.regrade_id == c.regrade_id,
            RegradeItem.student_id == c.student_id,
            RegradeItem.attempts == c.attempt,
            RegradeItem.state == ItemState.RUNNING,
        )
        .values(
            state=ItemState.DONE,
            new_score=score,
            max_score=max_score,
            new_results=results_json,
            new_hash=assignment_hash,
            lease_until=None,
        )
    )
    if done.rowcount != 1:
        return False
    _finish_regrade(db, c.regrade_id)
    return True


def lose_item(db: Session, c: ItemClaim, why: str) -> None:
    """A lost attempt: queued again, or after ``ITEM_ATTEMPTS`` failed (its old result stays)."""
    state = ItemState.FAILED if c.attempt >= ITEM_ATTEMPTS else ItemState.QUEUED
    db.execute(
        sa.update(RegradeItem)
        .where(
            RegradeItem.regrade_id == c.regrade_id,
            RegradeItem.student_id == c.student_id,
            RegradeItem.attempts == c.attempt,
        )
        .values(state=state, lease_until=None, failure=why[:2000])
    )
    _finish_regrade(db, c.regrade_id)


# -- publishing ---------------------------------------------------------------------------------------


def publish(db: Session, regrade_id: int, assignment: str, by: str) -> int:
    """Make every graded item's new result the submission's (one transaction); how many changed.
    Only a ``ready`` regrade is published; ValueError otherwise."""
    from autograder.portal.db.models import Result, Submission

    rg = db.get(Regrade, regrade_id)
    if rg is None or rg.assignment != assignment or rg.status != RegradeStatus.READY:
        raise ValueError("this regrade is not ready to publish")
    done = db.execute(
        sa.update(Regrade)
        .where(Regrade.id == rg.id, Regrade.status == RegradeStatus.READY)
        .values(status=RegradeStatus.PUBLISHED, decided_by=by, decided_at=now())
    )
    if done.rowcount != 1:
        raise ValueError("this regrade is not ready to publish")
    n = 0
    for item in db.execute(
        sa.select(RegradeItem).where(RegradeItem.regrade_id == rg.id, RegradeItem.state == ItemState.DONE)
    ).scalars():
        res = db.execute(
            sa.select(Result).where(Result.submission_id == item.submission_id)
        ).scalar_one_or_none()
        if res is None:
            continue
        res.results_json, res.score, res.max_score = item.new_results, item.new_score, item.max_score
        res.assignment_hash = item.new_hash or res.assignment_hash
        res.recorded_at = now()
        db.execute(
            sa.update(Submission)
            .where(Submission.id == item.submission_id)
            .values(score=item.new_score, max_score=item.max_score)
        )
        n += 1
    return n


def discard(db: Session, regrade_id: int, assignment: str, by: str) -> bool:
    done = db.execute(
        sa.update(Regrade)
        .where(
            Regrade.id == regrade_id,
            Regrade.assignment == assignment,
            Regrade.status.in_([RegradeStatus.GRADING, RegradeStatus.READY]),
        )
        .values(status=RegradeStatus.DISCARDED, decided_by=by, decided_at=now())
    )
    return done.rowcount == 1


def item_results(db: Session, regrade_id: int, student_id: str) -> tuple[dict | None, dict | None]:
    """(old, new) results.json documents of one item, for the TA's before/after of one student."""
    item = db.get(RegradeItem, (regrade_id, student_id))
    if item is None:
        return None, None
    load = lambda t: json.loads(t) if t else None  # noqa: E731
    return load(item.old_results), load(item.new_results)


def current_hash(course, name: str) -> str:
    """The grading hash of ``name``'s tests, reference and catalogues as they are now on disk."""
    from autograder.course import i18n
    from autograder.course.assignment import find_assignment

    try:
        from autograder.grading.hashes import grading_hash
    except ImportError:  # before the seam moved it
        from autograder.testkit.session import grading_hash

    a, secrets = find_assignment(course, name)
    return grading_hash(a, secrets, i18n.check_lang(a.lang))
