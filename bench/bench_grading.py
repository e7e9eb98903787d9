"""`make bench` (`make bench-quick`: smaller): speed and memory, against baselines measured in the same run.

Prints the self-check (isolated and portable path), a class of one cold, the throughput table, a
no-op rerun, then similarity and the report at scale (bench_scale) and the peers side by side
(bench_peers). Classes of 100 are run several times (the median is shown), larger ones once; ratios
compare with
- the in-process floor: the same hidden tests run in this one process with no isolation at all
  (DirectStudent; a measuring stick, never a grading mode);
- a bare interpreter that imports numpy (`python -c "import numpy"`): the cheapest possible
  process-per-submission design.
Peak RSS: of the TA's `autograder grade` process alone (VmHWM), and summed over its whole process
tree, sampled every 20 ms. Timing figures live here, never in unit tests.
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

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()
        self.peak = 0
        self.own_peak = 0  # VmHWM of the root process itself
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
            self.peak = max(self.peak, self._sample(self.pid))
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    hwm = next((ln for ln in f if ln.startswith("VmHWM:")), "VmHWM: 0 kB")
                self.own_peak = max(self.own_peak, int(hwm.split()[1]) * 1024)
            except OSError:
                pass
            self._stop.wait(0.02)

    @staticmethod
    def _sample(root: int) -> int:
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
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo += children.get(pid, [])
        return total


def grade_cli(subs: Path, name: str, out: Path, jobs: int) -> tuple[float, int, int]:
    """(seconds, peak RSS of the process tree, peak RSS of the TA's process) of one
    `autograder grade` command, as a TA runs it (interpreter start included)."""
    cmd = [str(Path(sys.executable).parent / "autograder"), "grade", str(subs), "--assignment", name,
           "--out", str(out), "--jobs", str(jobs), "--no-progress", "--course", str(ROOT)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with TreeRSS(proc.pid) as rss:
        _out, err = proc.communicate()
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"autograder grade failed: {err.decode()[-2000:]}")
    return dt, rss.peak, rss.own_peak


def grade_once(subs: Path, name: str, jobs: int) -> tuple[float, int, int]:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    try:
        return grade_cli(subs, name, out, jobs)
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


def gradescope_times(name: str, tmp: Path, runs: int = 5) -> tuple[float, float]:
    """(cold, warm) seconds of Gradescope's ``run_autograder`` on one complete submission, run as
    Gradescope runs it: the exported zip unpacked into a fresh root, ``setup.sh`` once, then
    ``run_autograder``. Cold: the first run (nothing compiled or cached yet); warm: median of ``runs``."""
    import zipfile

    from autograder.export.gradescope import export_gradescope

    root = tmp / "gradescope-root"
    with zipfile.ZipFile(export_gradescope(ROOT, name, tmp / "gradescope-zip")) as z:
        z.extractall(root / "source")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_PYTHON")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AUTOGRADER_ROOT"] = str(root)
    subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    (root / "submission").mkdir()
    for fname, text in solution_files(ROOT / "solutions" / name).items():
        (root / "submission" / fname).write_text(text, encoding="utf-8")
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=root, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        times.append(time.perf_counter() - t0)
        if not (root / "results" / "results.json").is_file():
            raise SystemExit("run_autograder wrote no results.json")
    return times[0], statistics.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--assignment", default="hw07")
    p.add_argument("--quick", action="store_true", help="smaller classes, fewer runs (a couple of minutes)")
    p.add_argument("--sizes", default=None, help="class sizes (default 100,1000,2000; quick: 100,300)")
    p.add_argument("--runs", type=int, default=None, help="runs per class of 100 (larger: one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--skip", default="", help="comma-separated parts to skip: "
                   "check,cold,gradescope,grading,noop,memory,scale,peers (grading: the throughput table)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("100,300" if args.quick else "100,1000,2000")).split(",")]
    runs = args.runs or (1 if args.quick else 3)
    skip = set(filter(None, args.skip.split(",")))
    name = args.assignment
    print(f"make bench{'-quick' if args.quick else ''}: every ratio is measured in this run\n")

    bare = command_time([sys.executable, "-c", "import numpy"])
    print(f"bare `python -c 'import numpy'`: {bare * 1000:.0f} ms (median of 7)")

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        # self-check on a complete submission, as a student runs it: isolated path and portable path
        a, _ = find_assignment(ROOT, name)
        student = tmp / "student"
        shutil.copytree(a.folder, student)
        for fname, text in solution_files(ROOT / "solutions" / name).items():
            (student / fname).write_text(text, encoding="utf-8")
        if "check" not in skip:
            check = command_time([sys.executable, "-m", "autograder", "check", str(student)], cwd=student)
            portable = command_time([sys.executable, "-m", "autograder", "check", "--portable", str(student)],
                                    cwd=student)
            print(f"autograder check (complete submission): {check * 1000:.0f} ms wall, {check / bare:.1f}x "
                  f"bare numpy (targets: <= 400 ms, <= 4x); portable path: {portable * 1000:.0f} ms, "
                  f"{portable / bare:.1f}x")

        if "cold" not in skip:  # a class of one, cold: what a Gradescope run or a TA's quick regrade pays
            one = tmp / "one"
            make_class(one, 1, name)
            cold = statistics.median(grade_once(one, name, 1)[0] for _ in range(3))
            print(f"autograder grade, a class of one, cold: {cold:.2f} s, {cold / bare:.1f}x bare numpy "
                  f"(target <= 1.0 s)")

        if "gradescope" not in skip:
            cold, warm = gradescope_times(name, tmp)
            print(f"Gradescope run_autograder (one complete submission): cold {cold:.2f} s, warm "
                  f"{warm:.2f} s (median of 5), {warm / bare:.1f}x bare numpy (target: warm < 1.5 s)")

        if "grading" not in skip:
            _throughput(tmp, sizes, runs, args.jobs, name, bare)
        if "noop" not in skip:
            _noop(tmp, 300, name, args.jobs)
    if "memory" not in skip:
        print()
        import bench_memory

        bench_memory.main(quick=args.quick, name=name)
    if "scale" not in skip:
        print()
        import bench_scale

        bench_scale.main(quick=args.quick)
    if "peers" not in skip:
        print()
        import bench_peers

        bench_peers.main(3 if args.quick else 10)
    return 0


def _throughput(tmp: Path, sizes: list[int], runs: int, jobs: int, name: str, bare: float) -> None:
    classes = {}
    for n in sizes:
        classes[n] = tmp / f"class{n}"
        make_class(classes[n], n, name)
    n0 = sizes[0]
    floor = statistics.median(in_process_floor(classes[n0], name) for _ in range(runs))
    floor_ms = floor / n0 * 1000
    print(f"in-process floor (no isolation, 1 process): {floor_ms:.1f} ms per submission\n")
    header = (f"{'students':>8} {'jobs':>4} {'seconds':>8} {'subs/s':>7} {'ms/sub':>7} {'tree RSS MB':>11} "
              f"{'TA RSS MB':>9} {'vs floor':>8} {'vs bare numpy':>13}")
    print(header)
    print("-" * len(header))
    rows = {}
    mid = sizes[min(1, len(sizes) - 1)]
    for n in sizes:
        for j in sorted({1, jobs}) if n == mid else [jobs]:
            res = [grade_once(classes[n], name, j) for _ in range(runs if n <= 100 else 1)]
            dt = statistics.median(r[0] for r in res)
            peak, own = max(r[1] for r in res), max(r[2] for r in res)
            rows[(n, j)] = (dt, peak, own)
            ms = dt / n * 1000
            # per-submission cost in core-time, compared with one core doing the floor
            print(f"{n:>8} {j:>4} {dt:>8.2f} {n / dt:>7.1f} {ms:>7.2f} {peak / 2**20:>11.0f} "
                  f"{own / 2**20:>9.0f} {ms * j / floor_ms:>7.2f}x {ms / (bare * 1000):>12.2f}x")
    print()
    if (mid, 1) in rows and (mid, jobs) in rows and jobs > 1:
        speedup = rows[(mid, 1)][0] / rows[(mid, jobs)][0]
        print(f"speed-up with --jobs {jobs} on {mid} students: {speedup:.2f} (target >= 1.7); "
              f"{mid / rows[(mid, jobs)][0]:.1f} subs/s (target >= 50)")
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        r_lo, r_hi = rows[(lo, jobs)], rows[(hi, jobs)]
        print(f"time per student {lo} -> {hi}: {r_lo[0] / lo * 1000:.2f} -> {r_hi[0] / hi * 1000:.2f} ms "
              f"(linear scaling keeps this flat)")
        print(f"peak RSS of the TA's process {lo} -> {hi}: {r_lo[2] / 2**20:.0f} -> {r_hi[2] / 2**20:.0f} MB "
              f"({(r_hi[2] / r_lo[2] - 1) * 100:+.0f}%, target < 20%); whole tree {r_lo[1] / 2**20:.0f} -> "
              f"{r_hi[1] / 2**20:.0f} MB ({(r_hi[1] / r_lo[1] - 1) * 100:+.0f}%)")


def _noop(tmp: Path, n: int, name: str, jobs: int) -> float:
    """Seconds of `autograder grade` run again on a class it has just graded (median of 3): what is
    left is discovery (the vetting cache answers), reading each result once, the gradebook's record
    of the run, grades.csv, and the class files' key (they are not rebuilt)."""
    subs, out = tmp / f"noop{n}", tmp / f"noop{n}-out"
    make_class(subs, n, name)
    full = grade_cli(subs, name, out, jobs)[0]
    # The class was written seconds before the first run: entries changed that recently are vetted but
    # not cached (intake.vetcache.FRESH_NS), so the second run still vets them and fills the cache.
    second = grade_cli(subs, name, out, jobs)[0]
    again = statistics.median(grade_cli(subs, name, out, jobs)[0] for _ in range(3))
    print(f"rerun with nothing changed, {n} students: {again:.2f} s, {again / full:.3f} of the full run "
          f"({full:.1f} s) (target <= 1.5 s); the first rerun (filling the vetting cache): {second:.2f} s")
    return again


if __name__ == "__main__":
    sys.exit(main())
