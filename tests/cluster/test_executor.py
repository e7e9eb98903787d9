"""``autograder grade --cluster`` end to end: real ``dask scheduler`` and ``autograder worker`` processes.

Mutual TLS with a throwaway CA; every grade is the real command in a subprocess. Asserted:
- a class with hostile submissions (among them ``cluster_reach``, which hunts for the cluster's
  environment, keys and scheduler port) gets results byte-identical, ``execution_time`` aside, to
  ``--jobs 1``, and both workers did work;
- SIGKILL of one worker's machine (its whole process tree) mid-run: the run finishes, each student
  is graded and recorded once, with the same results;
- SIGKILL of the scheduler mid-run: ``grade`` exits non-zero with a clear message, keeping what
  finished; a rerun against a new scheduler grades only the rest, and the class is again identical.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from cluster_helpers import (
    BIN,
    REPO,
    Procs,
    dask_environment,
    environments,
    make_ca,
    start_scheduler,
    start_worker,
    tls_args,
    wait_for_workers,
    worker_stats,
)
from hostile_support import HONEST, SOLUTION, Listener, assemble

from autograder.author.markers import solution_files

pytestmark = pytest.mark.slow

HOSTILE_CASES = ["cluster_reach", "read_reference", "proc_snooping", "network", "forge_results", "os_exit",
                 "segfault", "kill_parent", "conftest", "numpy_shadow", "import_grader", "channel_garbage"]
GRADE_SECONDS = 600


def write_student(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def mutant_class(subs: Path, n: int) -> None:
    """``n`` students: the solution and the mutant cases of tests/submissions, in turn."""
    variants = [solution_files(REPO / "solutions" / "hw07")]
    for case in sorted(p for p in (REPO / "tests/submissions").iterdir() if p.is_dir()):
        files = {f.name: f.read_text(encoding="utf-8") for f in sorted(case.glob("*.py"))}
        if files:
            variants.append(files)
    for i in range(n):
        write_student(subs / f"s{i:03d}", variants[i % len(variants)])


def grade_argv(subs: Path, out: Path, *how: str) -> list[str]:
    return [str(BIN / "autograder"), "grade", str(subs), "--assignment", "hw07", "--out", str(out),
            "--course", str(REPO), "--no-progress", *how]


def grade(subs: Path, out: Path, *how: str) -> subprocess.CompletedProcess:
    r = subprocess.run(grade_argv(subs, out, *how), capture_output=True, text=True, timeout=GRADE_SECONDS)
    assert r.returncode == 0, f"grade {' '.join(how)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def comparable(out: Path) -> dict[str, object]:
    """The bytes of every results.json (its execution_time line left out) and feedback.md, of grades.csv
    and item_analysis.csv; and each results.json parsed, for readable assertions."""
    files: dict[str, object] = {}
    for f in sorted(out.glob("*/results.json")):
        text = f.read_bytes()
        files[f.parent.name] = json.loads(text)
        files[f.parent.name].pop("execution_time")
        files[f"{f.parent.name}/results.json"] = re.sub(rb'\n  "execution_time": [0-9.e+-]+,', b"", text)
        files[f"{f.parent.name}/feedback.md"] = (f.parent / "feedback.md").read_bytes()
    for name in ("grades.csv", "item_analysis.csv"):
        files[name] = (out / name).read_bytes()
    return files


def recorded(out: Path) -> dict[str, int]:
    """student id -> how many results the gradebook holds for it."""
    with sqlite3.connect(out / ".gradebook.sqlite") as db:
        return dict(db.execute("select student_id, count(*) from results group by student_id"))


def wait_for_results(out: Path, n: int, proc: subprocess.Popen, seconds: float = 300) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = len(list(out.glob("*/results.json")))
        if done >= n or proc.poll() is not None:
            return done
        time.sleep(0.05)
    raise TimeoutError(f"fewer than {n} results in {out} after {seconds:g} s")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def mutants(tmp_path_factory):
    """A class of 40 quick submissions and its results with --jobs 1 (the reference for both kill tests)."""
    tmp = tmp_path_factory.mktemp("mutants")
    mutant_class(tmp / "subs", 40)
    grade(tmp / "subs", tmp / "local", "--jobs", "1")
    return tmp / "subs", comparable(tmp / "local")


@pytest.fixture
def procs(tmp_path):
    p = Procs(tmp_path / "logs")
    yield p
    p.close()


def start_cluster(procs: Procs, tmp: Path, ca, workers: int = 2, tag: str = "", env: bool = False):
    """A scheduler and ``workers`` autograder workers (``env``: with Dask's variables set, too)."""
    sched, address = start_scheduler(procs, tmp, ca, name=f"scheduler{tag}")
    environ = dask_environment(ca, address) if env else None
    ws = [start_worker(procs, address, ca, f"worker{tag}-{i}", env=environ) for i in range(workers)]
    wait_for_workers(address, ca, workers)
    return sched, address, ws


def test_a_hostile_class_grades_on_the_cluster_exactly_as_with_jobs_1(tmp_path, ca, procs):
    sched, address, _ = start_cluster(procs, tmp_path, ca, env=True)
    assert all(environments(address, ca).values())  # the workers start with Dask's secrets in their env
    port = int(address.rsplit(":", 1)[1])
    listener = Listener()
    try:
        subs = tmp_path / "subs"
        secrets = ":".join([ca.key, ca.cert, ca.ca, str(tmp_path / "scheduler.json")])
        assemble(subs, listener, HOSTILE_CASES, {"@SCHEDULER_PORT@": str(port), "@CLUSTER_FILES@": secrets})
        grade(subs, tmp_path / "local", "--jobs", "1")
        r = grade(subs, tmp_path / "cluster", "--cluster", address, *tls_args(ca))
    finally:
        listener.close()
    local, cluster = comparable(tmp_path / "local"), comparable(tmp_path / "cluster")
    assert len(cluster) == 3 * (len(HOSTILE_CASES) + len(HONEST) + 1) + 2
    assert cluster.keys() == local.keys()
    for sid in local:
        assert cluster[sid] == local[sid], sid
    assert not listener.reached
    exercises = {sid: {e[0]: e[1:3] for e in doc["extra_data"]["exercises"]} for sid, doc in cluster.items()
                 if isinstance(doc, dict)}
    assert all(got == want for got, want in exercises[SOLUTION].values())  # full marks
    for case in HOSTILE_CASES:  # the attacked exercise never gains (here: exactly as locally, too)
        assert not cluster[case]["extra_data"]["error"], case
    got, want = exercises["cluster_reach"]["sigmoid"]
    assert got < want, "cluster_reach found the cluster's secrets (its sigmoid was right)"
    assert not any(environments(address, ca).values())  # scrubbed before the grading processes started
    stats = worker_stats(address, ca)
    assert len(stats) == 2 and all(s["graded"] > 0 for s in stats.values()), stats
    assert sum(s["graded"] for s in stats.values()) == len(HOSTILE_CASES) + len(HONEST) + 1
    assert set(recorded(tmp_path / "cluster").values()) == {1}
    assert "graded now" in r.stdout


def test_a_worker_killed_mid_run_costs_nothing(tmp_path, ca, procs, mutants):
    sched, address, (w0, w1) = start_cluster(procs, tmp_path, ca)
    subs, local = mutants
    out = tmp_path / "cluster"
    run = subprocess.Popen(grade_argv(subs, out, "--cluster", address, *tls_args(ca)), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        done = wait_for_results(out, 5, run)
        assert done < 35, "the run finished before the worker could be killed"
        procs.kill(w1)  # the machine dies: nanny, worker process, grading process, zygote
        stdout, stderr = run.communicate(timeout=GRADE_SECONDS)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr
    assert comparable(out) == local
    counts = recorded(out)
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert "40 submissions (40 graded now)" in stdout
    (alive,) = worker_stats(address, ca).values()
    assert alive["graded"] > 0


def test_a_scheduler_killed_mid_run_stops_the_run_and_a_rerun_finishes_it(tmp_path, ca, procs, mutants):
    sched, address, workers = start_cluster(procs, tmp_path, ca, tag="-a")
    subs, local = mutants
    out = tmp_path / "cluster"
    run = subprocess.Popen(grade_argv(subs, out, "--cluster", address, *tls_args(ca)), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        done = wait_for_results(out, 5, run)
        assert done < 35, "the run finished before the scheduler could be killed"
        procs.kill(sched)
        t0 = time.monotonic()
        stdout, stderr = run.communicate(timeout=120)
        stopped_in = time.monotonic() - t0
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 2, (stdout, stderr)
    assert "lost the connection to the Dask scheduler" in stderr and "finished results are kept" in stderr
    print(f"grade stopped {stopped_in:.1f} s after the scheduler was killed")
    assert stopped_in < 60
    assert not (out / "grades.csv").exists()
    kept = len(list(out.glob("*/results.json")))
    assert 5 <= kept < 40
    for w in workers:
        procs.kill(w)

    _, address2, _ = start_cluster(procs, tmp_path, ca, workers=1, tag="-b")
    r = grade(subs, out, "--cluster", address2, *tls_args(ca))
    m = re.search(r"40 submissions \((\d+) graded now\)", r.stdout)
    assert m and int(m.group(1)) == 40 - kept, r.stdout
    assert comparable(out) == local
    assert set(recorded(out).values()) == {1}


def test_the_embedded_local_cluster_grades_as_jobs_does(tmp_path, mutants):
    """``--cluster local:2``: a LocalCluster in the TA's process, the same code path as a remote one."""
    subs, local = mutants
    few = tmp_path / "few"
    for sid in sorted(p.name for p in subs.iterdir())[:8]:
        write_student(few / sid, {f.name: f.read_text(encoding="utf-8")
                                  for f in sorted((subs / sid).iterdir())})
    r = grade(few, tmp_path / "cluster", "--cluster", "local:2")
    assert "8 submissions (8 graded now)" in r.stdout
    got = comparable(tmp_path / "cluster")
    students = [k for k in got if k.split("/")[0] in local and k not in ("grades.csv", "item_analysis.csv")]
    assert len(students) == 3 * 8
    for key in students:
        assert got[key] == local[key], key
    assert not r.stderr.strip(), r.stderr  # Dask's own logging stays off the TA's terminal
