"""Grading throughput of this checkout against a baseline checkout, measured in the same run.

    python bench/bench_throughput.py --baseline /path/to/main-checkout [--students 1000] [--jobs 2]

Both checkouts grade the same class (``bench_grading.make_class``: the solution and the mutant cases
in turn) with their own ``.venv/bin/autograder grade --jobs N``, alternately (baseline, this, baseline,
this ...), so both see the same load; printed per run and as medians: seconds, subs/s, ms/sub, the CPU
seconds of the TA's process and the grading processes it waited for (workers are not included: the
zygote's children are reaped by the kernel), and this checkout's speed-up over the baseline. The
messages per submission are ``bench/profile_grading.py``'s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_grading import make_class  # noqa: E402


def grade(root: Path, subs: Path, name: str, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and the children it waited for) of one batch."""
    out = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    cmd = [str(root / ".venv" / "bin" / "autograder"), "grade", str(subs), "--assignment", name,
           "--out", str(out), "--jobs", str(jobs), "--no-progress", "--course", str(root)]
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        dt = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{root}: autograder grade failed: {proc.stderr.decode()[-2000:]}")
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return dt, cpu
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--baseline", type=Path, required=True,
                   help="a checkout with its own .venv (make install)")
    p.add_argument("--students", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--runs", type=int, default=2, help="runs of each checkout, alternating")
    p.add_argument("--assignment", default="hw07")
    args = p.parse_args(argv)
    roots = {"baseline": args.baseline.resolve(), "this": ROOT}
    n = args.students
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        subs = Path(tmp) / "class"
        make_class(subs, n, args.assignment)
        print(f"{n} students, --jobs {args.jobs}; baseline {roots['baseline']}, this {ROOT}\n")
        print(f"{'run':>3} {'checkout':>8} {'seconds':>8} {'subs/s':>7} {'ms/sub':>7} {'CPU ms/sub':>10}")
        rows: dict[str, list[tuple[float, float]]] = {"baseline": [], "this": []}
        for run in range(args.runs):
            for which in ("baseline", "this"):
                dt, cpu = grade(roots[which], subs, args.assignment, args.jobs)
                rows[which].append((dt, cpu))
                print(f"{run + 1:>3} {which:>8} {dt:>8.2f} {n / dt:>7.1f} {dt / n * 1000:>7.1f} "
                      f"{cpu / n * 1000:>10.1f}")
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
           for k, v in rows.items()}
    print()
    for which, (dt, cpu) in med.items():
        print(f"median {which:>8}: {n / dt:.1f} subs/s, {dt / n * 1000:.1f} ms/sub, "
              f"{cpu / n * 1000:.1f} CPU ms/sub (TA + grading processes)")
    b, t = med["baseline"], med["this"]
    print(f"speed-up of this checkout: {b[0] / t[0]:.2f}x wall, {b[1] / t[1]:.2f}x CPU "
          f"(target: 50 subs/s with --jobs 2 on 1,000 students)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
