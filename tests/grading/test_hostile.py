"""Hostile submissions against the real grader: one batch, every attack, nothing gained.

``tests/hostile/<case>/`` holds the plain solution with one hostile part and ``expected.toml``
(``lose``: the exercises that may lose points). All cases and the plain solution are graded in
ONE ``grade_class`` batch with two grading processes, against the real hidden tests. Asserted:
the batch finishes in bounded time; every exercise not in ``lose`` scores exactly as the plain
solution (test by test); each exercise in ``lose`` loses points (a hostile "pass" is a failure of
the platform); nothing outside the workers' scratch space changes (the course's secret folders,
the results folder beyond the grader's own files, a canary in /tmp, files the attacks aim at);
no connection reaches the loopback listener the network attack is pointed at.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_support import CASES, HONEST, HOSTILE, SOLUTION, Listener
from hostile_support import assemble as assemble_cases
from tiny_course import REPO, SOL, write_files

from autograder.course.assignment import load_assignment
from autograder.grading.batch import ClassResult, grade_class

JOBS = 2
# Files the class-level names of OUT would be taken by (refused with a line for the TA, never graded).
COLLIDING = ["report.html", "item_analysis.csv", "grades.csv"]
# Files the attacks try to create outside their scratch space (besides results.json anywhere).
TARGETS = ["/tmp/autograder-hostile-big.bin", "/tmp/autograder-hostile-results.json",
           "/tmp/autograder-hostile-thread.json", "/tmp/autograder-hostile-pwned", "/tmp/results.json",
           "/dev/shm/autograder-hostile-big.bin", os.path.expanduser("~/autograder-hostile-big.bin"),
           os.path.expanduser("~/results.json")]



def batch_bound(students: int, budget: float, jobs: int) -> float:
    """The batch's wall-time bound, whatever the submissions do: each takes at most its time budget
    (assignment.toml ``time_budget``) and ``jobs`` grade at once: ceil(students / jobs) × budget, plus a
    minute for starting the grading processes and writing the class files."""
    return math.ceil(students / jobs) * budget + 60.0


STUDENTS = len(CASES) + 1 + len(HONEST)
BOUND_SECONDS = batch_bound(STUDENTS, load_assignment(REPO / "assignments" / "hw07").time_budget, JOBS)
GIB = 1024**3
MEMORY_BOUND = 3 * GIB  # peak RSS of any one process of the run

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the hostile suite needs the Linux sandbox"),
              pytest.mark.slow,
              pytest.mark.timeout(BOUND_SECONDS + 120)]  # a hang fails the suite instead of stalling CI


def expected(case: str) -> dict:
    return tomllib.loads((HOSTILE / case / "expected.toml").read_text(encoding="utf-8"))


def tree_digest(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """{relative path: sha256} of every file under ``folder`` (caches and ``skip`` left out)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and "__pycache__" not in rel.parts and not (rel.parts and rel.parts[0] in skip):
            out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assemble(subs: Path, listener: Listener) -> None:
    """The batch: every hostile case (hostile_support) and the class-level names as student ids."""
    assemble_cases(subs, listener)
    for sid in COLLIDING:
        write_files(subs / sid, SOL)



class PeakRSS:
    """Peak RSS (VmHWM) of every process descended from this one, sampled from /proc while the batch
    runs, and the exact peak of the waited-for ones (getrusage): the grading processes, the zygotes
    and the workers, whatever they allocate."""

    def __init__(self, every: float = 0.05):
        self.me, self.every, self.peaks = os.getpid(), every, {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRSS:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    @staticmethod
    def _read(pid: str) -> tuple[int, int, str]:
        with open(f"/proc/{pid}/stat", "rb") as f:
            ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        with open(f"/proc/{pid}/status", "rb") as f:
            hwm = next((int(line.split()[1]) * 1024 for line in f if line.startswith(b"VmHWM:")), 0)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        return ppid, hwm, cmd

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            procs = {}
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        procs[int(pid)] = self._read(pid)
                    except (OSError, ValueError, IndexError):
                        pass
            for pid, (ppid, hwm, cmd) in procs.items():
                p, seen = ppid, 0
                while p not in (0, 1, self.me) and p in procs and seen < 16:
                    p, seen = procs[p][0], seen + 1
                if p == self.me and hwm:
                    role = self.role(pid, ppid, cmd, procs)
                    key = (pid, role)
                    self.peaks[key] = max(self.peaks.get(key, 0), hwm)

    @staticmethod
    def role(pid: int, ppid: int, cmd: str, procs: dict) -> str:
        if "zygote_main" in cmd:
            return "worker" if "zygote_main" in procs.get(ppid, (0, 0, ""))[2] else "zygote"
        if "worker_main" in cmd:
            return "worker"
        if "autograder.grading.process" in cmd or "multiprocessing" in cmd:
            return "grading process"
        return "other"

    def by_role(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (_pid, role), hwm in self.peaks.items():
            out[role] = max(out.get(role, 0), hwm)
        out["waited-for children (getrusage)"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        out["this process (TA's)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return out


@dataclass
class Batch:
    result: ClassResult
    subs: Path
    out: Path
    seconds: float
    before: dict
    after: dict
    reached: list[str]
    memory: dict[str, int]

    def of(self, student: str):
        return next(r for r in self.result.results if r.student_id == student)


def snapshot(out: Path, canary: Path) -> dict:
    return {
        "course": {d: tree_digest(REPO / d) for d in ("reference", "solutions", "assignments")},
        "hostile": tree_digest(HOSTILE),
        "canary": canary.read_bytes(),
        "targets": {t: os.path.lexists(t) for t in TARGETS},
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out = tmp / "subs", tmp / "out"
    listener = Listener()
    canary = Path(f"/tmp/autograder-canary-{os.getpid()}.txt")
    canary.write_text("nobody writes here\n")
    try:
        assemble(subs, listener)
        before = snapshot(out, canary)
        t0 = time.monotonic()
        with PeakRSS() as rss:
            result = grade_class(subs, REPO, "hw07", out, jobs=JOBS, progress=False)
        seconds = time.monotonic() - t0
        time.sleep(0.5)  # a thread that acts after the return would have acted by now
        after = snapshot(out, canary)
    finally:
        listener.close()
        canary.unlink(missing_ok=True)
    print(f"\nhostile batch: {len(CASES)} hostile cases + the plain solution + {len(HONEST)} honest students "
          f"in {seconds:.1f} s (bound {BOUND_SECONDS:.0f} s = ceil({STUDENTS} / {JOBS}) x time_budget + 60)")
    memory = rss.by_role()
    print("peak RSS by role: " + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in memory.items()))
    return Batch(result, subs, out, seconds, before, after, list(listener.reached), memory)


def test_the_batch_finishes_within_its_bound(batch):
    print(f"batch time {batch.seconds:.1f} s (bound {BOUND_SECONDS:g} s)")
    assert batch.seconds < BOUND_SECONDS
    assert len(batch.result.results) == STUDENTS >= 45
    assert not [r.student_id for r in batch.result.results if r.error]


def test_no_process_of_the_run_grew_past_the_memory_bound(batch):
    """The amplification attacks and the forged messages cannot make any process of the run (the
    grading processes above all) allocate without bound: stand-ins are bounded, messages are capped."""
    largest = max(batch.memory.values())
    print(f"largest peak RSS of the run: {largest / 2**20:.0f} MiB (bound {MEMORY_BOUND / 2**30:g} GiB)")
    assert batch.memory.get("grading process", 0) > 0 and batch.memory.get("worker", 0) > 0  # it measured
    assert largest < MEMORY_BOUND


def test_a_submission_slow_everywhere_is_stopped_by_its_time_budget(batch):
    """Every call just under its deadline: without a budget per submission, minutes of a grading process."""
    budget = load_assignment(REPO / "assignments" / "hw07").time_budget
    r = batch.of("slow_everywhere")
    assert r.execution_time < budget + 15
    assert sum("time budget" in t.feedback for t in r.tests) >= 10


def test_student_ids_that_are_class_level_names_are_refused_with_a_note(batch):
    for sid in COLLIDING:
        assert sid not in {r.student_id for r in batch.result.results}
        note = f"the student id {sid!r} is a name the grader writes"
        assert any(note in line for line in batch.result.skipped), sid
    for name in COLLIDING:
        assert (batch.out / name).is_file(), f"{name} is not the grader's file"


def _comparable(out: Path, sid: str) -> dict:
    doc = json.loads((out / sid / "results.json").read_text(encoding="utf-8"))
    doc.pop("execution_time")
    return doc


def test_honest_students_get_exactly_the_grades_they_get_alone(batch, tmp_path):
    """Graded beside 34 hostile submissions, or each alone in its own run: the same results."""
    honest = [SOLUTION] + [f"honest_{c}" for c in HONEST]
    for sid in honest:
        alone_subs, alone_out = tmp_path / sid / "subs", tmp_path / sid / "out"
        alone_subs.mkdir(parents=True)
        for f in sorted((batch.subs / sid).iterdir()):
            (alone_subs / sid).mkdir(exist_ok=True)
            (alone_subs / sid / f.name).write_bytes(f.read_bytes())
        grade_class(alone_subs, REPO, "hw07", alone_out, jobs=1, progress=False)
        assert _comparable(alone_out, sid) == _comparable(batch.out, sid), sid
    assert batch.of(SOLUTION).score == batch.of(SOLUTION).max_score
    assert batch.of("honest_stubs").score == 0


def test_the_plain_solution_gets_full_marks_inside_the_full_stack(batch):
    sol = batch.of(SOLUTION)
    assert sol.tests and all(t.passed for t in sol.tests), [t.name for t in sol.tests if not t.passed]
    assert sol.score == sol.max_score
    assert "fd-hygiene" in sol.layers


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_case_loses_only_its_own_points(batch, case):
    lose = set(expected(case)["lose"])
    sol, r = batch.of(SOLUTION), batch.of(case)
    assert not r.error
    assert set(r.layers) == set(sol.layers)
    by_id = {e.id: e for e in sol.exercises}
    assert lose <= set(by_id), f"{case}: expected.toml names unknown exercises"
    for e in r.exercises:
        if e.id in lose and not expected(case).get("lose_any"):
            assert e.score < by_id[e.id].max_score, f"{case}: {e.id} kept its points"
        elif e.id not in lose:
            assert e.score == by_id[e.id].score, f"{case}: {e.id} scored {e.score}"
    # lose_any: which of them lose depends on where the time budget ends; the last ones surely do
    assert sum(e.score for e in r.exercises if e.id in lose) < sum(by_id[e].max_score for e in lose)
    theirs = {t.nodeid: t.status for t in r.tests if t.exercise not in lose}
    ours = {t.nodeid: t.status for t in sol.tests if t.exercise not in lose}
    assert theirs == ours


def test_nothing_outside_the_scratch_space_changed(batch):
    before, after = batch.before, batch.after
    for folder, digest in before["course"].items():
        assert after["course"][folder] == digest, f"{folder}/ changed during the batch"
    assert after["hostile"] == before["hostile"]
    assert after["canary"] == before["canary"]
    created = [t for t, there in after["targets"].items() if there and not before["targets"][t]]
    assert not created, f"attacks wrote outside their scratch space: {created}"


ATTACK_NAMES = ("results.json", "forged.json", "big.bin")  # what the attacks write


def test_the_results_folder_holds_only_the_graders_files(batch):
    """Student folders hold the grader's two files; no attack-named file anywhere else.

    (Class-level files such as grades.csv or a report are the engine's; their set may grow.)"""
    ids = {r.student_id for r in batch.result.results}
    unexpected = []
    for p in sorted(batch.out.rglob("*")):
        rel = p.relative_to(batch.out)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue  # the engine's own work space and temporary files
        if rel.parts[0] in ids:
            ok = len(rel.parts) == 2 and rel.parts[1] in ("results.json", "feedback.md")
        else:
            ok = len(rel.parts) == 1 and rel.name not in ATTACK_NAMES
        if not ok:
            unexpected.append(rel.as_posix())
    assert not unexpected, f"files in the results folder that the grader does not write: {unexpected}"
    for sid in ids:
        doc = json.loads((batch.out / sid / "results.json").read_text(encoding="utf-8"))
        assert doc["extra_data"]["student_id"] == sid  # written by the grader, not forged


def test_no_connection_reached_the_loopback_listeners(batch):
    assert batch.reached == []


def test_attack_outcomes(batch):
    """Each attack -> its outcome: the kinds of the failed tests of its exercises (``outcome`` in its
    expected.toml), asserted case by case; the table is printed with -s."""
    sol = batch.of(SOLUTION)
    full = {e.id: e.max_score for e in sol.exercises}
    rows, wrong = [], []
    for case in CASES:
        exp, r = expected(case), batch.of(case)
        kinds = sorted({t.kind for t in r.tests if t.exercise in exp["lose"] and not t.passed})
        lost = ", ".join(f"{e.id} {e.score:g}/{full[e.id]:g}" for e in r.exercises
                         if e.id in exp["lose"])
        rows.append(f"{case:<22} {lost:<48} {'/'.join(kinds)}")
        want = sorted(exp.get("outcome", []))
        if kinds != want:
            wrong.append(f"{case}: {kinds} (expected {want})")
    print("\n" + "\n".join(rows))
    assert not wrong, wrong
