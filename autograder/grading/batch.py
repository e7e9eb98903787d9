"""Grading a class: discover -> vet -> schedule -> write -> class files.

The TA's process (the owner of OUT, its only writer) vets the submissions, hands them to N grading
processes (``LocalExecutor``, driven by the ``Scheduler``) as tasks (the vetted files as bytes),
writes each result as it arrives, draws the progress bar and writes the class files; grading
processes (trusted: ``autograder.grading.process``, one warm ``GradingSession`` each) run the
hidden tests; workers (untrusted) run student code.

Nothing is lost, and the same class gives the same files:
- each student's feedback.md and then results.json are written atomically (temporary file, then
  rename) as soon as they are known; results.json present means "this student is done";
- a rerun skips students whose results.json carries the same submission hash (of the vetted files
  and notes) and assignment hash (assignment.toml, reference, hidden tests, grader version);
- grades.csv is removed when a run starts and written only when every student has a result, so a
  killed run never leaves a table that looks complete;
- a grading process that dies is noticed (its pipe and its exit), its submission is given to a
  fresh process once more, then recorded as a grader failure (which a rerun grades again);
- ``execution_time`` is the only field of results.json that differs between two runs;
- the late policy is applied from each submission's time (``autograder.course.late``): by the grading
  session before the first write, and again by the TA's process on a rerun, so a changed
  submission time changes the result without regrading (a changed due date changes
  assignment.toml, hence the assignment hash: a regrade);
- every run and each student's result are recorded in the gradebook (``autograder.records.gradebook``) by the
  TA's process as each results.json appears, so a killed run has recorded what finished.
"""

from __future__ import annotations

import functools
import shutil
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autograder import __version__
from autograder.course import i18n
from autograder.course.assignment import Assignment, find_assignment
from autograder.course.errors import GradebookError, GraderError
from autograder.course.files import write_atomic
from autograder.course.i18n import N_
from autograder.course.kinds import Kind
from autograder.course.late import apply_late, normalize
from autograder.course.outdir import GRADES_CSV, LOCK, VETTING_CACHE, WORK
from autograder.course.results import SubmissionResult, exercise_scores
from autograder.grading.executor import AssignmentRef, Executor, ExecutorFactory, GradeTask, LocalExecutor
from autograder.grading.hashes import grading_hash
from autograder.grading.scheduler import GaveUp, Scheduler, watchdog_seconds
from autograder.grading.session import task_of
from autograder.grading.store import is_current, load_result, load_result_text, parse_result, save_result
from autograder.intake.discover import discover, load_files
from autograder.intake.submission import Submission
from autograder.intake.vetcache import VettingCache
from autograder.render.grades_csv import grades_csv

GRADER_FAILED = N_("the grader failed while grading this submission")  # translated where shown


@dataclass(frozen=True)
class ClassResult:
    # Each student's result without its tests (those that failed in the grader's own code are kept),
    # notes or layers: what grades.csv and the TA's summary need; ``results`` reads the full ones.
    summary: tuple[SubmissionResult, ...]
    graded: int  # graded in this run (the rest were unchanged since the last run)
    skipped: tuple[str, ...]  # entries of the submissions folder that are not submissions
    seconds: float
    notes: tuple[str, ...] = ()  # for the TA: unreadable or unmatched submission times
    gradebook: str = ""  # where this run was recorded
    out: Path | None = None  # the results folder

    @functools.cached_property
    def results(self) -> tuple[SubmissionResult, ...]:
        """Every student's full result, read from OUT on first use (grading never holds them all)."""
        return tuple(load_result(self.out, r.student_id) for r in self.summary)


def summary_of(r: SubmissionResult, one=lambda x: x) -> SubmissionResult:
    """``r`` as ``ClassResult.summary`` keeps it; ``one(x)``: the one copy of a value many results share."""
    return replace(r, tests=tuple(t for t in r.tests if t.kind == Kind.GRADER), notes=(), layers=(),
                   exercises=tuple(one(e) for e in r.exercises), assignment=one(r.assignment),
                   assignment_hash=one(r.assignment_hash), due=one(r.due), lang=one(r.lang))


def error_result(a: Assignment, sub: Submission, why: str, ahash: str,
                 final: bool = True) -> SubmissionResult:
    """A result without tests. ``final=False``: the grader's fault, so no hash: a rerun regrades."""
    return apply_late(SubmissionResult(
        student_id=sub.student_id, assignment=a.name, tests=(),
        exercises=exercise_scores((), [(e.id, e.core) for e in a.exercises]), notes=sub.notes,
        submission_hash=sub.hash if final else "", assignment_hash=ahash, error=why, lang=i18n.current()),
        a.late, sub.submitted_at)


def with_times(subs: list[Submission], times: Mapping[str, str], a: Assignment
               ) -> tuple[list[Submission], list[str]]:
    """``subs`` with their submission times (``times``, from the TA, wins) in ISO 8601; lines for the TA."""
    out, notes = [], []
    for s in subs:
        text = times.get(s.student_id, s.submitted_at)
        try:
            text = normalize(text, a.late)
        except ValueError:
            notes.append(f"{s.student_id}: the submission time {text!r} cannot be read; counted as on time")
            text = ""
        out.append(replace(s, submitted_at=text))
    stray = sorted(set(times) - {s.student_id for s in subs})
    if stray:
        notes.append(f"submission times given for {len(stray)} student(s) without a submission: "
                     f"{', '.join(stray[:10])}{' ...' if len(stray) > 10 else ''}")
    return out, notes


def _lock(f, out: Path) -> None:
    """Hold OUT/.lock for the run: two graders writing into one OUT would mix their results."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise GraderError(f"another autograder grade is writing into {out}") from None


def grade_class(submissions: Path, course_root: Path, name: str, out: Path, jobs: int = 1,
                progress: bool = True, db: str | None = None,
                submitted_at: Mapping[str, str] | None = None, lang: str | None = None,
                executor: ExecutorFactory | None = None) -> ClassResult:
    """Grade every submission under ``submissions`` into ``out``; returns all results.

    ``lang``: the language of the feedback, notes and report ("en" or "ru"; default: the
    assignment's ``lang``); it is part of the assignment hash, so another language regrades.
    ``executor``: where grading runs, ``executor(ref, jobs)`` (default: ``LocalExecutor``, ``jobs``
    grading processes here; ``autograder.cluster`` makes a Dask one). Everything else — the output
    folder, resume, the gradebook, the retry rule — is this process's, whatever the executor.
    """
    a, secrets = find_assignment(course_root, name)
    lang = i18n.check_lang(lang or a.lang)
    with i18n.language(lang, (secrets.locale, a.locale)):
        return _grade_class(submissions, course_root, name, out, jobs, progress, db, submitted_at, lang,
                            executor)


def _grade_class(submissions: Path, course_root: Path, name: str, out: Path, jobs: int,
                 progress: bool, db: str | None, submitted_at: Mapping[str, str] | None,
                 lang: str, executor: ExecutorFactory | None = None) -> ClassResult:
    """``grade_class`` with ``lang`` active.

    ``db``: the gradebook (SQLAlchemy URL, SQLite file or folder; default ``out/.gradebook.sqlite``).
    ``submitted_at``: student id -> submission time from the TA; wins over ``Submission.submitted_at``.
    Raises AssignmentError (unknown assignment), GraderError (the tests cannot run, ``out`` or the
    gradebook cannot be written) or OSError (``submissions`` cannot be listed); nothing a student did raises.
    """
    t0 = time.monotonic()
    out = Path(out)
    a, secrets = find_assignment(course_root, name)
    ahash = grading_hash(a, secrets, lang)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / LOCK, "a")  # held until the run ends
    except OSError as exc:
        raise GraderError(f"cannot write results into {out}: {exc.strerror or exc}") from None
    with lock:
        _lock(lock, out)
        cache = VettingCache(out / VETTING_CACHE, ahash, a.files_map())
        subs, skipped = discover(submissions, a, cache=cache, keep_files=False)  # files read when needed
        try:
            cache.save()
        except OSError:
            pass  # only a cache: the next run vets again
        subs, notes = with_times(subs, submitted_at or {}, a)
        (out / GRADES_CSV).unlink(missing_ok=True)
        for stale in [*out.glob("*/.*.tmp"), *out.glob(".*.tmp")]:
            stale.unlink(missing_ok=True)
        work = out / WORK
        shutil.rmtree(work, ignore_errors=True)
        by_id = {s.student_id: s for s in subs}
        done = _Finished(a, ahash, out)
        todo = []
        for sub in subs:  # each result read once, used at once and not kept
            r, text = load_result_text(out, sub.student_id)
            if is_current(r, sub, ahash):
                done.add(sub, r, text)
            else:
                todo.append(sub)
        ref = AssignmentRef(str(Path(course_root).resolve()), a.name, lang, ahash)
        # The grading processes start first: they collect the tests while the gradebook opens.
        pool = _executor(ref, a, out, max(1, min(jobs, len(todo))), executor) if todo else None
        try:
            gb, run = _open_gradebook(db, out, a, ahash, {
                "jobs": jobs, "submissions": str(Path(submissions).resolve()),
                "submission_times_from_ta": len(submitted_at or {}), "late": _policy_doc(a), "lang": lang,
                **getattr(executor, "options", {})})
            try:
                if pool is not None:
                    # A submission with an error is graded as an empty one: every test is listed with
                    # its points, the error heads the feedback.
                    for r in _schedule(todo, by_id, pool, a, ahash, progress):
                        text = save_result(out, r, a.title)
                        gb.record(run, r)
                        done.add(by_id[r.student_id], r, text)
                    if isinstance(pool, LocalExecutor):
                        pool.finish()  # its processes exit while the class files are written
                # Every student's result in this run; one the gradebook does not hold yet (a result
                # written before it existed, a changed late penalty) is read again to be recorded.
                gb.record_many(run, done.summary(), per_transaction=50,
                               full=lambda row: load_result(out, row.student_id))
                write_class_files(out, done.summary(), a)
                gb.finish_run(run)
            except GradebookError as exc:
                raise GraderError(f"gradebook: {exc}; finished results are kept (a rerun records them)") \
                    from None
            finally:
                gb.close()
            from autograder.reports.class_report import write_class_report_of  # jinja2: only to rebuild

            write_class_report_of(out, done.feed, a, _vetted_files(subs, by_id, a), course_root)
        finally:
            if pool is not None:
                pool.close()
        shutil.rmtree(work, ignore_errors=True)
    return ClassResult(done.summary(), len(todo), tuple(skipped), time.monotonic() - t0, tuple(notes),
                       f"{gb.where} (run {run})", out)


class _Finished:
    """Each student's final result as it is known, used at once and not kept: written again when
    its late penalty changed, reduced to its summary (which the gradebook records) and fed to the
    class files."""

    def __init__(self, a: Assignment, ahash: str, out: Path):
        from autograder.reports.class_report import ReportFeed

        self.a, self.ahash, self.out = a, ahash, out
        self.feed = ReportFeed()
        self.rows: dict[str, SubmissionResult] = {}
        self.shared: dict = {}  # exercise scores and texts that many summaries share: kept once

    def add(self, sub: Submission, r: SubmissionResult | None, text: str) -> None:
        a = self.a
        if not (is_current(r, sub, self.ahash) or (r is not None and r.error == GRADER_FAILED)):
            r = error_result(a, sub, GRADER_FAILED, self.ahash, final=False)
            text = save_result(self.out, r, a.title)
        elif (late := apply_late(r, a.late, sub.submitted_at)) != r:
            r = late  # its submission time changed since it was graded: no need to regrade
            text = save_result(self.out, r, a.title)
        self.feed.add(r, text)
        self.rows[r.student_id] = summary_of(r, lambda x: self.shared.setdefault(x, x))

    def summary(self) -> tuple[SubmissionResult, ...]:
        """Every student's summary, by student id."""
        return tuple(self.rows[sid] for sid in sorted(self.rows))


def _vetted_files(subs: list[Submission], by_id: Mapping[str, Submission], a: Assignment):
    """(student id, vetted files) of each submission, vetted again one at a time (the class report's
    similarity section); an entry that changed since it was graded is left out."""
    for sub in subs:
        now = by_id[sub.student_id]
        fresh = load_files(now, a)
        if fresh.files and fresh.hash == now.hash:
            yield sub.student_id, fresh.files


def _executor(ref: AssignmentRef, a: Assignment, out: Path, jobs: int,
              make_executor: ExecutorFactory | None) -> Executor:
    """Where this run grades: ``make_executor(ref, jobs)``, or ``jobs`` local grading processes started
    now (logs in ``OUT/.work/grading-<n>.log``)."""
    if make_executor is not None:
        return make_executor(ref, jobs)
    work = out / WORK
    work.mkdir(parents=True, exist_ok=True)
    pool = LocalExecutor(ref, jobs, log_dir=work.resolve(), task_timeout=watchdog_seconds(a.time_budget))
    pool.prestart()
    return pool


def _schedule(todo: list[Submission], by_id: dict[str, Submission], executor: Executor, a: Assignment,
              ahash: str, progress: bool):
    """Each submission's result as it arrives from the executor's grading processes (a grader failure
    after a second lost attempt). A submission's files are read when its task is handed out
    (``by_id`` then holds it as vetted at that moment)."""
    from tqdm import tqdm

    def accept(task: GradeTask, text: str) -> SubmissionResult:
        r = parse_result(text)
        if (r.student_id, r.assignment, r.assignment_hash, r.submission_hash) != (
                task.student_id, a.name, ahash, task.submission_hash):
            raise ValueError(f"a result for {r.student_id!r} ({r.assignment}, {r.assignment_hash}, "
                             f"{r.submission_hash[:12]}) where {task.student_id!r} was expected")
        return r

    def prepare(task: GradeTask) -> GradeTask:
        sub = by_id[task.key]
        fresh = load_files(sub, a)
        by_id[task.key] = replace(fresh, files=(), lazy=sub.lazy)
        return task_of(fresh)

    bar = tqdm(total=len(todo), unit="sub", disable=not progress, desc=f"grading {a.name}")
    try:
        for event in Scheduler(executor, [task_of(s) for s in todo], accept, prepare=prepare).run():
            if isinstance(event, GaveUp):
                yield error_result(a, by_id[event.task.key], GRADER_FAILED, ahash, final=False)
            else:
                yield event.result
            bar.update(1)
    finally:
        bar.close()


def write_class_files(out: Path, results: Sequence[SubmissionResult], a: Assignment) -> None:
    """The class files of ``out`` from all students' results (``autograder report`` calls this too)."""
    write_atomic(out / GRADES_CSV, grades_csv(results, [e.id for e in a.exercises]), durable=True)


def rebuild_class_files(out: Path, course_root: Path, db: str | None = None, assignment: str | None = None,
                        lang: str | None = None) -> tuple[Assignment, list[SubmissionResult], str]:
    """``autograder report``: rewrite ``out``'s class files (grades.csv, report.html, item_analysis.csv)
    from the gradebook, without grading.

    Each student's latest result recorded for ``out`` (``Gradebook.latest``); returns the assignment,
    the results and where the gradebook is. Raises GraderError (no gradebook, nothing recorded for
    ``out``, ``out`` busy) or AssignmentError.
    """
    from autograder.course.assignment import load_assignment
    from autograder.records.gradebook import Gradebook, db_url

    out = Path(out)
    if not out.is_dir():
        raise GraderError(f"{out} is not a results folder")
    try:
        with Gradebook(db_url(db, out), create=False) as gb:
            name, results = gb.latest(out, assignment)
            where = gb.where
    except GradebookError as exc:
        raise GraderError(f"gradebook: {exc}") from None
    a = load_assignment(Path(course_root) / "assignments" / name)
    try:
        lock = open(out / LOCK, "a")
    except OSError as exc:
        raise GraderError(f"cannot write into {out}: {exc.strerror or exc}") from None
    with lock:
        _lock(lock, out)
        write_class_files(out, results, a)
        from autograder.reports.class_report import write_class_report  # as grade_class calls it

        # The gradebook keeps results, not the submitted files: the similarity section says so.
        locales = (Path(course_root) / "reference" / a.name / "locale", a.locale)
        with i18n.language(i18n.check_lang(lang or a.lang), locales):
            write_class_report(out, results, a, None, course_root)
    return a, results, where


def _policy_doc(a: Assignment) -> dict | None:
    p = a.late
    return None if p is None else {"due": p.due.isoformat(), "grace_minutes": p.grace.total_seconds() / 60,
                                   "penalty_per_day": p.penalty_per_day, "max_penalty": p.max_penalty}


def _open_gradebook(db: str | None, out: Path, a: Assignment, ahash: str, options: dict):
    """The gradebook and this run's id in it; GraderError when it cannot be opened."""
    from autograder.records.gradebook import Gradebook, db_url

    try:
        gb = Gradebook(db_url(db, out))
    except GradebookError as exc:
        raise GraderError(f"gradebook: {exc}") from None
    try:
        return gb, gb.start_run(a.name, ahash, out, options, __version__)
    except GradebookError as exc:
        gb.close()
        raise GraderError(f"gradebook: {exc}") from None


def class_summary(cr: ClassResult, a: Assignment) -> str:
    """A few lines for the TA's terminal."""
    scores = [r.score for r in cr.summary]
    lines = [f"{len(cr.summary)} submissions ({cr.graded} graded now) in {cr.seconds:.1f} s"]
    if scores:
        mx = cr.summary[0].max_score
        lines.append(f"score: mean {statistics.fmean(scores):.1f}, median "
                     f"{statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}"
                     f" (of {mx:g})")
        for e in a.exercises:
            got = [x.score for r in cr.summary for x in r.exercises if x.id == e.id]
            full = [x.score == x.max_score for r in cr.summary for x in r.exercises if x.id == e.id]
            lines.append(f"  {e.id:<26} mean {statistics.fmean(got):5.2f}  full marks "
                         f"{sum(full)}/{len(full)}")
    lines += [f"could not grade {r.student_id}: {r.error}" for r in cr.summary if r.error]
    lines += grader_fault_summary(cr.summary)
    if a.late is not None:
        lines += late_summary(cr.summary)
    lines += list(cr.notes)
    lines += [f"skipped: {s}" for s in cr.skipped]
    return "\n".join(lines)


def grader_faults(results: tuple[SubmissionResult, ...]) -> dict[str, list[str]]:
    """Tests that failed in the grader's own code (the hidden tests, the reference): test name ->
    the students it happened to (they lost no points for it)."""
    out: dict[str, list[str]] = {}
    for r in results:
        for t in r.tests:
            if t.kind == Kind.GRADER:
                out.setdefault(t.name, []).append(r.student_id)
    return out


def grader_fault_summary(results: tuple[SubmissionResult, ...]) -> list[str]:
    """Lines for the TA: which tests are broken, for whom; the exit status of ``autograder grade`` is 3."""
    faults = grader_faults(results)
    if not faults:
        return []
    lines = [f"GRADER FAULT: {len(faults)} hidden test(s) failed in the grader's own code (no points were "
             f"taken for them; fix the test and rerun: those students are regraded):"]
    for name, who in sorted(faults.items()):
        lines.append(f"  {name}: {len(who)} student(s), e.g. {', '.join(who[:3])}")
    return lines


def late_summary(results: tuple[SubmissionResult, ...]) -> list[str]:
    """Late submissions and the penalties taken; students whose submission time is unknown."""
    lines = []
    late = [r for r in results if r.late_days]
    if late:
        taken = ", ".join(f"{r.student_id} ({r.late_days} d, -{r.late_penalty:g})" for r in late[:10])
        lines.append(f"late: {len(late)} submission(s), {sum(r.late_penalty for r in late):g} points taken "
                     f"off in all: {taken}{' ...' if len(late) > 10 else ''}")
    unknown = [r.student_id for r in results if not r.submitted_at]
    if unknown:
        lines.append(f"submission time unknown for {len(unknown)} student(s), counted as on time: "
                     f"{', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}")
    return lines
