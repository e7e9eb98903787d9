"""``DaskExecutor``: the executor seam (autograder.grading.executor) over a Dask cluster.

The owner (``autograder grade``'s process, or the portal's dispatcher) submits engine-neutral
tasks and receives results.json texts; it stays the only writer, validates every outcome and applies
the retry rule. Here:
- the assignment bundle is one Dask task whose result every grading task depends on, so Dask
  moves it to each worker once (and recomputes it if the worker holding it dies);
- a grading task runs ``remote.grade_remote`` on a worker, with Dask's own retries off;
- a worker that dies unexpectedly: the tasks it was processing are reported lost (``results_json``
  None), so the owner retries each once elsewhere and then records a grader failure;
- a lost scheduler connection is a ClusterError from ``completed``: nothing more can be graded;
- every wait is bounded: connecting, waiting for a first worker, a cluster left without workers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from autograder.cluster import require_dask
from autograder.cluster.bundle import make_bundle
from autograder.cluster.connect import connect
from autograder.cluster.spec import ClusterSpec
from autograder.course.errors import ClusterError
from autograder.grading.executor import AssignmentRef, GradeTask, TaskOutcome

WINDOW_PER_THREAD = 2  # tasks in flight per worker thread: one grading, one on its way
RESULT_SECONDS = 60.0  # s to fetch one finished task's result (a few KB) while the scheduler is up
CONNECTION_GRACE = 3.0  # s the client may take to notice that a failure was the scheduler going away


class DaskExecutor:
    """Grade on the cluster ``spec`` names; ``ref`` is the assignment (AssignmentRef) of every task."""

    def __init__(self, ref: AssignmentRef, spec: ClusterSpec, *, connect_seconds: float = 30.0,
                 worker_seconds: float | None = None, window: int | None = None):
        require_dask()
        self.ref, self.spec, self.window = ref, spec, window
        self.worker_seconds = worker_seconds or (600.0 if spec.kind == "slurm" else 60.0)
        self.bundle = make_bundle(Path(ref.course_root), ref.name)
        self._cluster, self.client = connect(spec, connect_seconds)
        self._pending: dict[str, tuple[str, object]] = {}  # dask key -> (task key, Future)
        self._finished: queue.SimpleQueue[str] = queue.SimpleQueue()  # dask keys whose future is done
        self._lost: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()  # (dask key, worker)
        self._threads, self._threads_at = 0, 0.0
        self._no_workers_since: float | None = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        from autograder.cluster.remote import Cleanup, keep

        try:
            self.client.wait_for_workers(1, timeout=self.worker_seconds)
        except TimeoutError:
            raise ClusterError(f"no worker joined {self.spec.describe()} within {self.worker_seconds:g} s "
                               f"(start one: autograder worker ADDRESS ...)") from None
        self.client.register_plugin(Cleanup(), name="autograder-cleanup")
        self.client.subscribe_topic("all", self._on_event)
        self._bundle = self.client.submit(keep, self.bundle, pure=False,
                                          key=f"autograder-bundle-{self.bundle.digest[:16]}-{uuid.uuid4().hex}")

    # -- called by Dask's threads: only queue what happened --------------------------------------
    def _on_done(self, fut) -> None:
        self._finished.put(fut.key)

    def _on_event(self, event) -> None:
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        if isinstance(msg, dict) and msg.get("action") == "remove-worker" and not msg.get("expected"):
            for key in msg.get("processing-tasks", ()) or ():
                self._lost.put((str(key), str(msg.get("worker", "?"))))

    # -- the Executor protocol ----------------------------------------------------------------
    def submit(self, task: GradeTask) -> None:
        from autograder.cluster.remote import grade_remote

        self._check_connected()
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", task.student_id)[:40]
        key = f"autograder-grade-{safe}-{uuid.uuid4().hex}"
        fut = self.client.submit(grade_remote, self._bundle, self.ref.lang, self.ref.assignment_hash,
                                 task, key=key, pure=False, retries=0)
        self._pending[key] = (task.key, fut)
        fut.add_done_callback(self._on_done)

    def completed(self, timeout: float) -> list[TaskOutcome]:
        """Outcomes that arrived within ``timeout`` s (maybe none); ClusterError once the cluster is gone."""
        deadline = time.monotonic() + max(0.0, timeout)
        out: list[TaskOutcome] = []
        while True:
            out += self._lost_outcomes()
            try:
                key = self._finished.get(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                key = None
            if key is not None:
                o = self._outcome(key)
                if o is not None:
                    out.append(o)
                while True:  # whatever else is done already
                    try:
                        o = self._outcome(self._finished.get_nowait())
                    except queue.Empty:
                        break
                    if o is not None:
                        out.append(o)
            if out or time.monotonic() >= deadline:
                self._check_workers()
                return out

    def capacity(self) -> int:
        if self.window:
            return self.window
        now = time.monotonic()
        if now - self._threads_at > 1.0:
            self._check_connected()
            try:
                self._threads = sum(self.client.nthreads().values())
            except (OSError, TimeoutError):
                self._check_connected()
            self._threads_at = now
        return max(1, WINDOW_PER_THREAD * self._threads)

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), getattr(self, "_cluster", None)
        if client is not None:
            try:
                if client.status == "running":
                    client.unsubscribe_topic("all")
                    client.cancel([f for _, f in self._pending.values()], force=True)
            except Exception:  # noqa: BLE001 - closing: best effort, bounded below
                pass
            self._pending.clear()
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- helpers ------------------------------------------------------------------------------
    def _outcome(self, key: str) -> TaskOutcome | None:
        entry = self._pending.pop(key, None)
        if entry is None:
            return None  # reported lost already
        task_key, fut = entry
        if fut.status == "finished":
            deadline = time.monotonic() + RESULT_SECONDS
            while True:  # in slices: a fetch the scheduler's death left hanging must not hold the run
                try:
                    results_json, failure, fatal = fut.result(timeout=1.0)
                    break
                except TimeoutError:
                    self._pending[key] = entry
                    try:
                        self._check_connected()
                    finally:
                        self._pending.pop(key, None)
                    if time.monotonic() >= deadline:
                        return TaskOutcome(task_key, None, "the cluster could not fetch its result in time")
                except Exception as exc:  # noqa: BLE001 - its data went with a worker (lost), or the scheduler
                    self._blame_the_connection(key, entry, exc)
                    return TaskOutcome(task_key, None, f"the cluster lost its result ({type(exc).__name__})")
            if fatal:
                raise ClusterError(f"the grader cannot run on the cluster: {failure}; finished results "
                                   f"are kept")
            if results_json is not None and not isinstance(results_json, str):
                return TaskOutcome(task_key, None, "the cluster worker sent something other than text")
            return TaskOutcome(task_key, results_json, str(failure or ""))
        if fut.status == "cancelled":
            self._pending[key] = entry
            self._check_connected()
            self._pending.pop(key, None)
            return TaskOutcome(task_key, None, "cancelled by the Dask scheduler")
        try:
            exc = fut.exception(timeout=10)
        except Exception as why:  # noqa: BLE001 - could not even ask: the connection, or lost
            self._blame_the_connection(key, entry, why)
            return TaskOutcome(task_key, None, f"the cluster lost it ({type(why).__name__})")
        self._blame_the_connection(key, entry, exc)
        if isinstance(exc, ImportError):  # a plain `dask worker` without the engine, or another version
            raise ClusterError(f"a cluster worker cannot run the grader ({type(exc).__name__}: {exc}); start "
                               f"workers with `autograder worker` from the same autograder installation")
        return TaskOutcome(task_key, None, f"the cluster worker failed: {type(exc).__name__}: "
                                           f"{' '.join(str(exc).split())[:300]}")

    def _blame_the_connection(self, key: str, entry, exc: BaseException | None) -> None:
        """ClusterError (the task stays unspent) when a task failed because the scheduler went away, not
        the task's worker: the client leaves "running" within CONNECTION_GRACE s of such a failure."""
        if not isinstance(exc, (OSError, TimeoutError, asyncio.CancelledError,
                                concurrent.futures.CancelledError)):
            self._pending[key] = entry
            try:
                self._check_connected()
            finally:
                self._pending.pop(key, None)
            return
        deadline = time.monotonic() + CONNECTION_GRACE
        self._pending[key] = entry
        try:
            while True:
                self._check_connected()
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.1)
        finally:
            self._pending.pop(key, None)

    def _lost_outcomes(self) -> list[TaskOutcome]:
        out = []
        while True:
            try:
                key, worker = self._lost.get_nowait()
            except queue.Empty:
                return out
            entry = self._pending.pop(key, None)
            if entry is None:
                continue
            task_key, fut = entry
            try:
                fut.cancel()
            except Exception:  # noqa: BLE001 - it is given up either way
                pass
            out.append(TaskOutcome(task_key, None, f"the cluster worker {worker} died while grading it"))

    def _check_connected(self) -> None:
        status = str(getattr(self.client.status, "value", self.client.status))
        if status != "running":
            n = len(self._pending)
            raise ClusterError(f"lost the connection to {self.spec.describe()} (client {status}); "
                               f"{n} submission(s) in flight were not graded; finished results are kept: "
                               f"rerun against a running scheduler to grade the rest")

    def _check_workers(self) -> None:
        self._check_connected()
        if not self._pending:
            self._no_workers_since = None
            return
        self.capacity()
        if self._threads:
            self._no_workers_since = None
            return
        now = time.monotonic()
        self._no_workers_since = self._no_workers_since or now
        if now - self._no_workers_since > self.worker_seconds:
            raise ClusterError(f"{self.spec.describe()} has had no worker for {self.worker_seconds:g} s; "
                               f"{len(self._pending)} submission(s) in flight were not graded; finished "
                               f"results are kept")


@dataclass(frozen=True)
class DaskExecutorFactory:
    """What ``grade_class`` and the dispatcher are given: makes a DaskExecutor for an assignment."""

    spec: ClusterSpec
    connect_seconds: float = 30.0
    worker_seconds: float | None = None

    @property
    def options(self) -> dict:
        """For the gradebook's record of the run."""
        return {"executor": "dask", "cluster": self.spec.source or self.spec.address}

    def __call__(self, ref: AssignmentRef, jobs: int = 1, log_dir=None) -> DaskExecutor:
        """``(ref, jobs)`` as ``grade_class`` calls it, ``(ref, jobs, log_dir)`` as the dispatcher does;
        ``jobs`` and ``log_dir`` are the local executor's (the workers keep their own logs)."""
        return DaskExecutor(ref, self.spec, connect_seconds=self.connect_seconds,
                            worker_seconds=self.worker_seconds)


def dask_executor(spec: ClusterSpec, **kwargs) -> DaskExecutorFactory:
    return DaskExecutorFactory(spec, **kwargs)
