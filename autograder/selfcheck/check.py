"""The student's self-check: the public tests, on the same engine as grading, in their folder."""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.course import i18n
from autograder.course.assignment import Assignment, load_assignment
from autograder.course.i18n import N_, _

if TYPE_CHECKING:
    from autograder.course.results import SubmissionResult

NOT_GRADED = N_("Only the public tests were run; the hidden tests were not run. The hidden tests decide "
                "your grade: they check many more inputs and edge cases, so passing here does not "
                "guarantee full marks.")


def find_assignment_folder(start: Path) -> Path:
    """The folder holding assignment.toml: ``start`` or one of its parents."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "assignment.toml").is_file():
            return folder
    raise FileNotFoundError(_("{folder}: no assignment.toml here or above (run this in the assignment "
                              "folder)").format(folder=start))


def self_check(folder: Path, assignment: Assignment | None = None, notes: tuple[str, ...] = (),
               lang: str | None = None, portable: bool | None = None) -> SubmissionResult:
    """Run the public tests on the student's files in ``folder`` (``notes``: shown first), with the
    feedback in ``lang`` (default: the assignment's ``lang``); ``portable``: take the portable path
    (default: when ``portable_path()`` says so)."""
    folder = Path(folder).resolve()
    a = assignment or load_assignment(find_assignment_folder(folder))
    with i18n.language(i18n.check_lang(lang or a.lang), (a.locale,)):
        return _self_check(folder, a, notes, portable_path() if portable is None else portable)


def portable_path() -> bool:
    """Whether the self-check takes the portable path (feature detection, or forced by
    ``AUTOGRADER_PORTABLE=1``): a plain subprocess with only a wall-clock deadline."""
    from autograder.sandbox import portable

    return portable.needed()


def isolation_note(portable: bool) -> str:
    """The last line of the self-check's report: how the student's code was run."""
    if portable:
        return _("Your code ran in a separate process with a wall-clock time limit only (isolation is "
                 "reduced on this system).")
    return _("Your code ran in a separate process with a time limit per call.")


def _self_check(folder: Path, a: Assignment, notes: tuple[str, ...], portable: bool) -> SubmissionResult:
    if portable:
        from autograder.sandbox.portable import PipeLauncher

        launcher = PipeLauncher()
    else:
        from autograder.sandbox.launch import SubprocessLauncher

        launcher = SubprocessLauncher()
    files = a.files_map()
    first = _Prestarted(lambda: launcher.spawn(folder, files))
    before = set(sys.modules)
    try:
        # Imported only now, while the worker boots: pytest and the engine take about as long.
        from autograder.intake.discover import describe_files
        from autograder.sandbox.client import WorkerStudent
        from autograder.testkit.plugin import Job
        from autograder.testkit.session import run_session

        file_of = {fn: f for f, fns in files.items() for fn in fns}
        job = Job("you", lambda: WorkerStudent(first.launch, a.call_timeout, file_of=file_of),
                  tuple(notes) + describe_files(folder, a))
        results: list[SubmissionResult] = []
        run_session(a.public_tests, a, [job], results.append)
    finally:
        first.discard()
        launcher.close()  # gives back its worker slot and scratch copies
        _forget_modules_under(a.public_tests, before)
    from autograder.testkit.attribution import attribute

    return attribute(results[0], a)  # a failing helper is named where another exercise uses it


def self_check_notebook(path: Path, lang: str | None = None, portable: bool | None = None
                        ) -> SubmissionResult:
    """Run the public tests on a saved notebook, read the way the grader reads it (its code cells as
    one module); ValueError with the student-facing reason when it is not a readable notebook."""
    import tempfile

    from autograder.intake.unpack import materialize, unpack

    path = Path(path).resolve()
    a = load_assignment(find_assignment_folder(path.parent))
    lang = i18n.check_lang(lang or a.lang)
    with i18n.language(lang, (a.locale,)):
        u = unpack(path, a.files_map())
    if u.error:
        raise ValueError("\n".join(u.notes))
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        return self_check(materialize(u.files, Path(tmp) / "notebook"), a, u.notes, lang, portable)


class _Prestarted:
    """The first worker, started in a background thread so that its interpreter boots (and imports
    numpy) while this process imports pytest and collects the tests; later workers (after a
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
        # In a copy of this context: the worker is started in the check's language.
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


def _forget_modules_under(folder: Path, before: set[str]) -> None:
    """Drop the test modules a session imported from ``folder`` (pytest imports them by basename),
    so that a later self-check in this process, on another folder, imports its own tests instead of
    failing with pytest's 'import file mismatch'."""
    folder = Path(folder).resolve()
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if file and Path(file).resolve().is_relative_to(folder):
            del sys.modules[name]


def render_check(r: SubmissionResult, isolation_note: str) -> str:
    """What ``autograder check`` prints, in the active language (the result's texts are in it already)."""
    lines = []
    ok_word, fail_word = _("ok"), _("FAIL")
    width = max(len(ok_word), len(fail_word))
    for e in r.exercises:
        tests = [t for t in r.tests if t.exercise == e.id]
        ok = sum(t.passed for t in tests)
        if not tests:
            lines.append(" " * width + f" {e.id:<26} " + _("no public test (only hidden tests check it)"))
            continue
        mark = (ok_word if ok == len(tests) else fail_word).ljust(width)
        lines.append(f"{mark} {e.id:<26} "
                     + _("{passed}/{total} public tests passed").format(passed=ok, total=len(tests)))
        for t in tests:
            if not t.passed:
                lines.append(f"       - {t.name.split(': ', 1)[-1]}: {t.feedback}")
    lines += [_("note: {note}").format(note=n) for n in r.notes]
    passed = sum(t.passed for t in r.tests)
    total = (_("All {passed} public tests passed.") if r.tests and passed == len(r.tests)
             else _("{passed}/{total} public tests passed.")).format(passed=passed, total=len(r.tests))
    lines += ["", total, _(NOT_GRADED), isolation_note]
    return "\n".join(lines)
