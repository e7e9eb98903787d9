"""The dispatcher's bookkeeping on SQLite and PostgreSQL (a fake executor stands in for grading):
claims under a lease, compare-and-set recording, retries, grader failures, shutdown."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from portal_support import Portal, db_url, fake_factory, pg_server  # noqa: F401 - fixtures

from autograder.portal import dispatcher as dispatcher_module
from autograder.portal.db.models import Job, JobState, Result, Submission, now
from autograder.portal.dispatcher import ATTEMPTS, Dispatcher, claim_one, heartbeat, record, requeue


@pytest.fixture
def portal(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url)
    yield p
    p.state.engine.dispose()


def dispatcher(p: Portal, make, **kw) -> Dispatcher:
    return Dispatcher(p.settings, p.state.engine, make_executor=make, poll=0.01, **kw)


def results(p: Portal) -> list[Result]:
    with p.state.sessions() as db:
        return db.execute(sa.select(Result)).scalars().all()


def test_each_submission_is_graded_once_in_queue_order(portal):
    ids = [portal.submit(who).json()["id"] for who in ("alice", "bob", "alice")]
    make = fake_factory()
    assert dispatcher(portal, make).run(until_idle=True) == 3
    assert [t.student_id for t in make.made[0].seen] == ["alice", "bob", "alice"]
    assert sorted(r.submission_id for r in results(portal)) == sorted(ids)
    assert dispatcher(portal, fake_factory()).run(until_idle=True) == 0  # nothing left, nothing twice
    assert len(results(portal)) == 3
    assert make.made[0].closed


def test_the_task_is_the_vetted_upload(portal):
    portal.submit(files=[("files", ("../Activations (1).py", b"def sigmoid(x):\n    return x\n"))])
    make = fake_factory()
    dispatcher(portal, make).run(until_idle=True)
    task = make.made[0].seen[0]
    assert dict(task.files) == {"activations.py": b"def sigmoid(x):\n    return x\n"}
    assert any("activations.py" in n for n in task.notes)  # the near-miss name is a note, as in a batch
    assert task.key.endswith(".1") and task.submitted_at.endswith("+00:00")
    assert results(portal)[0].submission_hash == task.submission_hash


def test_a_lost_attempt_is_retried_and_two_are_a_grader_failure(portal):
    a = portal.submit("alice").json()["id"]
    b = portal.submit("bob").json()["id"]
    with portal.state.sessions() as db:
        job_a = db.execute(sa.select(Job.id).where(Job.submission_id == a)).scalar_one()
    make = fake_factory(lose={f"{job_a}.1"})
    dispatcher(portal, make).run(until_idle=True)
    with portal.state.sessions() as db:
        sa_, sb = db.get(Submission, a), db.get(Submission, b)
        assert sa_.status == "graded" and sb.status == "graded"
        job = db.get(Job, job_a)
        assert job.attempt == 2 and "attempt 1: the fake grading process died" in job.failures
    c = portal.submit("alice").json()["id"]
    dispatcher(portal, fake_factory(lose_all=True)).run(until_idle=True)
    with portal.state.sessions() as db:
        assert db.get(Submission, c).status == "failed"
        res = db.execute(sa.select(Result).where(Result.submission_id == c)).scalar_one()
        assert res.grader_failure and res.attempt == ATTEMPTS
        assert '"error": "the grader failed' in res.results_json


def test_a_result_with_another_assignment_hash_is_not_recorded(portal):
    sid = portal.submit().json()["id"]
    with portal.state.sessions() as db:
        job = db.execute(sa.select(Job.id).where(Job.submission_id == sid)).scalar_one()
    dispatcher(portal, fake_factory(wrong={f"{job}.1"})).run(until_idle=True)
    with portal.state.sessions() as db:
        res = db.execute(sa.select(Result)).scalar_one()
        assert res.attempt == 2 and not res.grader_failure  # the wrong one was lost, the retry recorded
        assert "assignment hash" in db.get(Job, job).failures


def test_compare_and_set_refuses_a_stale_attempt_and_a_second_result(portal):
    portal.submit()
    with portal.state.sessions() as db:
        c1 = claim_one(db, "A", lease=30)
    assert c1.attempt == 1
    with portal.state.sessions() as db:  # A's lease expires (A is gone): B claims the same job
        db.execute(sa.update(Job).values(lease_until=now() - timedelta(seconds=1)))
        db.commit()
        c2 = claim_one(db, "B", lease=30)
    assert (c2.job_id, c2.attempt) == (c1.job_id, 2)
    with portal.state.sessions() as db:
        assert not record(db, c1, "h", "{}", 1, 2)  # A comes back late: nothing changes
        assert record(db, c2, "h", "{}", 2, 2)
        assert not record(db, c2, "h", "{}", 2, 2)  # the same outcome twice: recorded once
        assert not requeue(db, c2, "late")
    r = results(portal)
    assert len(r) == 1 and r[0].attempt == 2 and r[0].score == 2


def test_an_expired_lease_is_claimed_again_and_a_heartbeat_keeps_it(portal):
    portal.submit()
    with portal.state.sessions() as db:
        c = claim_one(db, "A", lease=0.5)
        assert claim_one(db, "B", lease=30) is None  # leased
        db.execute(sa.update(Job).values(lease_until=now() + timedelta(seconds=0.2)))
        db.commit()
        heartbeat(db, "A", [c], lease=30)
        db.execute(sa.text("SELECT 1"))
        assert claim_one(db, "B", lease=30) is None  # still A's after the heartbeat
        db.execute(sa.update(Job).values(lease_until=now() - timedelta(seconds=1)))
        db.commit()
        assert claim_one(db, "B", lease=30).attempt == 2


def test_a_job_whose_leases_expired_too_often_is_a_grader_failure(portal):
    sid = portal.submit().json()["id"]
    for owner in ("A", "B"):
        with portal.state.sessions() as db:
            claim_one(db, owner, lease=30)
            db.execute(sa.update(Job).values(lease_until=now() - timedelta(seconds=1)))
            db.commit()
    make = fake_factory()
    dispatcher(portal, make).run(until_idle=True)
    assert make.made == [] or make.made[0].seen == []  # not graded a third time
    with portal.state.sessions() as db:
        assert db.get(Submission, sid).status == "failed"


def test_stopping_gives_the_jobs_in_flight_back_without_costing_an_attempt(portal):
    portal.submit()

    class Stuck:
        def __init__(self, ref, jobs, log_dir):
            self.ref = ref

        def capacity(self):
            return 1

        def submit(self, task):
            pass

        def completed(self, timeout):
            stop.set()
            return []

        def close(self):
            pass

    stop = threading.Event()
    dispatcher(portal, Stuck).run(stop)
    with portal.state.sessions() as db:
        job = db.execute(sa.select(Job)).scalar_one()
        assert job.state == JobState.QUEUED and job.attempt == 0 and job.owner == ""
        assert db.execute(sa.select(Submission.status)).scalar_one() == "queued"


def test_concurrent_claimers_never_take_the_same_job(portal):
    for _ in range(30):
        portal.submit("tina")
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while True:
            with portal.state.sessions() as db:
                c = claim_one(db, name, lease=60)
            if c is None:
                return
            with lock:
                taken.append((c.job_id, c.attempt))

    threads = [threading.Thread(target=claimer, args=(f"d{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(taken) == 30 and len({j for j, _a in taken}) == 30 and {a for _j, a in taken} == {1}


def test_a_grader_that_cannot_start_spends_no_attempt(portal):
    sid = portal.submit().json()["id"]

    def broken(ref, jobs, log_dir):
        raise RuntimeError("the hidden tests cannot be collected")

    d = dispatcher(portal, broken)
    d.run(until_idle=True)
    assert "hw07" in d.broken and "cannot be collected" in d.broken["hw07"][1]
    with portal.state.sessions() as db:
        job = db.execute(sa.select(Job)).scalar_one()
        assert job.state == JobState.QUEUED and job.attempt == 0
        assert db.get(Submission, sid).status == "queued"
    assert dispatcher(portal, fake_factory()).run(until_idle=True) == 1  # fixed: graded


def test_a_fixed_test_reaches_new_claims_while_the_old_grader_finishes_what_it_holds(
        tmp_path, db_url, monkeypatch):  # noqa: F811 - the fixture
    monkeypatch.setattr(dispatcher_module, "REFRESH", 0.0)
    p = Portal(tmp_path, db_url, jobs=2)
    try:
        make = fake_factory()
        d = dispatcher(p, make)
        p.submit("alice")
        d._fill()  # alice in flight on the first grader
        hidden = p.course / "reference/hw07/tests/test_hidden.py"
        hidden.write_text(hidden.read_text() + "\n# a fixed test\n")
        p.submit("bob")
        d._fill()
        old, new = make.made
        assert old.ref.assignment_hash != new.ref.assignment_hash
        assert [t.student_id for t in old.seen] == ["alice"] and [t.student_id for t in new.seen] == ["bob"]
        assert not old.closed  # retired, but alice's task is still in it
        d._collect(0.01)
        assert old.closed and not new.closed
        by_student = {}
        with p.state.sessions() as db:
            for r in db.execute(sa.select(Result)).scalars():
                by_student[db.get(Submission, r.submission_id).user_id] = r.assignment_hash
        assert by_student == {"alice": old.ref.assignment_hash, "bob": new.ref.assignment_hash}
        d.close()
        assert new.closed
    finally:
        p.state.engine.dispose()


def test_an_unchanged_course_keeps_its_warm_grader(portal, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "REFRESH", 0.0)
    make = fake_factory()
    for who in ("alice", "bob", "alice"):
        portal.submit(who)
    assert dispatcher(portal, make).run(until_idle=True) == 3
    assert len(make.made) == 1
