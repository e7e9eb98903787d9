"""Grading a class: N grading processes, each one pytest session over many submissions.

The TA's process only hands out submissions, draws the progress bar and writes the class files;
grading processes (trusted) run the hidden tests; workers (untrusted) run student code.
Each student's results are written atomically as soon as they are known, so a killed batch
keeps what it finished, and a rerun skips students whose submission and tests are unchanged.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment, find_assignment
from autograder.engine import GraderError, assignment_hash, load_reference, run_session
from autograder.plugin import Job
from autograder.render import gradescope
from autograder.render.feedback import feedback_md
from autograder.render.grades_csv import grades_csv
from autograder.results import SubmissionResult, exercise_scores
from autograder.submissions import Submission, discover


@dataclass(frozen=True)
class ClassResult:
    results: tuple[SubmissionResult, ...]
    graded: int  # graded in this run (the rest were unchanged since the last run)
    skipped: tuple[str, ...]  # entries of the submissions folder that are not submissions
    seconds: float


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_result(out: Path, r: SubmissionResult, title: str = "") -> None:
    """feedback.md, then results.json (its presence means: this student is done)."""
    folder = out / r.student_id
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "feedback.md", feedback_md(r, title))
    write_atomic(folder / "results.json", gradescope.dumps(r))


def load_result(out: Path, student_id: str) -> SubmissionResult | None:
    try:
        doc = json.loads((out / student_id / "results.json").read_text(encoding="utf-8"))
        return gradescope.from_gradescope(doc)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def error_result(a: Assignment, sub: Submission, why: str, ahash: str) -> SubmissionResult:
    return SubmissionResult(
        student_id=sub.student_id, assignment=a.name, tests=(),
        exercises=exercise_scores((), [(e.id, e.core) for e in a.exercises]), notes=sub.notes,
        submission_hash=sub.hash, assignment_hash=ahash, error=why)


def _grading_process(course_root: str, name: str, out: str, tasks, events) -> None:
    """A grading process: one pytest session over the submissions it takes from ``tasks``."""
    from autograder.sandbox.launch import default_launcher
    from autograder.student import WorkerStudent

    a, secrets = find_assignment(Path(course_root), name)
    ref = load_reference(secrets.reference)
    ahash = assignment_hash(a, (secrets.reference, secrets.hidden_tests))
    launcher = default_launcher()
    files = a.files_map()
    file_of = {fn: f for f, fns in files.items() for fn in fns}
    started: dict[str, float] = {}

    def jobs():
        while True:
            sub = tasks.get()
            if sub is None:
                return
            events.put(("start", sub.student_id))
            started[sub.student_id] = time.monotonic()
            yield Job(sub.student_id, lambda sub=sub: WorkerStudent(
                lambda: launcher.spawn(sub.folder, files), a.call_timeout, uses=a.uses_of,
                oracle_module=ref, file_of=file_of), sub.notes, sub.hash)

    def on_result(r: SubmissionResult) -> None:
        elapsed = time.monotonic() - started.pop(r.student_id, time.monotonic())
        r = SubmissionResult(**{**r.__dict__, "execution_time": elapsed})
        save_result(Path(out), r, a.title)
        events.put(("done", r.student_id))

    try:
        run_session(secrets.hidden_tests, a, jobs(), on_result, ref, ahash)
    except GraderError as exc:
        events.put(("fatal", str(exc)))
    finally:
        launcher.close()


def grade_class(submissions: Path, course_root: Path, name: str, out: Path, jobs: int = 1,
                progress: bool = True) -> ClassResult:
    """Grade every submission under ``submissions`` into ``out``; returns all results."""
    t0 = time.monotonic()
    a, secrets = find_assignment(course_root, name)
    ahash = assignment_hash(a, (secrets.reference, secrets.hidden_tests))
    subs, skipped = discover(submissions, a)
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for sub in subs:
        old = load_result(out, sub.student_id)
        if old is None or old.submission_hash != sub.hash or old.assignment_hash != ahash:
            todo.append(sub)
    if todo:
        _run_processes(todo, course_root, a, out, max(1, min(jobs, len(todo))), progress, ahash)
    results = []
    for sub in subs:
        r = load_result(out, sub.student_id)
        if r is None:
            r = error_result(a, sub, "the grader could not grade this submission", ahash)
            save_result(out, r, a.title)
        results.append(r)
    write_atomic(out / "grades.csv", grades_csv(results, [e.id for e in a.exercises]))
    return ClassResult(tuple(results), len(todo), tuple(skipped), time.monotonic() - t0)


def _run_processes(todo: list[Submission], course_root: Path, a: Assignment, out: Path,
                   jobs: int, progress: bool, ahash: str) -> None:
    from tqdm import tqdm

    ctx = mp.get_context("spawn")
    tasks, events = ctx.Queue(), ctx.Queue()
    for sub in todo:
        tasks.put(sub)
    args = (str(course_root.resolve()), a.name, str(out.resolve()), tasks, events)

    def start():
        p = ctx.Process(target=_grading_process, args=args, daemon=True)
        p.start()
        return p

    procs = [start() for _ in range(jobs)]
    for _ in procs:
        tasks.put(None)
    in_flight: set[str] = set()
    done: set[str] = set()
    bar = tqdm(total=len(todo), unit="sub", disable=not progress, desc=f"grading {a.name}")
    by_id = {s.student_id: s for s in todo}
    restarts = 0
    while len(done) < len(todo):
        try:
            kind, sid = events.get(timeout=0.5)
        except queue.Empty:
            if any(p.is_alive() for p in procs):
                continue
            # Every grading process is gone but work remains: the grader itself failed. The
            # submissions being graded become error results; fresh processes take the rest.
            for sid in sorted(in_flight):
                save_result(out, error_result(a, by_id[sid], "the grader failed while grading "
                                              "this submission", ahash), a.title)
                done.add(sid)
                bar.update(1)
            in_flight.clear()
            restarts += 1
            if restarts > 3:
                raise GraderError("the grading processes keep failing; see the messages above") from None
            if len(done) < len(todo):
                procs = [start() for _ in range(jobs)]
                for _ in procs:
                    tasks.put(None)
            continue
        if kind == "fatal":
            for p in procs:
                p.kill()
            raise GraderError(sid)
        if kind == "start":
            in_flight.add(sid)
        elif kind == "done" and sid not in done:
            in_flight.discard(sid)
            done.add(sid)
            bar.update(1)
    bar.close()
    for p in procs:
        p.join(timeout=10)


def class_summary(cr: ClassResult, a: Assignment) -> str:
    """A few lines for the TA's terminal."""
    scores = [r.score for r in cr.results]
    lines = [f"{len(cr.results)} submissions ({cr.graded} graded now) in {cr.seconds:.1f} s"]
    if scores:
        mx = cr.results[0].max_score
        lines.append(f"score: mean {statistics.fmean(scores):.1f}, median "
                     f"{statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}"
                     f" (of {mx:g})")
        for e in a.exercises:
            got = [x.score for r in cr.results for x in r.exercises if x.id == e.id]
            full = [x.score == x.max_score for r in cr.results for x in r.exercises if x.id == e.id]
            lines.append(f"  {e.id:<26} mean {statistics.fmean(got):5.2f}  full marks "
                         f"{sum(full)}/{len(full)}")
    errors = [r.student_id for r in cr.results if r.error]
    if errors:
        lines.append(f"could not grade: {', '.join(errors)}")
    lines += [f"skipped: {s}" for s in cr.skipped]
    return "\n".join(lines)
