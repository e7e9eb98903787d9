"""The seam: grade one vetted submission with a warm session. Every path goes through it.

``GradingSession`` holds one pytest session (the tests collected once) running in a dedicated,
long-lived thread that also owns the launcher (the zygote is started once, by that thread, so the
workers it starts with PR_SET_PDEATHSIG live as long as the session); ``grade(task)`` hands the
thread one submission and waits, with a deadline, for its result. ``grade_submission`` is the
one-shot form. Used by the batch's grading processes (``autograder.grading.process``), the
self-check (public tests, no reference), Gradescope's ``run_autograder``, the portal and Dask.

Runs in a trusted process: student code runs only in the workers the launcher starts.
"""

from __future__ import annotations

import contextvars
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.course import i18n
from autograder.course.assignment import Assignment, Secrets, find_assignment
from autograder.course.errors import GraderError
from autograder.course.late import apply_late
from autograder.course.results import SubmissionResult
from autograder.grading.executor import GradeTask
from autograder.grading.hashes import grading_hash
from autograder.grading.scheduler import watchdog_seconds
from autograder.intake.unpack import materialize

START_TIMEOUT = 300.0  # seconds for the session to import and collect the tests
TASK_TIMEOUT = 600.0  # seconds for one submission (each call into it has the assignment's own limit)
_STOP = object()


class GradingSession:
    """A warm grading session for one assignment (a context manager).

    Hidden tests (default): ``secrets`` gives the reference and the hidden tests; results carry the
    grading hash. ``public=True`` (the self-check): the public tests, no reference, no hash, no late
    policy, and a fresh interpreter per worker (``SubprocessLauncher``) unless ``launcher`` is
    given; ``prestart=True`` boots each submission's first worker while the tests are collected.
    ``lang``: the language of the feedback (default: the assignment's).
    """

    def __init__(self, assignment: Assignment, secrets: Secrets | None = None, *, public: bool = False,
                 lang: str | None = None, launcher: Any = None, prestart: bool = False,
                 start_timeout: float = START_TIMEOUT, task_timeout: float = TASK_TIMEOUT):
        if not public and secrets is None:
            raise ValueError("GradingSession: hidden tests need the assignment's secrets")
        self.assignment, self.secrets, self.public = assignment, secrets, public
        self.lang = i18n.check_lang(lang or assignment.lang)
        self.locales = (assignment.locale,) if public else (secrets.locale, assignment.locale)
        self.tests = assignment.public_tests if public else secrets.hidden_tests
        self.assignment_hash = "" if public else grading_hash(assignment, secrets, self.lang)
        # A submission cannot take longer than its time budget allows (its calls are bounded by it).
        self.start_timeout = start_timeout
        self.task_timeout = min(task_timeout, watchdog_seconds(assignment.time_budget))
        self.prestart = prestart
        self.launcher = launcher
        self._own_launcher = launcher is None
        self.files = assignment.files_map()
        self.file_of = {fn: f for f, fns in self.files.items() for fn in fns}
        self._tasks: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._launcher_ready = threading.Event()
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._error: BaseException | None = None
        self.broken = ""  # why this session cannot grade any more
        self._lock = threading.Lock()
        self._count = 0
        self._thread: threading.Thread | None = None
        self._base: Path | None = None

    @classmethod
    def for_course(cls, course_root: Path, name: str, **options: Any) -> GradingSession:
        """A hidden-test session for ``course_root``'s assignment ``name`` (AssignmentError if unknown)."""
        a, secrets = find_assignment(Path(course_root), name)
        return cls(a, secrets, **options)

    # -- life
    def __enter__(self) -> GradingSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._base = Path(tempfile.mkdtemp(prefix="autograder-session-"))
        self._thread = threading.Thread(target=self._run, name="autograder-grading-session", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Return once the tests are collected; GraderError when they cannot be, or not in time."""
        self.start()
        if not self._ready.wait(self.start_timeout if timeout is None else timeout):
            self.broken = "the grading session did not start in time"
            raise GraderError(f"{self.broken} ({self.start_timeout:g} s to collect {self.tests})")
        self._raise_if_ended()

    def close(self, timeout: float = 30.0) -> None:
        """End the session: the thread stops its launcher (workers, zygote) and pytest ends."""
        if self._thread is None:
            return
        self._tasks.put(_STOP)
        self._thread.join(timeout)
        self._thread = None
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    # -- grading
    def grade(self, task: GradeTask) -> SubmissionResult:
        """Grade one vetted submission. GraderError when the tests cannot run at all; TimeoutError
        when the session gave no result within ``task_timeout`` (the session is then broken)."""
        with self._lock:
            self.start()
            if self.broken:
                raise GraderError(f"the grading session cannot grade: {self.broken}")
            self._raise_if_ended()
            self._count += 1
            folder = materialize(task.files, self._base / f"t{self._count}")
            first = None
            try:
                launch = self._launch_for(folder)
                if self.prestart:
                    if not self._launcher_ready.wait(self.start_timeout):
                        raise TimeoutError("the grading session's launcher did not start in time")
                    self._raise_if_ended()
                    first = _Prestarted(launch)
                t0 = time.monotonic()
                self._tasks.put((task, first.launch if first else launch))
                r = self._wait_result(time.monotonic() + self.task_timeout)
            finally:
                if first is not None:
                    first.discard()
                shutil.rmtree(folder, ignore_errors=True)
        r = replace(r, execution_time=time.monotonic() - t0, error=task.error)
        return r if self.public else apply_late(r, self.assignment.late, task.submitted_at)

    def _launch_for(self, folder: Path) -> Callable[[], Any]:
        def launch():
            return self.launcher.spawn(folder, self.files)
        return launch

    def _wait_result(self, deadline: float) -> SubmissionResult:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.broken = f"no result within {self.task_timeout:g} s"
                raise TimeoutError(f"the grading session gave no result within {self.task_timeout:g} s")
            try:
                item = self._results.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if item is _STOP:
                self._raise_if_ended()
                raise GraderError("the grading session ended")
            return item

    def _raise_if_ended(self) -> None:
        if not self._ended.is_set():
            return
        exc = self._error
        self.broken = self.broken or "the grading session ended"
        if isinstance(exc, GraderError):
            raise GraderError(str(exc))
        if exc is not None:
            raise GraderError(f"the grading session failed ({type(exc).__name__}: {exc})")
        raise GraderError("the grading session ended")

    # -- the session's own thread
    def _run(self) -> None:
        try:
            with i18n.language(self.lang, self.locales):
                if self.launcher is None:
                    from autograder.sandbox.launch import SubprocessLauncher, default_launcher

                    # The zygote imports numpy while this thread imports pytest and collects.
                    self.launcher = SubprocessLauncher() if self.public else default_launcher(wait=False)
                self._launcher_ready.set()
                try:
                    from autograder.testkit.session import load_reference, run_session

                    ref = None if self.public else load_reference(self.secrets.reference)
                    run_session(self.tests, self.assignment, self._jobs(ref), self._results.put, ref,
                                self.assignment_hash)
                finally:
                    if self._own_launcher:
                        self.launcher.close()  # its zygote, its worker slot and scratch copies
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on this session
            self._error = exc
        finally:
            self._ended.set()
            self._ready.set()
            self._launcher_ready.set()
            self._results.put(_STOP)

    def _jobs(self, ref: ModuleType | None) -> Iterator:
        from autograder.sandbox.answers import Answers
        from autograder.sandbox.client import WorkerStudent
        from autograder.testkit.plugin import Job

        a = self.assignment
        answers = Answers()  # the stand-ins' answers, remembered for every submission of this session
        self._ready.set()  # collected: the plugin asks for the first job only then
        while True:
            item = self._tasks.get()  # idle until the next submission or the end
            if item is _STOP:
                return
            task, launch = item
            # Each submission: its time budget for all calls together, and stand-ins bounded by their
            # contracts (assignment.toml time_budget, [stand_ins]).
            yield Job(task.student_id, lambda launch=launch: WorkerStudent(
                launch, a.call_timeout, uses=a.uses_of, oracle_module=ref, file_of=self.file_of,
                budget=a.time_budget, contracts=a.stand_ins, answers=answers), task.notes,
                task.submission_hash)


def grade_submission(course_root: Path, assignment: str, submission: Any, *,
                     lang: str | None = None) -> SubmissionResult:
    """Grade one vetted submission (``autograder.intake.discover.Submission``, or a GradeTask) with
    the hidden tests of ``course_root``'s ``assignment``; one-shot (a session for one grade)."""
    task = submission if isinstance(submission, GradeTask) else task_of(submission)
    a, secrets = find_assignment(Path(course_root), assignment)
    lang = i18n.check_lang(lang or a.lang)
    with i18n.language(lang, (secrets.locale, a.locale)), GradingSession(a, secrets, lang=lang) as s:
        return s.grade(task)


def task_of(sub: Any) -> GradeTask:
    """The task for a vetted ``Submission`` (its files as bytes; keyed by student id)."""
    return GradeTask(key=sub.student_id, student_id=sub.student_id, files=tuple(sub.files),
                     notes=tuple(sub.notes), submission_hash=sub.hash, submitted_at=sub.submitted_at,
                     error=sub.error)


class _Prestarted:
    """The first worker, started in a background thread so that its interpreter boots (and imports
    numpy) while the session imports pytest and collects the tests; later workers (after a
    timeout or crash) are started on demand.

    The thread stays alive until ``discard``: a worker dies with the *thread* that started it
    (PR_SET_PDEATHSIG), so that thread must outlive the worker.
    """

    def __init__(self, spawn: Callable[[], Any]):
        self.spawn = spawn
        self.worker: Any = None
        self.error: BaseException | None = None
        self.taken = False
        self.ready = threading.Event()
        self.done = threading.Event()
        # In a copy of the caller's context: the worker is started in the session's language.
        self.thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,),
                                       name="autograder-first-worker", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.worker = self.spawn()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the worker
            self.error = exc
        self.ready.set()
        self.done.wait()

    def launch(self) -> Any:
        if self.taken:
            return self.spawn()
        self.taken = True
        self.ready.wait()
        if self.error is not None:
            raise self.error
        return self.worker

    def discard(self) -> None:
        """Stop the first worker if no test asked for it, and let the thread end."""
        self.ready.wait()
        if not self.taken and self.worker is not None:
            self.worker.kill()
        self.done.set()
        self.thread.join()
