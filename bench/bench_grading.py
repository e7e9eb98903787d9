"""`make bench`: how fast a class is graded, against baselines measured in the same run.

Prints one table. Every number is a median of several runs; ratios compare with
- the in-process floor: the same hidden tests run in this one process with no isolation at all
  (DirectStudent; a measuring stick, never a grading mode);
- a bare interpreter that imports numpy (`python -c "import numpy"`): the cheapest possible
  process-per-submission design.
Peak RSS is the sum over the grader's whole process tree, sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.author.markers import solution_files  # noqa: E402
from autograder.course.assignment import find_assignment  # noqa: E402


def make_class(dest: Path, n: int, name: str) -> None:
    """n students: copies of the solution and of the mutant cases, in turn."""
    variants = [solution_files(ROOT / "solutions" / name)]
    cases = ROOT / "tests" / "submissions"
    for case in sorted(p for p in cases.iterdir() if p.is_dir()) if cases.is_dir() else []:
        files = {p.name: p.read_text(encoding="utf-8") for p in case.glob("*.py")}
        if files:
            variants.append(files)
    for i in range(n):
        folder = dest / f"s{i:05d}"
        folder.mkdir(parents=True)
        for fname, text in variants[i % len(variants)].items():
            (folder / fname).write_text(text, encoding="utf-8")


class TreeRSS:
    """Peak of the summed RSS of this process and all its descendants."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.02)

    @staticmethod
    def _sample() -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ppid, pages = int(fields[1]), int(fields[21])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
            rss[int(d)] = pages * os.sysconf("SC_PAGE_SIZE")
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo += children.get(pid, [])
        return total


def grade_once(subs: Path, name: str, jobs: int) -> tuple[float, int]:
    from autograder.grading.batch import grade_class

    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    try:
        with TreeRSS() as rss:
            t0 = time.perf_counter()
            grade_class(subs, ROOT, name, out, jobs=jobs, progress=False)
            dt = time.perf_counter() - t0
        return dt, rss.peak
    finally:
        shutil.rmtree(out, ignore_errors=True)


def in_process_floor(subs: Path, name: str) -> float:
    """Seconds for the hidden tests on every submission, in this process, no isolation."""
    from autograder.sandbox.client import DirectStudent
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import load_reference, run_session

    a, secrets = find_assignment(ROOT, name)
    ref = load_reference(secrets.reference)
    files = a.files_map()
    folders = sorted(p for p in subs.iterdir() if p.is_dir())
    jobs = [Job(f.name, lambda f=f: DirectStudent(f, files, oracle_module=ref, uses=a.uses_of))
            for f in folders]
    t0 = time.perf_counter()
    run_session(secrets.hidden_tests, a, jobs, lambda r: None, ref)
    return time.perf_counter() - t0


def command_time(cmd: list[str], cwd: Path | None = None, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--assignment", default="hw07")
    p.add_argument("--sizes", default="100,1000,2000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    name = args.assignment

    bare = command_time([sys.executable, "-c", "import numpy"])
    print(f"bare `python -c 'import numpy'`: {bare * 1000:.0f} ms (median of 7)")

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        # self-check on a complete submission, as a student runs it
        a, _ = find_assignment(ROOT, name)
        student = tmp / "student"
        shutil.copytree(a.folder, student)
        for fname, text in solution_files(ROOT / "solutions" / name).items():
            (student / fname).write_text(text, encoding="utf-8")
        check = command_time([sys.executable, "-m", "autograder", "check", str(student)], cwd=student)
        print(f"autograder check (complete submission): {check * 1000:.0f} ms wall, "
              f"{check / bare:.1f}x bare numpy (targets: <= 500 ms, <= 5x)")

        classes = {}
        for n in sizes:
            classes[n] = tmp / f"class{n}"
            make_class(classes[n], n, name)
        n0 = sizes[0]
        floor = statistics.median(in_process_floor(classes[n0], name) for _ in range(args.runs))
        floor_ms = floor / n0 * 1000
        print(f"in-process floor (no isolation, 1 process): {floor_ms:.1f} ms per submission\n")

        header = (f"{'students':>8} {'jobs':>4} {'seconds':>8} {'subs/s':>7} {'ms/sub':>7} "
                  f"{'peak RSS MB':>11} {'vs floor':>8} {'vs bare numpy':>13}")
        print(header)
        print("-" * len(header))
        rows = {}
        for n in sizes:
            for jobs in sorted({1, args.jobs}) if n == sizes[min(1, len(sizes) - 1)] else [args.jobs]:
                runs = [grade_once(classes[n], name, jobs) for _ in range(args.runs)]
                dt = statistics.median(r[0] for r in runs)
                peak = max(r[1] for r in runs)
                rows[(n, jobs)] = (dt, peak)
                ms = dt / n * 1000
                # per-submission cost in core-time, compared with one core doing the floor
                print(f"{n:>8} {jobs:>4} {dt:>8.2f} {n / dt:>7.1f} {ms:>7.2f} {peak / 2**20:>11.0f} "
                      f"{ms * jobs / floor_ms:>7.2f}x {ms / (bare * 1000):>12.2f}x")
        print()
        mid = sizes[min(1, len(sizes) - 1)]
        if (mid, 1) in rows and (mid, args.jobs) in rows and args.jobs > 1:
            print(f"speed-up with --jobs {args.jobs} on {mid} students: "
                  f"{rows[(mid, 1)][0] / rows[(mid, args.jobs)][0]:.2f} (target >= 1.7)")
        if len(sizes) >= 2:
            lo, hi = sizes[0], sizes[-1]
            r_lo, r_hi = rows[(lo, args.jobs)], rows[(hi, args.jobs)]
            print(f"time per student {lo} -> {hi}: {r_lo[0] / lo * 1000:.2f} -> "
                  f"{r_hi[0] / hi * 1000:.2f} ms (linear scaling keeps this flat)")
            print(f"peak RSS {lo} -> {hi}: {r_lo[1] / 2**20:.0f} -> {r_hi[1] / 2**20:.0f} MB "
                  f"({(r_hi[1] / r_lo[1] - 1) * 100:+.0f}%, target < 20%)")
        if 1000 in sizes:
            print(f"1,000 students: {rows[(1000, args.jobs)][0]:.1f} s (target < 20 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
