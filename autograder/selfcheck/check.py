"""The student's self-check: the public tests, on the same engine as grading, in their folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
    from autograder.grading.executor import GradeTask
    from autograder.grading.session import GradingSession
    from autograder.intake.discover import describe_files

    launcher = None
    if portable:
        from autograder.sandbox.portable import PipeLauncher

        launcher = PipeLauncher()
    task = GradeTask("you", "you", folder_files(folder), tuple(notes) + describe_files(folder, a))
    try:
        # prestart: the worker boots while this process imports pytest and collects the public tests;
        # without a launcher the session starts a fresh interpreter per worker (SubprocessLauncher).
        with GradingSession(a, public=True, lang=i18n.current(), launcher=launcher, prestart=True) as session:
            r = session.grade(task)
    finally:
        if launcher is not None:
            launcher.close()
    from autograder.testkit.attribution import attribute

    return attribute(r, a)  # a failing helper is named where another exercise uses it


def folder_files(folder: Path) -> tuple[tuple[str, bytes], ...]:
    """The files of ``folder`` a worker may import: regular .py files, as the launcher stages them."""
    from autograder.sandbox.scratch import MAX_FILE_BYTES, MAX_FILES

    out = []
    for p in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        if len(out) >= MAX_FILES:
            break
        if p.name.endswith(".py") and not p.name.startswith(".") and p.is_file() and not p.is_symlink():
            try:
                if p.stat().st_size <= MAX_FILE_BYTES:
                    out.append((p.name, p.read_bytes()))
            except OSError:
                continue
    return tuple(out)


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
