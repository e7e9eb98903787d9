"""Run one test folder over many submission folders at batch speed, on the grading engine.

For the instructor's tools (the variant corpus, ``autograder mutants``): ``jobs`` grading processes,
each ONE pytest session (tests collected once) over its share of the submissions, every
submission in its own isolated worker (the zygote launcher ``autograder grade`` uses). With a
``reference`` the run is graded as ``autograder grade`` grades (the ``ref`` fixture, and trusted
stand-ins for the functions an exercise ``uses``); without one it is the self-check
(``autograder check``: the student's own helpers, no ``ref``).
"""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

from autograder.course import i18n
from autograder.course.results import SubmissionResult


@dataclass(frozen=True)
class Suite:
    tests: Path  # a test folder
    assignment_folder: Path  # assignments/<name>/ (assignment.toml)
    reference: Path | None = None  # the reference module: graded as `autograder grade` grades
    locales: tuple[Path, ...] = ()  # message catalogues of the tests


def _suite_process(suite: Suite, items: list[tuple[str, str]], lang: str, conn) -> None:
    from autograder.course.assignment import load_assignment
    from autograder.sandbox.client import WorkerStudent
    from autograder.sandbox.launch import default_launcher
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import load_reference, run_session

    a = load_assignment(suite.assignment_folder)
    ref = load_reference(suite.reference) if suite.reference else None
    files = a.files_map()
    file_of = {fn: f for f, fns in files.items() for fn in fns}
    launcher = default_launcher()
    results: list[SubmissionResult] = []
    try:
        jobs = [Job(sid, lambda folder=folder: WorkerStudent(
            lambda: launcher.spawn(Path(folder), files), a.call_timeout,
            uses=a.uses_of if ref is not None else (lambda n: ()), oracle_module=ref, file_of=file_of))
            for sid, folder in items]
        with i18n.language(lang, suite.locales):
            run_session(suite.tests, a, jobs, results.append, ref)
        conn.send(("ok", results))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        launcher.close()
        conn.close()


def run_suite(suite: Suite, submissions: dict[str, Path], jobs: int = 2, lang: str = "en",
              timeout: float = 1800.0) -> dict[str, SubmissionResult]:
    """id -> result of ``suite`` on each submission folder (``jobs`` processes, one session each).

    RuntimeError when a grading process fails or does not finish within ``timeout`` seconds."""
    ids = sorted(submissions)
    if not ids:
        return {}
    jobs = max(1, min(jobs, len(ids)))
    ctx = mp.get_context("spawn")
    procs = []
    for k in range(jobs):
        mine, theirs = ctx.Pipe(duplex=False)
        share = [(sid, str(submissions[sid])) for sid in ids[k::jobs]]
        p = ctx.Process(target=_suite_process, args=(suite, share, lang, theirs), daemon=True)
        p.start()
        theirs.close()
        procs.append((p, mine))
    out: dict[str, SubmissionResult] = {}
    try:
        for p, conn in procs:
            if not conn.poll(timeout):
                raise RuntimeError(f"running {suite.tests} did not finish within {timeout:g} s")
            try:
                kind, payload = conn.recv()
            except EOFError:
                raise RuntimeError(f"a process running {suite.tests} died (exit code {p.exitcode})") from None
            if kind != "ok":
                raise RuntimeError(f"running {suite.tests} failed: {payload}")
            out.update({r.student_id: r for r in payload})
    finally:
        for p, conn in procs:
            conn.close()
            p.join(timeout=10)
            if p.exitcode is None:
                p.kill()
                p.join()
    return out
