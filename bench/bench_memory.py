"""Peak RSS of the TA's `autograder grade` process at 100, 2,000 and 20,000 students (part of `make bench`).

What it measures, honestly: a 20,000-student class cannot go through the workers in bench time, so
every class here is *already graded*: a seed class (one student per variant: the solution and each
mutant case) is graded for real through the workers, then N submission folders are made as copies of
those variants, and each one's OUT/<id>/results.json and feedback.md are the seed student's result
with the student id changed (written by the grader's own store, so they are exactly what grading
would have written: the same files give the same submission hash). `autograder grade` then finds
every result current and grades nobody: the run is the TA side's whole post-grading work on a first
run into that OUT — discovery and vetting of every entry (no vetting cache yet), reading every
result, recording every result with its tests in a new gradebook, grades.csv, the class statistics,
similarity (fingerprint cache cold) and report.html / item_analysis.csv. LMS exports are a separate
command (`autograder export grades`), not part of a grade run. Peak RSS is the TA process's VmHWM.
A second run on the same folders is the no-op rerun at that size.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_grading import grade_cli, make_class  # noqa: E402

from autograder.author.markers import solution_files  # noqa: E402
from autograder.course.assignment import find_assignment  # noqa: E402


def variants() -> int:
    """How many distinct students ``make_class`` cycles through."""
    cases = ROOT / "tests" / "submissions"
    return 1 + sum(1 for c in cases.iterdir() if c.is_dir() and any(c.glob("*.py")))


def synthetic_class(seed_out: Path, n_variants: int, n: int, subs: Path, out: Path, name: str) -> None:
    """``n`` submission folders and their results, copied from the graded seed class (see above)."""
    from autograder.grading.store import load_result, save_result

    a, _ = find_assignment(ROOT, name)
    make_class(subs, n, name)
    seeds = [load_result(seed_out, f"s{v:05d}") for v in range(n_variants)]
    for i in range(n):
        sid = f"s{i:05d}"
        save_result(out, replace(seeds[i % n_variants], student_id=sid), a.title)


def main(quick: bool = False, sizes: tuple[int, ...] | None = None, name: str = "hw07") -> dict[int, tuple]:
    sizes = sizes or ((100, 2000) if quick else (100, 2000, 20000))
    print("peak RSS of the TA's process on an already-graded class (synthetic results copied from a "
          "graded seed class; no worker runs: discovery, vetting, reading results, gradebook, "
          "grades.csv, statistics, similarity, report)")
    solution_files(ROOT / "solutions" / name)  # fails early if the course is not there
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        tmp = Path(tmp)
        nv = variants()
        make_class(tmp / "seed", nv, name)
        grade_cli(tmp / "seed", name, tmp / "seed-out", 2)
        header = f"{'students':>8} {'first run s':>11} {'TA RSS MB':>9} {'rerun s':>7} {'rerun RSS MB':>12}"
        print(header)
        print("-" * len(header))
        for n in sizes:
            subs, out = tmp / f"mem{n}", tmp / f"mem{n}-out"
            t0 = time.perf_counter()
            synthetic_class(tmp / "seed-out", nv, n, subs, out, name)
            made = time.perf_counter() - t0
            first, _tree, own = grade_cli(subs, name, out, 2)
            again, _tree, own2 = grade_cli(subs, name, out, 2)
            rows[n] = (first, own, again, own2)
            print(f"{n:>8} {first:>11.2f} {own / 2**20:>9.0f} {again:>7.2f} {own2 / 2**20:>12.0f}"
                  f"   (making the class: {made:.0f} s)", flush=True)
            shutil.rmtree(subs, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    lo = sizes[0]
    for n in sizes[1:]:
        growth = (rows[n][1] / rows[lo][1] - 1) * 100
        print(f"TA peak RSS {lo} -> {n} students: {rows[lo][1] / 2**20:.0f} -> {rows[n][1] / 2**20:.0f} MB "
              f"({growth:+.0f}%; targets: < +20% at 2,000, < 1024 MB at 20,000)")
    return rows


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default=None, help="class sizes (default 100,2000,20000; quick: 100,2000)")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    main(args.quick, tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None)
