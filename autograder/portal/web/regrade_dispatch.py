"""The dispatcher's side of a regrade preview (``regrade``): when no job is queued, the dispatcher
grades regrade items with the same executors, validation and late policy as jobs, and keeps each
result on its item (never on the submission: publishing is a TA's decision).

Hooks in ``autograder.portal.dispatcher.Dispatcher``: ``_fill`` calls ``fill(self)`` when it claimed no
job; ``_finish`` and ``_lost`` hand a ``RegradeClaim`` to ``finish`` and ``lost``.

A regrade is for tests that changed: before grading an item, the dispatcher's warm grading processes
for that assignment are started again when the tests' hash moved (and only once none of its tasks is in
flight, so no job is cut off).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from autograder.portal.web import regrade

log = logging.getLogger("autograder.portal.regrade")


@dataclass(frozen=True)
class RegradeClaim:
    """A regrade item as the dispatcher handles a claim (the fields of ``dispatcher.Claim`` that building
    and validating a task read; this module does not import the dispatcher, which imports it)."""

    job_id: int
    attempt: int
    submission_id: str
    student_id: str
    assignment: str
    submitted_at: str
    submission_hash: str = ""
    regrade_id: int = 0

    @property
    def key(self) -> str:
        return f"regrade-{self.regrade_id}.{self.student_id}.{self.attempt}"

    @property
    def item(self) -> regrade.ItemClaim:
        return regrade.ItemClaim(
            self.regrade_id, self.student_id, self.submission_id, self.assignment, "", self.attempt
        )


def _current_hash(d, name: str) -> str:
    return regrade.current_hash(d.settings.course, name)


def _fresh(d, name: str) -> bool:
    """The dispatcher's grading processes for ``name`` grade with the current tests: when they do not,
    they are retired (they finish what they hold) and the next claim starts new ones."""
    x = d.assignments.get(name)
    if x is not None and x.ahash != _current_hash(d, name):
        log.info("the tests of %s changed: starting its grading processes again", name)
        d._retire(x)
    return True


def fill(d) -> int:
    """Start regrade items while the dispatcher has room; how many were started."""
    from autograder.portal.db.models import Submission

    started = 0
    while len(d.inflight) < max(1, d.settings.jobs):
        with d.sessions() as db:
            ic = regrade.claim_item(db)
            if ic is None:
                db.rollback()
                return started
            if ic.assignment in getattr(d, "broken", {}) or not _fresh(d, ic.assignment):
                db.rollback()  # the claim is undone: it waits for the jobs in flight, or the grader
                return started
            sub = db.get(Submission, ic.submission_id)
            db.commit()
        c = RegradeClaim(
            job_id=-1,
            attempt=ic.attempt,
            submission_id=ic.submission_id,
            student_id=ic.student_id,
            assignment=ic.assignment,
            submitted_at=sub.received_at.isoformat(),
            regrade_id=ic.regrade_id,
        )
        try:
            x = d._assignment(c.assignment)
            task, c = d._task(c, x)
        except Exception as exc:  # noqa: BLE001 - a grader fault: this item's attempt is lost
            log.exception("cannot start regrade item %s", c.key)
            lost(d, c, f"{type(exc).__name__}: {exc}")
            continue
        d.inflight[c.key] = (c, x)
        x.executor.submit(task)
        started += 1
    return started


def finish(d, c: RegradeClaim, x, text: str) -> None:
    from autograder.course.late import apply_late
    from autograder.portal.policy import late_for
    from autograder.portal.submissions import extension
    from autograder.render import gradescope

    try:
        r = d._validated(c, x, text)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        lost(d, c, f"an invalid result: {exc}")
        return
    with d.sessions() as db:
        policy = late_for(x.a.late, extension(db, c.student_id, x.a.name))
        r = apply_late(r, policy, c.submitted_at)
        regrade.record_item(db, c.item, gradescope.dumps(r), r.score, r.max_score, x.ahash)
        db.commit()


def lost(d, c: RegradeClaim, why: str) -> None:
    log.warning("regrade item %s lost: %s", c.key, why)
    with d.sessions() as db:
        regrade.lose_item(db, c.item, why)
        db.commit()
