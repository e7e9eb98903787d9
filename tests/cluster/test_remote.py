"""The Dask side of the cluster executor, without a cluster: the environment a grading process
inherits, where the bundle may be unpacked, and one warm executor shared by a worker's threads."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from autograder.cluster import remote
from autograder.course.errors import ClusterError
from autograder.grading.executor import GradeTask, TaskOutcome
from autograder.sandbox.worker import landlock


def test_dask_and_credential_variables_are_scrubbed_and_the_rest_kept():
    env = {"PATH": "/usr/bin", "HOME": "/root", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
           "VIRTUAL_ENV": "/v", "DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY": "/k.pem",
           "DASK_CONFIG": "/etc/dask",
           "AWS_SECRET_ACCESS_KEY": "x", "GITHUB_TOKEN": "t", "SSL_CERT_FILE": "/c", "SLURM_JOB_ID": "7",
           "DB_PASSWORD": "p"}
    gone = remote.scrub_environ(env)
    assert env == {"PATH": "/usr/bin", "HOME": "/root", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
                   "VIRTUAL_ENV": "/v"}
    assert len(gone) == 7


def test_the_bundle_is_never_unpacked_where_student_code_may_read(tmp_path, monkeypatch):
    monkeypatch.setattr(landlock, "python_paths", lambda: (tmp_path,))
    with pytest.raises(ClusterError, match="student code may read"):
        remote._check_private(tmp_path / "worker-dir" / "autograder-bundle")
    remote._check_private(tmp_path.parent / "elsewhere")  # outside: fine


@dataclass
class SlowExecutor:
    """A local executor's interface: each task is done after ``seconds``, whichever thread polls."""

    seconds: float = 0.2
    started: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, task: GradeTask) -> None:
        with self.lock:
            self.started[task.key] = (time.monotonic(), task)

    def completed(self, timeout: float) -> list[TaskOutcome]:
        time.sleep(min(timeout, 0.05))
        with self.lock:
            done = [k for k, (t, _) in self.started.items() if time.monotonic() - t >= self.seconds]
            return [TaskOutcome(k, f"results of {self.started.pop(k)[1].student_id}") for k in done]

    def close(self) -> None:
        pass


def test_threads_of_a_worker_share_one_warm_executor_and_each_gets_its_own_outcome(tmp_path):
    warm = remote._Warm(tmp_path, SlowExecutor())
    got = {}

    def grade(sid: str) -> None:
        got[sid] = warm.grade(GradeTask(key=sid, student_id=sid, files=()), seconds=30)

    threads = [threading.Thread(target=grade, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert {k: (o.key, o.results_json) for k, o in got.items()} == {
        f"s{i}": (f"s{i}", f"results of s{i}") for i in range(4)}


def test_a_submission_that_never_finishes_is_bounded(tmp_path):
    warm = remote._Warm(tmp_path, SlowExecutor(seconds=60))
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match="took longer than"):
        warm.grade(GradeTask(key="k", student_id="slow", files=()), seconds=0.5)
    assert time.monotonic() - t0 < 5
