"""The Dask side: the task function that grades one submission on a cluster worker.

Each Dask worker process keeps, per assignment bundle, a warm local executor (one grading
process started with ``subprocess`` per thread of the worker: Dask workers are daemonic and may not
have multiprocessing children), so hidden tests are collected and the zygote started once per
worker, not once per submission. The bundle's bytes are checked against its hash before anything
is unpacked; the grading process sees a private copy of the course and an environment without
Dask's variables, and student code under it sees neither (the sandbox's own walls).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from autograder import __version__
from autograder.cluster.bundle import Bundle
from autograder.course.errors import ClusterError, GraderError
from autograder.grading.executor import AssignmentRef, GradeTask, LocalExecutor, TaskOutcome

MAX_WARM = 2  # bundles kept warm per worker process (a regrade after a test fix brings a second one)
TASK_SECONDS = 1800.0  # one submission's bound on a worker; the grading process bounds each call
# Names of environment variables a grading process never needs (Dask's settings, credentials).
SECRET_ENV = re.compile(r"^(DASK_|DISTRIBUTED_)|TLS|SSL|KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL|AWS_|"
                        r"^SLURM_|^PBS_", re.IGNORECASE)


def scrub_environ(env: dict[str, str] | os._Environ) -> list[str]:
    """Remove Dask's and credential-like variables from ``env`` (in place); returns their names."""
    gone = sorted(k for k in env if SECRET_ENV.search(k))
    for k in gone:
        del env[k]
    return gone


def secret_variables() -> list[str]:
    """The Dask- or credential-like variables in this process's environment (none once it graded)."""
    return sorted(k for k in os.environ if SECRET_ENV.search(k))


@dataclass
class _Warm:
    """One warm local executor over an unpacked bundle, shared by the threads of a worker process."""

    root: Path
    executor: LocalExecutor
    lock: threading.Condition = field(default_factory=threading.Condition)
    done: dict = field(default_factory=dict)  # key -> TaskOutcome, for the thread waiting on it
    polling: bool = False

    def grade(self, task: GradeTask, seconds: float) -> TaskOutcome:
        """The outcome of ``task`` (a GradeTask), waiting at most ``seconds``."""
        key = f"{task.key}#{uuid.uuid4().hex}"  # unique among this worker's threads
        with self.lock:
            self.executor.submit(replace(task, key=key))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.done:
                    return replace(self.done.pop(key), key=task.key)
                if self.polling:
                    self.lock.wait(0.5)
                    continue
                self.polling = True
            outcomes = []
            try:
                outcomes = self.executor.completed(0.5)
            finally:
                with self.lock:
                    self.polling = False
                    self.done.update((o.key, o) for o in outcomes)
                    self.lock.notify_all()
        raise ClusterError(f"grading {task.student_id} took longer than {seconds:g} s on this worker")

    def close(self) -> None:
        try:
            self.executor.close()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


_WARM: OrderedDict[str, _Warm] = OrderedDict()
_WARM_LOCK = threading.Lock()


def _threads() -> int:
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def _scratch_parent() -> Path:
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError, AttributeError):
        return Path(tempfile.gettempdir())


def _check_private(root: Path) -> None:
    """The unpacked secrets must not lie where the sandbox may read (the Python prefix, the engine)."""
    from autograder.sandbox.worker import landlock

    for p in landlock.python_paths():
        if root.resolve().is_relative_to(p.resolve()):
            raise ClusterError(f"this worker's local directory {root.parent} is inside {p}, which "
                               f"student code may read; start the worker with --local-directory elsewhere")


def _key(bundle: Bundle, lang: str, assignment_hash: str) -> str:
    return f"{bundle.digest}:{lang}:{assignment_hash}"


def warm(bundle: Bundle, lang: str, assignment_hash: str) -> _Warm:
    """The warm executor of ``bundle`` in this process, started (and the bundle checked) on first use."""
    key = _key(bundle, lang, assignment_hash)
    with _WARM_LOCK:
        if key in _WARM:
            _WARM.move_to_end(key)
            return _WARM[key]
        scrub_environ(os.environ)  # the grading process inherits this process's environment
        root = _scratch_parent() / f"autograder-{bundle.digest[:16]}-{uuid.uuid4().hex[:8]}"
        _check_private(root)
        bundle.unpack(root)
        try:
            ex = LocalExecutor(AssignmentRef(str(root), bundle.name, lang, assignment_hash), _threads())
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        _WARM[key] = w = _Warm(root, ex)
        while len(_WARM) > MAX_WARM:
            _WARM.popitem(last=False)[1].close()
        return w


def close_all() -> None:
    """Stop every warm grading process of this worker process and remove its unpacked bundles."""
    with _WARM_LOCK:
        while _WARM:
            _WARM.popitem()[1].close()


atexit.register(close_all)


class Cleanup(WorkerPlugin):
    """Registered by the executor: a worker that closes stops its grading processes first."""

    def teardown(self, worker) -> None:
        close_all()


_COUNTS = {"graded": 0, "lost": 0}


def grade_remote(bundle: Bundle, lang: str, assignment_hash: str,
                 task: GradeTask) -> tuple[str | None, str, bool]:
    """Runs on a Dask worker: (results.json text, "", False), (None, why it was lost, False), or
    (None, why, True) when the grader cannot run here at all (the owner stops the run)."""
    try:
        outcome = warm(bundle, lang, assignment_hash).grade(task, TASK_SECONDS)
    except GraderError as exc:  # the bundle, this worker's folder, or the session cannot be used
        drop(bundle, lang, assignment_hash)
        _COUNTS["lost"] += 1
        return None, f"{exc} (on {_where()}, autograder {__version__})", True
    _COUNTS["graded" if outcome.results_json is not None else "lost"] += 1
    return outcome.results_json, outcome.failure, False


def _where() -> str:
    try:
        from distributed import get_worker

        return f"cluster worker {get_worker().address}"
    except (ImportError, ValueError):
        return "a cluster worker"


def drop(bundle: Bundle, lang: str, assignment_hash: str) -> None:
    """Forget (and stop) the warm executor of this bundle: the next task starts a fresh one."""
    with _WARM_LOCK:
        w = _WARM.pop(_key(bundle, lang, assignment_hash), None)
    if w is not None:
        w.close()


def stats() -> dict:
    """This worker process: submissions graded and lost, warm bundles (``client.run(stats)``)."""
    return {**_COUNTS, "warm": len(_WARM), "pid": os.getpid()}


def keep(bundle: Bundle) -> Bundle:
    """The bundle's task: its result is the bundle, held by the workers that grade with it."""
    bundle.verify()
    return bundle
