"""``autograder mutants``: how many single-change mutants of the solution the tests catch, per exercise.

Every mutant of the solution's graded regions (``autograder.author.mutants``) is a submission: the
solution with one file changed. They are graded in one batch with the hidden tests exactly as
``autograder grade`` grades a class, run through the public tests as ``autograder check`` runs them,
and compared with the solution on many seeded inputs (``autograder.audit.probes``). A mutant is

- **killed** when it loses points in its own exercise (the one graded on the function it changes);
- **killed elsewhere only** (a leak) when it loses points only in other exercises;
- **survived** when it loses nothing although it behaves differently from the solution;
- **likely equivalent** when it loses nothing and behaves as the solution on every probe.

The kill rate of an exercise is killed / (mutants − likely equivalent); the public tests are judged
the same way (a public failure that names a failing helper counts for the helper's exercise).
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from autograder.author.mutants import LIBRARY, Mutant, generate
from autograder.author.splice import solution_files, write_submission
from autograder.course.assignment import Assignment, find_assignment
from autograder.course.results import SubmissionResult

SOLUTION = "solution"  # the unchanged solution, graded with the mutants as the control


class Outcome(StrEnum):
    KILLED = "killed"
    LEAK = "killed elsewhere only"
    SURVIVED = "survived"
    EQUIVALENT = "likely equivalent"


@dataclass(frozen=True)
class MutantOutcome:
    mutant: Mutant
    hidden: Outcome
    public: Outcome
    hidden_lost: tuple[str, ...]  # exercises that lost points with the hidden tests
    public_failed: tuple[str, ...]  # exercises with a failed public test (attributed as the self-check does)
    hidden_failed_tests: tuple[str, ...]  # node ids
    public_failed_tests: tuple[str, ...]
    difference: str  # the first probe on which it differs from the solution ("" when none)


@dataclass(frozen=True)
class ExerciseKills:
    exercise: str
    mutants: int
    equivalent: int
    hidden: dict[Outcome, int]
    public: dict[Outcome, int]

    @property
    def relevant(self) -> int:
        return self.mutants - self.equivalent

    def rate(self, which: str = "hidden") -> float | None:
        counts = self.hidden if which == "hidden" else self.public
        return counts[Outcome.KILLED] / self.relevant if self.relevant else None


@dataclass(frozen=True)
class MutationReport:
    assignment: str
    library: str  # "mutmut 3.8.1"
    outcomes: tuple[MutantOutcome, ...]
    exercises: tuple[ExerciseKills, ...]
    probes: int  # probe calls per function (all functions together)
    seconds: float
    phases: tuple[tuple[str, float], ...] = ()  # (what, seconds): generate, hidden, public, probes

    def totals(self) -> ExerciseKills:
        return _kills("all", self.outcomes)

    def survivors(self, which: str = "hidden") -> tuple[MutantOutcome, ...]:
        return tuple(o for o in self.outcomes
                     if getattr(o, which) in (Outcome.SURVIVED, Outcome.LEAK))


def _kills(exercise: str, outcomes: list[MutantOutcome] | tuple[MutantOutcome, ...]) -> ExerciseKills:
    def count(which):
        return {k: sum(getattr(o, which) == k for o in outcomes) for k in Outcome}

    hidden = count("hidden")
    return ExerciseKills(exercise, len(outcomes), hidden[Outcome.EQUIVALENT], hidden, count("public"))


def _lost(r: SubmissionResult) -> tuple[str, ...]:
    return tuple(e.id for e in r.exercises if e.score < e.max_score)


def _classify(own: str, lost: tuple[str, ...], equivalent: bool) -> Outcome:
    if own in lost:
        return Outcome.KILLED
    if equivalent and not lost:
        return Outcome.EQUIVALENT
    return Outcome.LEAK if lost else Outcome.SURVIVED


def classify(mutant: Mutant, hidden: SubmissionResult, public: SubmissionResult, difference: str | None,
             a: Assignment) -> MutantOutcome:
    """One mutant's outcome; ``difference`` is None when it agreed with the solution on every probe."""
    from autograder.testkit.attribution import failed_exercises

    lost = _lost(hidden)
    public_failed = failed_exercises(public, a)
    equivalent = difference is None and not lost
    return MutantOutcome(
        mutant, _classify(mutant.exercise, lost, equivalent),
        _classify(mutant.exercise, public_failed, equivalent), lost, public_failed,
        tuple(t.nodeid for t in hidden.tests if not t.passed),
        tuple(t.nodeid for t in public.tests if not t.passed), difference or "")


# ---------------------------------------------------------------- probes in grading processes


def _probe_process(assignment_folder: str, reference: str, probes: list, items: list[tuple[str, str]],
                   conn) -> None:
    from autograder.audit.probes import describe, difference, observe
    from autograder.course.assignment import load_assignment
    from autograder.sandbox.client import WorkerStudent
    from autograder.sandbox.launch import default_launcher
    from autograder.testkit.session import load_reference

    a = load_assignment(Path(assignment_folder))
    ref = load_reference(Path(reference))
    files = a.files_map()
    file_of = {fn: f for f, fns in files.items() for fn in fns}
    launcher = default_launcher()

    def student(folder: str) -> WorkerStudent:
        return WorkerStudent(lambda: launcher.spawn(Path(folder), files), a.call_timeout, uses=a.uses_of,
                             oracle_module=ref, file_of=file_of)

    try:
        out = {}
        expected: dict[int, tuple] = {}
        for sid, folder, which in items:  # the solution comes first in every share
            s = student(folder)
            try:
                found = None
                for k in which:
                    got = observe(s, probes[k])
                    if sid == SOLUTION:
                        expected[k] = got
                        continue
                    d = difference(expected[k], got)
                    if d:
                        found = f"{describe(probes[k])}: {d}"
                        break
                out[sid] = found
            finally:
                s.close()
        conn.send(("ok", out))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        launcher.close()
        conn.close()


def _dependents(course_root: Path, a: Assignment) -> dict[str, set[str]]:
    """function -> the graded functions whose behaviour it can change under grading: itself, and
    those that call it (directly or not) without it being among their ``uses``."""
    import ast

    calls: dict[str, set[str]] = {}
    for f in a.files:
        tree = ast.parse((course_root / "solutions" / a.name / f).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                calls[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    graded = [e.function for e in a.exercises]
    out = {}
    for fn in calls:
        deps = {fn}
        for g in graded:
            seen, todo = set(), [g]
            while todo:
                h = todo.pop()
                if h in seen:
                    continue
                seen.add(h)
                if h != g and h in a.uses_of(g):
                    continue  # answered by the reference while g is graded
                todo += [c for c in calls.get(h, ()) if c in calls]
            if fn in seen and fn not in a.uses_of(g):
                deps.add(g)
        out[fn] = deps
    return out


def probe_all(course_root: Path, a: Assignment, secrets, folders: dict[str, Path], mutants: list[Mutant],
              jobs: int) -> tuple[dict[str, str | None], int]:
    """mutant id -> the first probe on which it differs from the solution (None: none); and the
    number of probes."""
    from autograder.audit.probes import make_probes, record_calls
    from autograder.testkit.session import load_reference

    ref = load_reference(secrets.reference)
    calls = record_calls(secrets.hidden_tests, a, folders[SOLUTION], ref)
    probes = make_probes(calls, [e.function for e in a.exercises])
    deps = _dependents(course_root, a)
    index: dict[str, list[int]] = {}
    for k, p in enumerate(probes):
        index.setdefault(p.function, []).append(k)
    which = {m.id: [k for fn in sorted(deps.get(m.function, {m.function})) for k in index.get(fn, [])]
             for m in mutants}
    ids = [m.id for m in mutants]
    jobs = max(1, min(jobs, len(ids)))
    ctx = mp.get_context("spawn")
    procs, out = [], {}
    for j in range(jobs):
        share = ids[j::jobs]
        need = sorted({k for sid in share for k in which[sid]})
        items = [(SOLUTION, str(folders[SOLUTION]), need)] + [(sid, str(folders[sid]), which[sid])
                                                               for sid in share]
        mine, theirs = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_probe_process, args=(str(a.folder), str(secrets.reference), probes, items,
                                                     theirs), daemon=True)
        p.start()
        theirs.close()
        procs.append((p, mine))
    try:
        for p, conn in procs:
            if not conn.poll(3600):
                raise RuntimeError("probing the mutants did not finish within an hour")
            try:
                kind, payload = conn.recv()
            except EOFError:
                raise RuntimeError(f"a probing process died (exit code {p.exitcode})") from None
            if kind != "ok":
                raise RuntimeError(f"probing the mutants failed: {payload}")
            out.update(payload)
    finally:
        for p, conn in procs:
            conn.close()
            p.join(timeout=10)
            if p.exitcode is None:
                p.kill()
                p.join()
    return out, len(probes)


# ---------------------------------------------------------------- the whole analysis


def write_mutants(course_root: Path, a: Assignment, mutants: list[Mutant], dest: Path) -> dict[str, Path]:
    """One submission folder per mutant (and the solution): id -> folder."""
    shutil.rmtree(dest, ignore_errors=True)
    base = solution_files(course_root, a.name, list(a.files))
    folders = {SOLUTION: write_submission(dest / SOLUTION, base)}
    for m in mutants:
        folders[m.id] = write_submission(dest / m.id, {**base, m.file: m.source})
    return folders


def analyse(course_root: Path, name: str, out: Path, jobs: int = 2, progress: bool = False,
            only: list[str] | None = None) -> MutationReport:
    """Generate, grade, run the public tests on, and probe every mutant of ``name``'s solution;
    ``out`` receives the submissions and the hidden grading's results (a class report of mutants).
    ``only``: mutant ids to keep (for tests)."""
    from importlib.metadata import version

    from autograder.audit.suite_run import Suite, run_suite
    from autograder.grading.batch import grade_class

    t0 = time.monotonic()
    phases: list[tuple[str, float]] = []

    def lap(what: str) -> None:
        phases.append((what, time.monotonic() - t0 - sum(s for _w, s in phases)))

    course_root, out = Path(course_root).resolve(), Path(out).resolve()
    a, secrets = find_assignment(course_root, name)
    mutants = generate(course_root, a)
    if only is not None:
        mutants = [m for m in mutants if m.id in set(only)]
    folders = write_mutants(course_root, a, mutants, out / "submissions")
    lap("generate")
    cr = grade_class(out / "submissions", course_root, name, out / "hidden", jobs=jobs, progress=progress)
    hidden = {r.student_id: r for r in cr.results}
    lap("hidden tests")
    public = run_suite(Suite(a.public_tests, a.folder, None, (a.locale,)), folders, jobs=jobs, lang=a.lang)
    lap("public tests")
    control_h, control_p = hidden[SOLUTION], public[SOLUTION]
    if control_h.score != control_h.max_score or not all(t.passed for t in control_p.tests):
        raise RuntimeError(f"the unchanged solution does not get full marks ({control_h.score:g}/"
                           f"{control_h.max_score:g}) or fails a public test: fix that first")
    differences, n_probes = probe_all(course_root, a, secrets, folders, mutants, jobs)
    lap("probes")
    outcomes = tuple(classify(m, hidden[m.id], public[m.id], differences.get(m.id), a) for m in mutants)
    exercises = tuple(_kills(e.id, [o for o in outcomes if o.mutant.exercise == e.id]) for e in a.exercises)
    return MutationReport(a.name, f"{LIBRARY} {version(LIBRARY)}", outcomes, exercises, n_probes,
                          time.monotonic() - t0, tuple(phases))
