"""The executor seam: where grading runs, apart from who owns the results.

A task is engine-neutral: a vetted submission's files (bytes) with its id, notes, hash and time in,
the results.json text out. The owner (the TA's ``autograder grade`` process, the portal's
dispatcher) is the only writer of results; it validates every outcome and applies the retry rule
(``autograder.grading.scheduler``). Executors only execute.

``LocalExecutor`` runs N grading processes (``python -m autograder.grading.process``, started with
``subprocess``, not multiprocessing) on this machine, one task at a time each, and notices their
deaths by pipe EOF and exit: the task a dead process held comes back as a ``TaskOutcome`` with a
``failure``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autograder.course.errors import GraderError
from autograder.grading import wire


@dataclass(frozen=True)
class AssignmentRef:
    """What a grading process needs for a warm session."""

    course_root: str  # absolute path of the course (assignments/, reference/)
    name: str  # "hw07"
    lang: str  # "en" | "ru"
    assignment_hash: str  # grading hash the results must carry (checked by the owner)


@dataclass(frozen=True)
class GradeTask:
    """One vetted submission to grade; no paths of the owner's machine."""

    key: str  # unique within one executor's life (batch: student id; portal: job id + attempt)
    student_id: str
    files: tuple[tuple[str, bytes], ...] = field(repr=False)  # (flat name, bytes), capped by intake
    notes: tuple[str, ...] = ()
    submission_hash: str = ""
    submitted_at: str = ""
    error: str = ""  # a vetting error: graded as an empty submission, the error heads the feedback


@dataclass(frozen=True)
class TaskOutcome:
    key: str
    results_json: str | None  # results.json text made by a trusted grading process (None: lost)
    failure: str = ""  # why the executor lost it (grading process died, cluster worker killed)


class Executor(Protocol):
    def submit(self, task: GradeTask) -> None: ...
    def completed(self, timeout: float) -> list[TaskOutcome]: ...  # waits at most ``timeout`` s
    def capacity(self) -> int: ...  # how many tasks it wants in flight at once
    def close(self) -> None: ...


# Makes the executor of a run: ``factory(ref, jobs)`` (``LocalExecutor`` is one; so is
# ``autograder.cluster.executor.DaskExecutorFactory``, which also has ``options`` for the gradebook).
ExecutorFactory = Callable[[AssignmentRef, int], Executor]


def task_doc(task: GradeTask) -> dict[str, Any]:
    return {"key": task.key, "student_id": task.student_id,
            "files": [[name, base64.b64encode(data).decode("ascii")] for name, data in task.files],
            "notes": list(task.notes), "submission_hash": task.submission_hash,
            "submitted_at": task.submitted_at, "error": task.error}


def task_from_doc(doc: Any) -> GradeTask:
    try:
        files = tuple((n, base64.b64decode(d, validate=True)) for n, d in doc["files"])
        task = GradeTask(key=doc["key"], student_id=doc["student_id"], files=files,
                         notes=tuple(doc["notes"]), submission_hash=doc["submission_hash"],
                         submitted_at=doc["submitted_at"], error=doc["error"])
    except (KeyError, TypeError, ValueError) as exc:
        raise wire.WireError(f"a malformed task ({type(exc).__name__}: {exc})") from None
    texts = (task.key, task.student_id, task.submission_hash, task.submitted_at, task.error,
             *task.notes, *(n for n, _ in task.files))
    if any(type(v) is not str for v in texts):
        raise wire.WireError("a malformed task (a text field is not a string)")
    return task


def ref_doc(ref: AssignmentRef) -> dict[str, Any]:
    return {"course_root": ref.course_root, "name": ref.name, "lang": ref.lang,
            "assignment_hash": ref.assignment_hash}


def ref_from_doc(doc: Any) -> AssignmentRef:
    try:
        ref = AssignmentRef(doc["course_root"], doc["name"], doc["lang"], doc["assignment_hash"])
    except (KeyError, TypeError) as exc:
        raise wire.WireError(f"a malformed assignment reference ({exc})") from None
    if not all(type(v) is str for v in (ref.course_root, ref.name, ref.lang, ref.assignment_hash)):
        raise wire.WireError("a malformed assignment reference")
    return ref


PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
READ_CHUNK = 1 << 16


@dataclass(eq=False)
class _Process:
    """One grading process as the owner sees it."""

    number: int
    popen: subprocess.Popen
    log: str
    inbox: wire.FrameBuffer = field(default_factory=wire.FrameBuffer)
    outbox: bytearray = field(default_factory=bytearray)
    task: GradeTask | None = None
    since: float = 0.0  # when it was given its task
    eof: bool = False
    why: str = ""  # why the owner stopped it (a deadline, a broken message)


class LocalExecutor:
    """``jobs`` grading processes on this machine, each with one warm session for ``ref``.

    ``log_dir``: each process's stderr goes to ``log_dir/grading-<n>.log`` (default: this process's
    stderr). ``task_timeout``: a process that holds one task longer is killed and the task is lost.
    ``completed`` raises GraderError when a process reports that the grader cannot run at all
    (the hidden tests cannot be collected, the course changed under it).
    """

    def __init__(self, ref: AssignmentRef, jobs: int, *, log_dir: Path | None = None,
                 task_timeout: float = 900.0, python: str = sys.executable):
        self.ref, self.jobs = ref, max(1, int(jobs))
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.task_timeout, self.python = task_timeout, python
        self.procs: list[_Process] = []
        self.started = 0
        self.sel = selectors.DefaultSelector()
        self._lost: list[TaskOutcome] = []

    def capacity(self) -> int:
        return self.jobs

    def prestart(self, n: int | None = None) -> None:
        """Start up to ``n`` (default: ``jobs``) grading processes now: they collect the tests while the
        owner does other work, and ``submit`` hands them tasks."""
        while len(self.procs) < min(self.jobs, n or self.jobs):
            self._send(self._start())

    def finish(self) -> None:
        """No more tasks: idle processes get the end of their input and exit while the owner goes on
        (``close`` waits for them)."""
        for proc in self.procs:
            if proc.task is None and not proc.outbox:
                with contextlib.suppress(OSError):
                    proc.popen.stdin.close()

    def submit(self, task: GradeTask) -> None:
        proc = next((p for p in self.procs if p.task is None and not p.eof and not p.why), None)
        if proc is None:
            if len(self.procs) >= self.jobs:
                raise RuntimeError("LocalExecutor.submit: every grading process is busy (see capacity())")
            proc = self._start()
        proc.task, proc.since = task, time.monotonic()
        proc.outbox += wire.frame({"op": "grade", "task": task_doc(task)})
        self._watch(proc)

    def _start(self) -> _Process:
        self.started += 1
        log = str(self.log_dir / f"grading-{self.started}.log") if self.log_dir else ""
        err = open(log, "ab") if log else None  # noqa: SIM115 - handed to the child, closed below
        try:
            popen = subprocess.Popen(
                [self.python, "-m", "autograder.grading.process"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err, cwd=PACKAGE_PARENT, bufsize=0)
        finally:
            if err is not None:
                err.close()
        os.set_blocking(popen.stdin.fileno(), False)
        os.set_blocking(popen.stdout.fileno(), False)
        proc = _Process(self.started, popen, log or "stderr")
        proc.outbox += wire.frame({"op": "start", "ref": ref_doc(self.ref)})
        self.procs.append(proc)
        self.sel.register(popen.stdout, selectors.EVENT_READ, proc)
        return proc

    def _watch(self, proc: _Process) -> None:
        """Ask for write readiness of ``proc``'s stdin while it has bytes to send."""
        stdin = proc.popen.stdin
        try:
            key = self.sel.get_key(stdin)
        except KeyError:
            key = None
        if proc.outbox and key is None:
            self.sel.register(stdin, selectors.EVENT_WRITE, proc)
        elif not proc.outbox and key is not None:
            self.sel.unregister(stdin)

    def completed(self, timeout: float) -> list[TaskOutcome]:
        deadline = time.monotonic() + max(0.0, timeout)
        done: list[TaskOutcome] = self._lost
        self._lost = []
        while not done:
            self._reap(done)
            self._enforce_deadlines()
            left = deadline - time.monotonic()
            if done or left <= 0:
                break
            if not self.sel.get_map():
                time.sleep(min(left, 0.05))
                continue
            for key, events in self.sel.select(timeout=min(left, 0.5)):
                proc: _Process = key.data
                if events & selectors.EVENT_WRITE:
                    self._send(proc)
                if events & selectors.EVENT_READ:
                    self._receive(proc, done)
        return done

    def _send(self, proc: _Process) -> None:
        try:
            n = os.write(proc.popen.stdin.fileno(), proc.outbox)
        except BlockingIOError:
            return
        except OSError:  # it died; its exit is handled by _reap
            proc.outbox.clear()
            n = 0
        del proc.outbox[:n]
        self._watch(proc)

    def _receive(self, proc: _Process, done: list[TaskOutcome]) -> bool:
        """Read what ``proc`` sent; False when there was nothing to read yet."""
        try:
            chunk = os.read(proc.popen.stdout.fileno(), READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            proc.eof = True
            self.sel.unregister(proc.popen.stdout)
            return True
        try:
            messages = proc.inbox.feed(chunk)
        except wire.WireError as exc:
            self._stop(proc, f"it sent a broken message ({exc})")
            return True
        for msg in messages:
            op = msg["op"]
            if op == "fatal":
                why = msg.get("error", "the grading process cannot run")
                raise GraderError(f"{why}; details in {proc.log}")
            if op in ("done", "lost") and proc.task is not None and msg.get("key") == proc.task.key:
                text = msg.get("results_json") if op == "done" else None
                if op == "done" and type(text) is not str:
                    self._stop(proc, "it sent a result that is not text")
                    return True
                failure = "" if op == "done" else str(msg.get("failure", "lost"))
                done.append(TaskOutcome(proc.task.key, text, failure))
                proc.task = None
            elif op not in ("ready",):
                self._stop(proc, f"it sent an unexpected message ({op!r})")
                return True
        return True

    def _stop(self, proc: _Process, why: str) -> None:
        proc.why = why
        with contextlib.suppress(OSError):
            proc.popen.kill()

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for proc in self.procs:
            if proc.task is not None and not proc.why and now - proc.since > self.task_timeout:
                self._stop(proc, f"it took longer than {self.task_timeout:g} s over one submission")

    def _reap(self, done: list[TaskOutcome]) -> None:
        """Bury the processes whose output ended or that exited; their tasks are lost."""
        for proc in list(self.procs):
            code = proc.popen.poll()
            if not proc.eof and code is None:
                continue
            if code is None:  # output closed but still running: give it a moment, then kill it
                try:
                    code = proc.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.popen.kill()
                    code = proc.popen.wait()
            elif not proc.eof:  # exited: read what it said before it went
                self._drain(proc, done)
            self._forget(proc)
            if proc.task is not None:
                why = proc.why or "the grading process died"
                done.append(TaskOutcome(proc.task.key, None, f"{why} (grading process {proc.number}, "
                                                             f"exit code {code}; see {proc.log})"))
                proc.task = None

    def _drain(self, proc: _Process, done: list[TaskOutcome]) -> None:
        """What an exited process wrote before it went (bounded: a pipe holds little)."""
        for _ in range(1024):
            if proc.eof or not self._receive(proc, done):
                return

    def _forget(self, proc: _Process) -> None:
        self.procs.remove(proc)
        for f in (proc.popen.stdout, proc.popen.stdin):
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(f)
            with contextlib.suppress(OSError):
                f.close()

    def close(self, timeout: float = 10.0) -> None:
        """Tell every process to stop (end of its input), wait up to ``timeout`` s, then kill."""
        for proc in self.procs:
            if proc.task is not None:  # still busy with work nobody waits for any more
                self._stop(proc, "the owner closed the executor")
            with contextlib.suppress(OSError):
                proc.popen.stdin.close()
        deadline = time.monotonic() + timeout
        for proc in list(self.procs):
            try:
                proc.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
            self._forget(proc)
        self.sel.close()
