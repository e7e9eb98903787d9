"""The portal's dispatcher on a cluster: a bounded window of claimed jobs (the executor's capacity),
the backlog left in the database, ``autograder dispatch --cluster`` grading queued submissions on real
``autograder worker`` processes, and a lost scheduler that costs no student an attempt (the jobs go
back to the queue and the dispatcher stays up)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, replace

import pytest
import sqlalchemy as sa
from cluster_helpers import BIN, Procs, make_ca, start_scheduler, start_worker, tls_args, wait_for_workers
from portal_support import FakeExecutor, Portal

from autograder.portal.db.models import Job, JobState, Submission, SubmissionStatus


@dataclass
class WideFake(FakeExecutor):
    """The fake executor with a cluster's capacity; records the window and the backlog at each submit."""

    wide: int = 4
    engine: object = None
    windows: list = None

    def capacity(self) -> int:
        return self.wide

    def submit(self, task) -> None:
        super().submit(task)
        def count(state):
            return db.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == state))

        with self.engine.connect() as db:
            self.windows.append((len(self.pending), count(JobState.QUEUED), count(JobState.RUNNING)))


def test_the_dispatcher_claims_what_the_executor_wants_in_flight_and_no_more(tmp_path):
    portal = Portal(tmp_path, f"sqlite:///{tmp_path / 'portal.sqlite'}")
    try:
        for i in range(10):
            assert portal.submit("alice" if i % 2 else "bob").status_code == 202
        windows = []

        def make(ref, jobs, log_dir):
            return WideFake(ref, jobs, wide=4, engine=portal.state.engine, windows=windows)

        from autograder.portal.dispatcher import Dispatcher

        d = Dispatcher(replace(portal.settings, jobs=1), portal.state.engine, make_executor=make, poll=0.01)
        assert d.run(until_idle=True) == 10
        assert max(w[0] for w in windows) == 4  # the executor's capacity, not settings.jobs (1), not 10
        assert all(running <= 4 for _, _, running in windows)
        assert windows[3] == (4, 6, 4)  # with 4 in flight the other 6 wait in the database
    finally:
        portal.state.engine.dispose()


def statuses(engine) -> dict[str, int]:
    with engine.connect() as db:
        rows = db.execute(sa.select(Submission.status, sa.func.count()).group_by(Submission.status))
        return dict(rows.all())


@pytest.mark.slow
def test_dispatch_grades_the_queue_on_the_cluster_and_survives_the_scheduler(tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.sqlite'}"
    portal = Portal(tmp_path, url)
    ca = make_ca(tmp_path / "ca")
    procs = Procs(tmp_path / "logs")
    try:
        for i in range(12):
            assert portal.submit("alice" if i % 2 else "bob").status_code == 202
        sched, address = start_scheduler(procs, tmp_path, ca)
        for i in range(2):
            start_worker(procs, address, ca, f"worker-{i}")
        wait_for_workers(address, ca, 2)
        argv = [str(BIN / "autograder"), "dispatch", "--course", str(portal.settings.course),
                "--data", str(portal.settings.data), "--db", url, "--until-idle",
                "--cluster", address, *tls_args(ca)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "12 result(s) recorded" in r.stderr
        assert statuses(portal.state.engine) == {SubmissionStatus.GRADED: 12}
        with portal.state.engine.connect() as db:
            scores = set(db.scalars(sa.select(Submission.score)))
        assert scores == {4.0}  # the tiny course's two tests, both passed

        # more work, then the scheduler dies under the running dispatcher: its jobs go back to the
        # queue with their attempts kept (the assignment waits, autograder.portal.dispatcher.BACKOFF)
        for _ in range(12):
            portal.submit("alice")
        forever = [a for a in argv if a != "--until-idle"]  # a dispatcher that runs until stopped
        run = subprocess.Popen(forever, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while statuses(portal.state.engine).get(SubmissionStatus.GRADED, 0) < 13:
                assert time.monotonic() < deadline and run.poll() is None, run.communicate()
                time.sleep(0.05)
            procs.kill(sched)
            deadline = time.monotonic() + 60
            while statuses(portal.state.engine).get(SubmissionStatus.GRADING, 0):
                assert time.monotonic() < deadline and run.poll() is None, statuses(portal.state.engine)
                time.sleep(0.1)
            run.terminate()
            _, err = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode == 0, err[-3000:]
        assert "lost the connection to the Dask scheduler" in err  # logged, and the dispatcher stayed up
        s = statuses(portal.state.engine)
        assert s.get(SubmissionStatus.FAILED, 0) == 0 and s[SubmissionStatus.QUEUED] > 0, s
        with portal.state.engine.connect() as db:
            attempts = list(db.scalars(sa.select(Job.attempt).where(Job.state == JobState.QUEUED)))
        assert attempts and set(attempts) == {0}, attempts  # nobody lost an attempt to the outage
    finally:
        procs.close()
        portal.state.engine.dispose()
