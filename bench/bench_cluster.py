"""`make bench-cluster`: grading throughput on a Dask cluster, against `--jobs` in the same run.

Real processes on this machine: `dask scheduler` (mutual TLS, a throwaway CA), one or two
`autograder worker` processes, and `grade_class` with the Dask executor as the TA runs it. Prints
one table (1,000 students by default), the speed-up of 2 workers over 1, the scheduler's and the
TA process's CPU per submission, and — labelled as a MODEL, not a measurement — where one scheduler
and one owner process would top out, extrapolated from those per-task costs.

On a 2-core machine the scheduler, the TA's process and two workers share two cores: the speed-up
measured here is a floor for machines that are really apart.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_grading import make_class  # noqa: E402
from cluster_helpers import Procs, make_ca, start_scheduler, start_worker, wait_for_workers  # noqa: E402

IDLE_SECONDS = 5.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def grade(subs: Path, out: Path, name: str, jobs: int, executor=None) -> float:
    from autograder.grading.batch import grade_class

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    cr = grade_class(subs, ROOT, name, out, jobs=jobs, progress=False, executor=executor)
    dt = time.perf_counter() - t0
    failed = [r.student_id for r in cr.results if r.error]
    if failed:
        raise SystemExit(f"bench: {len(failed)} grader failures ({failed[:5]})")
    return dt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--assignment", default="hw07")
    p.add_argument("--students", type=int, default=1000)
    args = p.parse_args(argv)
    name, n = args.assignment, args.students

    from autograder.cluster.executor import dask_executor
    from autograder.cluster.spec import parse

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        tmp = Path(tmp)
        subs = tmp / "class"
        make_class(subs, n, name)
        size = sum(f.stat().st_size for f in subs.rglob("*") if f.is_file()) / n
        tls = make_ca(tmp / "ca")
        rows = []

        header = f"{'how':<28} {'seconds':>8} {'subs/s':>7} {'sched CPU ms/sub':>16} {'TA CPU ms/sub':>13}"
        print(f"{n} students, {size / 1024:.1f} KiB of files each, {os.cpu_count()} cores\n")
        print(header)
        print("-" * len(header))
        for jobs in (1, 2):
            c0 = own_cpu()
            dt = grade(subs, tmp / "out", name, jobs)
            rows.append((f"--jobs {jobs} (local processes)", dt, None, (own_cpu() - c0) / n))
            print(f"{rows[-1][0]:<28} {dt:>8.1f} {n / dt:>7.1f} {'-':>16} {rows[-1][3] * 1000:>13.2f}")
        rate = {}
        for workers in (1, 2):
            procs = Procs(tmp / f"logs-{workers}")
            try:
                sched, address = start_scheduler(procs, tmp, tls, name=f"scheduler-{workers}")
                for i in range(workers):
                    start_worker(procs, address, tls, f"worker-{workers}-{i}")
                wait_for_workers(address, tls, workers)
                spec = parse(address, tls)
                i0 = cpu_seconds(sched.pid)
                time.sleep(IDLE_SECONDS)  # what the scheduler spends with nothing to do (heartbeats)
                idle = (cpu_seconds(sched.pid) - i0) / IDLE_SECONDS
                s0, c0 = cpu_seconds(sched.pid), own_cpu()
                dt = grade(subs, tmp / "out", name, 1, dask_executor(spec))
                s1, c1 = cpu_seconds(sched.pid), own_cpu()
            finally:
                procs.close()
            rate[workers] = n / dt
            sched_ms, ta_ms = max(0.0, s1 - s0 - idle * dt) / n * 1000, (c1 - c0) / n * 1000
            rows.append((f"--cluster, {workers} worker(s)", dt, sched_ms, ta_ms))
            print(f"{rows[-1][0]:<28} {dt:>8.1f} {n / dt:>7.1f} {sched_ms:>16.2f} {ta_ms:>13.2f}")

        print("(scheduler CPU: its user+system time during the run, less its idle rate measured just before, "
              "per submission;\n TA CPU: the grading command's own process, Dask client included)")
        print(f"\nspeed-up, 2 workers over 1: {rate[2] / rate[1]:.2f}x "
              f"(--jobs 2 over --jobs 1: {rows[0][1] / rows[1][1]:.2f}x; same 2 cores)")
        sched_ms = rows[-1][2]
        ta_ms = rows[-1][3]
        per_worker = rate[1]
        print("\nMODEL (an extrapolation from the per-submission costs above, not a measurement):")
        print("  the scheduler handles each submission on one event-loop thread, so one scheduler tops out")
        print(f"  near 1 / {sched_ms:.2f} ms = {1000 / sched_ms:,.0f} submissions/s; a worker process grades "
              f"{per_worker:.1f}/s,")
        print(f"  so about {1000 / sched_ms / per_worker:,.0f} worker processes saturate one scheduler.")
        print(f"  The TA's process (the only writer: results.json, feedback.md, gradebook) spends "
              f"{ta_ms:.2f} ms per submission:")
        print(f"  it tops out near {1000 / ta_ms:,.0f} submissions/s, i.e. "
              f"{1000 / ta_ms / per_worker:,.0f} worker processes.")
        first = min(1000 / sched_ms, 1000 / ta_ms)
        print(f"  Whichever is lower ({first:,.0f}/s) bounds one run: 1,000,000 submissions in at least "
              f"{1e6 / first / 3600:.1f} h, given enough workers;")
        print("  beyond that, split the run (several OUT folders or portal dispatchers, one scheduler each).")
        print("  Assumes CPU-bound per-task costs that stay flat with cluster size; network latency, "
              "bigger submissions and a busy scheduler's memory are not in it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
